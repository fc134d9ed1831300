"""vigilctl against a real `vigil start`: configure, create, list, info, delete, keys, dump."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from tests.ctl.conftest import Run, make_runner
from tests.support import ADMIN, PASSWORD, ServerProcess
from vigil.ctl.documents import parse_documents


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def ok(run: Run, *args: str, input: str | None = None) -> str:
    result = run(*args, input=input)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def check_doc(name: str, namespace: str = "default") -> str:
    return (
        "type: CheckConfig\napi_version: core/v2\n"
        f"metadata:\n  name: {name}\n  namespace: {namespace}\n"
        "spec:\n  command: check-disk -w 80\n  interval: 30\n"
        "  subscriptions: [linux]\n  publish: true\n"
    )


def test_configure_stores_a_private_session(server: ServerProcess, tmp_path: Path) -> None:
    run = make_runner(tmp_path)
    out = ok(
        run, "configure", "--non-interactive", "--url", server.url,
        "--username", ADMIN, "--password", PASSWORD,
    )  # fmt: skip
    assert "Logged in" in out
    path = tmp_path / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["access_token"] and stored["refresh_token"] and stored["expires_at"] > 0
    env = ok(run, "env")
    assert f'export SENSU_ACCESS_TOKEN="{stored["access_token"]}"' in env


def test_wrong_password_is_refused(server: ServerProcess, tmp_path: Path) -> None:
    result = make_runner(tmp_path)(
        "configure", "--non-interactive", "--url", server.url,
        "--username", ADMIN, "--password", "wrong",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: login failed")


def test_check_lifecycle_in_every_format(vigilctl: Run) -> None:
    name = unique("disk")
    ok(vigilctl, "create", "-f", "-", input=check_doc(name))

    table = ok(vigilctl, "check", "list")
    assert table.split()[0] == "Name"
    assert any(line.split()[0] == name for line in table.splitlines()[2:])

    listed = json.loads(ok(vigilctl, "check", "list", "--format", "json"))
    mine = next(c for c in listed if c["metadata"]["name"] == name)
    assert mine["interval"] == 30 and mine["subscriptions"] == ["linux"]

    docs = list(yaml.safe_load_all(ok(vigilctl, "check", "list", "--format", "yaml")))
    assert any(d["type"] == "CheckConfig" and d["metadata"]["name"] == name for d in docs)

    wrapped = parse_documents(ok(vigilctl, "--format", "wrapped-json", "check", "list"))
    assert any(d["metadata"]["name"] == name for d in wrapped)

    paged = json.loads(ok(vigilctl, "check", "list", "--format", "json", "--chunk-size", "1"))
    assert [c["metadata"]["name"] for c in paged] == [c["metadata"]["name"] for c in listed]

    info = json.loads(ok(vigilctl, "check", "info", name, "--format", "json"))
    assert info["command"] == "check-disk -w 80"
    assert name in ok(vigilctl, "check", "info", name)

    assert ok(vigilctl, "check", "delete", name, "--skip-confirm").strip() == "Deleted"
    gone = vigilctl("check", "info", name)
    assert gone.exit_code == 1
    assert gone.stderr.startswith("Error: ") and "not found" in gone.stderr


def test_all_namespaces_list(vigilctl: Run) -> None:
    name = unique("ns")
    ok(vigilctl, "namespace", "create", name)
    ok(vigilctl, "create", "-f", "-", input=check_doc("in-" + name, name))
    table = ok(vigilctl, "check", "list", "--all-namespaces")
    assert "Namespace" in table.splitlines()[0]
    assert name in table
    only = json.loads(ok(vigilctl, "check", "list", "-n", name, "--format", "json"))
    assert [c["metadata"]["name"] for c in only] == ["in-" + name]


def test_create_reports_server_errors(vigilctl: Run) -> None:
    bad = "type: EventFilter\nmetadata: {name: f}\nspec: {action: sideways, expressions: []}\n"
    result = vigilctl("create", "-f", "-", input=bad)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: EventFilter f: ")


def test_api_key_grant_then_use(vigilctl: Run, tmp_path: Path) -> None:
    out = ok(vigilctl, "api-key", "grant", ADMIN).strip()
    assert out.startswith("Created: /api/core/v2/apikeys/")
    key = out.rsplit("/", 1)[1]
    keys = json.loads(ok(vigilctl, "api-key", "list", "--format", "json"))
    assert key in [k["metadata"]["name"] for k in keys]

    server_url = json.loads((tmp_path / "config" / "config.json").read_text())["url"]
    keyed = make_runner(tmp_path / "no-login", env={"VIGIL_API_KEY": key})
    assert "default" in ok(keyed, "--url", server_url, "namespace", "list")
    sensu_keyed = make_runner(tmp_path / "no-login", env={"SENSU_API_KEY": key})
    assert ok(sensu_keyed, "--url", server_url, "user", "list", "--format", "json")

    assert ok(vigilctl, "api-key", "revoke", key, "--skip-confirm").strip() == "Deleted"
    refused = keyed("--url", server_url, "namespace", "list")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: ")


def test_dump_then_create_round_trip(vigilctl: Run, tmp_path: Path) -> None:
    ns = unique("rt")
    ok(vigilctl, "namespace", "create", ns)
    source = (
        check_doc("c1", ns)
        + "---\ntype: Handler\nmetadata: {name: h1}\nspec: {type: pipe, command: cat}\n"
        + "---\ntype: EventFilter\nmetadata: {name: f1}\n"
        + "spec: {action: allow, expressions: ['event.check.status == 2']}\n"
        + "---\ntype: HookConfig\nmetadata: {name: k1}\nspec: {command: ps, timeout: 10}\n"
    )
    ok(vigilctl, "create", "-n", ns, "-f", "-", input=source)
    types = "check,handler,filter,hook"

    def snapshot() -> list[dict[str, Any]]:
        docs = parse_documents(ok(vigilctl, "dump", types, "-n", ns, "--format", "wrapped-json"))
        for doc in docs:
            doc["metadata"].pop("created_by", None)
        return docs

    before = snapshot()
    assert sorted(d["type"] for d in before) == [
        "CheckConfig",
        "EventFilter",
        "Handler",
        "HookConfig",
    ]
    dump_file = tmp_path / "dump.yaml"
    ok(vigilctl, "dump", types, "-n", ns, "--file", str(dump_file))
    for kind, name in (("check", "c1"), ("handler", "h1"), ("filter", "f1"), ("hook", "k1")):
        ok(vigilctl, kind, "delete", name, "-n", ns, "--skip-confirm")
    assert snapshot() == []
    ok(vigilctl, "create", "-f", str(dump_file))
    assert snapshot() == before


def test_dump_all_dumps_every_type_as_sensuctl(vigilctl: Run, tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    ok(vigilctl, "dump", "all", "--all-namespaces", "--format", "wrapped-json", "--file", str(out))
    types = {d["type"] for d in parse_documents(out.read_text())}
    assert {"Namespace", "ClusterRole", "ClusterRoleBinding", "User", "TessenConfig"} <= types


def test_dump_all_recreates_cleanly(vigilctl: Run, tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    omit = "core/v2.APIKey,core/v2.Event,core/v2.User"  # the restore recipe of Sensu's docs
    ok(vigilctl, "dump", "all", "--all-namespaces", "--format", "wrapped-json",
       "--omit", omit, "--file", str(out))  # fmt: skip
    docs = parse_documents(out.read_text())
    types = {d["type"] for d in docs}
    assert {"Namespace", "ClusterRole", "ClusterRoleBinding"} <= types
    assert not types & {"APIKey", "Event", "User"}
    ok(vigilctl, "create", "-f", str(out))


def test_user_commands(vigilctl: Run, tmp_path: Path) -> None:
    name = unique("u")
    ok(vigilctl, "user", "create", name, "--password", "first-pass", "--groups", "a,b")
    user = json.loads(ok(vigilctl, "user", "info", name, "--format", "json"))
    assert user["groups"] == ["a", "b"] and user["disabled"] is False
    ok(vigilctl, "user", "add-group", name, "c")
    ok(vigilctl, "user", "remove-group", name, "a")
    user = json.loads(ok(vigilctl, "user", "info", name, "--format", "json"))
    assert user["groups"] == ["b", "c"]
    ok(vigilctl, "user", "disable", name, "--skip-confirm")
    assert json.loads(ok(vigilctl, "user", "info", name, "--format", "json"))["disabled"]
    ok(vigilctl, "user", "reinstate", name)
    ok(
        vigilctl, "user", "change-password", name,
        "--current-password", "first-pass", "--new-password", "second-pass",
    )  # fmt: skip
    url = json.loads((tmp_path / "config" / "config.json").read_text())["url"]
    fresh = make_runner(tmp_path / "as-user")
    ok(
        fresh, "configure", "--non-interactive", "--url", url,
        "--username", name, "--password", "second-pass",
    )  # fmt: skip


def test_event_info_and_delete(vigilctl: Run) -> None:
    entity, check = unique("web"), "disk"
    event = {
        "type": "Event",
        "api_version": "core/v2",
        "metadata": {},
        "spec": {
            "entity": {"metadata": {"name": entity}, "entity_class": "proxy"},
            "check": {"metadata": {"name": check}, "status": 2, "output": "CRIT", "interval": 60},
        },
    }
    ok(vigilctl, "create", "-f", "-", input=json.dumps(event))
    deadline = time.monotonic() + 10
    while vigilctl("event", "info", entity, check).exit_code != 0:
        assert time.monotonic() < deadline, "event never became readable"
        time.sleep(0.1)
    table = ok(vigilctl, "event", "list")
    assert any(line.split()[:2] == [entity, check] for line in table.splitlines())
    ok(vigilctl, "event", "delete", entity, check, "--skip-confirm")
    assert vigilctl("event", "info", entity, check).exit_code == 1


def test_console_script_entry_point(server: ServerProcess, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("vigilctl")
    env = {**os.environ, "VIGILCTL_CONFIG_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(script), "--url", server.url, "namespace", "list"],
        env={k: v for k, v in env.items() if k not in ("VIGIL_API_KEY", "SENSU_API_KEY")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip() == "Error: not logged in: run `vigilctl configure` or set VIGIL_API_KEY"
    )


def test_expired_session_is_refreshed(vigilctl: Run, tmp_path: Path) -> None:
    path = tmp_path / "config" / "config.json"
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "expires_at": 1}))
    ok(vigilctl, "namespace", "list")
    refreshed = json.loads(path.read_text())
    assert refreshed["expires_at"] > 1
    assert refreshed["refresh_token"] != stored["refresh_token"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
