"""vigilctl driven with sensuctl's command lines from Sensu's docs, against a real server:
global flags anywhere, ``configure -n``, ``SENSU_API_KEY``, and every command with sensuctl's
flags and output. The session and global-flag tests run vigilctl as a subprocess; the
per-command flag tables run it in-process (the same click entry point, one process start
saved per line)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tests.ctl.processes import live_server, vigilctl  # noqa: F401 (the "server" fixture)
from tests.support import ADMIN, PASSWORD, LiveServer, client_for, token_for
from vigil.ctl.context import CtlContext
from vigil.ctl.main import cli


def inproc(
    config_dir: Path, *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``vigilctl(...)`` without a new process: the root group's ``main`` in a CliRunner."""
    blank: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith(("SENSU_", "VIGIL"))
    }
    runner = CliRunner(env={**blank, "VIGILCTL_CONFIG_DIR": str(config_dir), **(env or {})})
    result = runner.invoke(cli, list(args), input=stdin, obj=CtlContext())
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def configured(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sensuctl configure -n --username ... --password ... --namespace default --url ...``,
    word for word as Sensu's docs write it."""
    config_dir = tmp_path_factory.mktemp("config")
    done = vigilctl(
        config_dir,
        "configure",
        "-n",
        "--username",
        ADMIN,
        "--password",
        PASSWORD,
        "--namespace",
        "default",
        "--url",
        server.url,
        "--timeout",
        "20s",
    )
    assert done.returncode == 0, done.stderr
    saved = json.loads((config_dir / "config.json").read_text())
    assert (saved["url"], saved["namespace"], saved["timeout"]) == (server.url, "default", 20.0)
    return config_dir


def test_configure_n_never_prompts(server: LiveServer, tmp_path: Path) -> None:
    missing = vigilctl(tmp_path, "configure", "-n", "--url", server.url, "--username", ADMIN)
    assert missing.returncode == 1
    assert "--password is required" in missing.stderr


def test_global_flags_may_follow_the_command(configured: Path, server: LiveServer) -> None:
    listed = vigilctl(
        configured,
        "check",
        "list",
        "--namespace",
        "typo",
        "--format",
        "json",
        "--timeout",
        "5s",
        "--cache-dir",
        str(configured / "cache"),
        "--insecure-skip-tls-verify",
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []  # a missing namespace lists empty, as in Sensu
    before = vigilctl(configured, "--namespace", "typo", "check", "list", "--format", "json")
    assert before.returncode == 0 and json.loads(before.stdout) == []
    wrong = vigilctl(configured, "namespace", "list", "--api-url", "http://127.0.0.1:9")
    assert wrong.returncode == 1  # the one-off URL was used ...
    again = vigilctl(configured, "namespace", "list", "--format", "json")
    assert again.returncode == 0, again.stderr  # ... and not saved
    assert "default" in {ns["name"] for ns in json.loads(again.stdout)}
    bad = vigilctl(configured, "check", "list", "--timeout", "soon")
    assert bad.returncode == 2 and "invalid duration" in bad.stderr


def test_sensu_api_key_and_api_url_without_configure(server: LiveServer, tmp_path: Path) -> None:
    with client_for(server.url, token_for(server.url)) as admin:
        granted = admin.post("/api/core/v2/apikeys", json={"username": ADMIN})
        key = granted.headers["location"].rsplit("/", 1)[1]
    listed = vigilctl(
        tmp_path,
        "namespace",
        "list",
        "--format",
        "json",
        "--api-url",
        server.url,
        env={"SENSU_API_KEY": key},
    )
    assert listed.returncode == 0, listed.stderr
    flagged = vigilctl(tmp_path, "namespace", "list", "--api-url", server.url, "--api-key", key)
    assert flagged.returncode == 0, flagged.stderr
    assert "default" in flagged.stdout


def test_tessen_commands(configured: Path, server: LiveServer) -> None:
    info = vigilctl(configured, "tessen", "info")
    assert info.returncode == 0, info.stderr
    assert "Opt-Out: false" in info.stdout
    out = vigilctl(configured, "tessen", "opt-out", "--skip-confirm")
    assert "opt back in" in out.stdout
    as_json = vigilctl(configured, "tessen", "info", "--format", "json")
    assert json.loads(as_json.stdout) == {"opt_out": True}
    kept = vigilctl(configured, "tessen", "opt-out", stdin="n\n")
    assert "stick around" in kept.stdout
    assert vigilctl(configured, "tessen", "opt-in").stdout.startswith("Thank you")
    assert httpx.get(f"{server.url}/api/core/v2/tessen").status_code == 401


def test_cluster_commands(configured: Path, server: LiveServer) -> None:
    members = vigilctl(configured, "cluster", "member-list")
    assert members.returncode == 0, members.stderr
    lines = members.stdout.splitlines()
    assert lines[0].startswith("=== Etcd Cluster ID: ")
    assert lines[1].split() == ["ID", "Name", "Peer", "URLs", "Client", "URLs"]
    assert server.url in members.stdout
    as_json = json.loads(vigilctl(configured, "cluster", "member-list", "--format", "json").stdout)
    assert as_json["members"][0]["clientURLs"] == [server.url]
    cluster_id = vigilctl(configured, "cluster", "id")
    assert cluster_id.stdout.startswith("sensu cluster id: ") and len(cluster_id.stdout) == 54
    health = vigilctl(configured, "cluster", "health")
    assert health.returncode == 0 and health.stdout.splitlines()[-1].split()[-1] == "true"
    add = vigilctl(configured, "cluster", "member-add", "--peer-addrs", "http://10.0.0.2:2380")
    assert add.returncode == 1 and "automatic" in add.stderr
    remove = vigilctl(configured, "cluster", "member-remove", "8927110dc66458af")
    assert remove.returncode == 1 and "automatic" in remove.stderr


def test_version_and_dump_flags(configured: Path, tmp_path: Path) -> None:
    version = vigilctl(configured, "version")
    assert version.returncode == 0 and version.stdout.startswith("vigilctl version ")
    types = vigilctl(configured, "dump", "-t")
    assert "core/v2.CheckConfig" in types.stdout.split()
    target = tmp_path / "dump.yaml"
    dumped = vigilctl(configured, "dump", "all", "-o", "core/v2.Event", "-f", str(target))
    assert dumped.returncode == 0, dumped.stderr
    assert "type: Namespace" in target.read_text()


def test_user_commands_take_sensuctls_flags(configured: Path, server: LiveServer) -> None:
    name = f"flags-{os.getpid()}"
    missing = inproc(configured, "user", "create", name)
    assert missing.returncode == 1 and "--password is required" in missing.stderr  # no prompt
    created = inproc(configured, "user", "create", name, "-p", "first-pass", "-g", "a, b")
    assert (created.returncode, created.stdout) == (0, "Created\n"), created.stderr
    updated = inproc(configured, "user", "set-groups", name, "x,y")
    assert updated.stdout == "Updated\n", updated.stderr
    info = inproc(configured, "user", "info", name, "--format", "json")
    assert json.loads(info.stdout)["groups"] == ["x", "y"]
    changed = inproc(
        configured, "user", "change-password", name, "-c", "first-pass", "-p", "second-pass"
    )
    assert changed.stdout == "Updated\n", changed.stderr
    assert inproc(configured, "user", "test-creds", name, "-p", "second-pass").returncode == 0
    wrong = inproc(configured, "user", "test-creds", name, "--password", "first-pass")
    assert wrong.returncode == 1
    reset = inproc(configured, "user", "reset-password", name, "--password", "third-pass")
    assert reset.stdout == "Updated\n", reset.stderr
    assert httpx.get(f"{server.url}/auth", auth=(name, "third-pass")).status_code == 200
    hashed = inproc(configured, "user", "hash-password", "P@ssw0rd!").stdout.strip()
    assert hashed.startswith("$2") and len(hashed) == 60


def test_silenced_create_and_check_execute_flags(configured: Path) -> None:
    created = inproc(
        configured,
        "silenced",
        "create",
        "-s",
        "linux",
        "-c",
        "disk",
        "-r",
        "maintenance",
        "-e",
        "3600",
        "-x",
        "-b",
        "Jan 02 2036 3:04PM UTC",
    )
    assert created.stdout == "Created\n", created.stderr
    info = inproc(configured, "silenced", "info", "linux:disk", "--format", "json")
    entry = json.loads(info.stdout)
    assert (entry["reason"], entry["expire"], entry["expire_on_resolve"]) == (
        "maintenance",
        3600,
        True,
    )
    assert entry["begin"] == 2082899040  # 2036-01-02 15:04 UTC
    no_reason = inproc(configured, "silenced", "create", "-c", "disk")
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    check = {
        "type": "CheckConfig",
        "api_version": "core/v2",
        "metadata": {"name": "flagged"},
        "spec": {"command": "true", "interval": 60, "subscriptions": ["linux"]},
    }
    assert inproc(configured, "create", "-f", "-", stdin=json.dumps(check)).returncode == 0
    executed = inproc(configured, "check", "execute", "flagged", "-s", "web", "-r", "now")
    assert executed.returncode == 0, executed.stderr


def test_delete_file_and_logout(configured: Path, server: LiveServer, tmp_path: Path) -> None:
    doc = {
        "type": "Handler",
        "api_version": "core/v2",
        "metadata": {"name": "to-delete"},
        "spec": {"type": "pipe", "command": "cat"},
    }
    source = tmp_path / "handler.json"
    source.write_text(json.dumps(doc))
    assert inproc(configured, "create", "-f", str(source)).returncode == 0
    assert inproc(configured, "delete", "-f", str(source)).returncode == 0
    assert inproc(configured, "handler", "info", "to-delete").returncode == 1
    again = inproc(configured, "delete", "--file", str(source))
    assert again.returncode == 1 and "error deleting resource 0" in again.stderr

    own = tmp_path / "own"
    login = ("-n", "--username", ADMIN, "--password", PASSWORD, "--url", server.url)
    assert inproc(own, "configure", *login).returncode == 0
    token = json.loads((own / "config.json").read_text())["access_token"]
    out = inproc(own, "logout")
    assert out.stdout == "You have been logged out\n", out.stderr
    assert json.loads((own / "config.json").read_text())["access_token"] == ""
    with client_for(server.url, token) as ended:
        assert ended.get("/api/core/v2/namespaces").status_code == 401


def test_rbac_create_commands_as_in_sensus_docs(configured: Path) -> None:
    role = inproc(
        configured,
        "role",
        "create",
        "prod-admin",
        "--verb",
        "get,list,create,update,delete",
        "--resource",
        "*",
        "--namespace",
        "default",
    )
    assert role.stdout == "Created\n", role.stderr
    binding = inproc(
        configured, "role-binding", "create", "prod-admin-ns", "--role", "prod-admin", "-g", "ops"
    )
    assert binding.stdout == "Created\n", binding.stderr
    got = json.loads(
        inproc(configured, "role-binding", "info", "prod-admin-ns", "--format", "json").stdout
    )
    assert got["role_ref"] == {"type": "Role", "name": "prod-admin"}
    assert got["subjects"] == [{"type": "Group", "name": "ops"}]
    cluster_role = inproc(
        configured, "cluster-role", "create", "reader", "-v", "get", "-v", "list", "-r", "checks",
        "-n", "one,two",
    )  # fmt: skip
    assert cluster_role.stdout == "Created\n", cluster_role.stderr
    rules = json.loads(
        inproc(configured, "cluster-role", "info", "reader", "--format", "json").stdout
    )["rules"]
    assert rules == [
        {"verbs": ["get", "list"], "resources": ["checks"], "resource_names": ["one", "two"]}
    ]
    crb = inproc(
        configured, "cluster-role-binding", "create", "readers", "-c", "reader", "-u", "bob"
    )
    assert crb.stdout == "Created\n", crb.stderr
    no_role = inproc(configured, "cluster-role-binding", "create", "x", "-u", "bob")
    assert no_role.returncode == 1 and "ClusterRole must be provided" in no_role.stderr
    no_verb = inproc(configured, "role", "create", "x", "-r", "checks")
    assert no_verb.returncode == 1 and "at least one verb" in no_verb.stderr


def _info(config_dir: Path, kind: str, name: str) -> dict[str, Any]:
    done = inproc(config_dir, kind, "info", name, "--format", "json")
    assert done.returncode == 0, done.stderr
    info: dict[str, Any] = json.loads(done.stdout)
    return info


def test_flag_driven_creates_as_in_sensus_docs(configured: Path) -> None:
    check = inproc(
        configured, "check", "create", "check-cpu", "--command", "check-cpu.rb -w 75 -c 90",
        "--interval", "60", "--subscriptions", "linux, web", "--timeout", "30",
        "--handlers", "slack", "--publish=false", "--round-robin",
    )  # fmt: skip
    assert check.stdout == "Created\n", check.stderr
    got = _info(configured, "check", "check-cpu")
    assert (got["command"], got["interval"], got["timeout"]) == ("check-cpu.rb -w 75 -c 90", 60, 30)
    assert got["subscriptions"] == ["linux", "web"] and got["handlers"] == ["slack"]
    assert (got["publish"], got["round_robin"]) == (False, True)
    handler = inproc(
        configured, "handler", "create", "tcp-out", "--type", "TCP",
        "--socket-host", "10.0.0.1", "--socket-port", "4444", "-i", "5",
    )  # fmt: skip
    assert handler.stdout == "Created\n", handler.stderr
    got = _info(configured, "handler", "tcp-out")
    assert (got["type"], got["socket"], got["timeout"]) == (
        "tcp",
        {"host": "10.0.0.1", "port": 4444},
        5,
    )
    hook = inproc(configured, "hook", "create", "ps", "-c", "ps aux")
    assert hook.stdout == "Created\n", hook.stderr
    assert _info(configured, "hook", "ps")["timeout"] == 60  # sensuctl's default
    flt = inproc(
        configured, "filter", "create", "prod", "-a", "allow", "-s", "event.check.status == 2"
    )
    assert flt.stdout == "Created\n", flt.stderr
    entity = inproc(configured, "entity", "create", "router", "-c", "proxy", "-s", "snmp")
    assert entity.stdout == "Created\n", entity.stderr
    assert _info(configured, "entity", "router")["subscriptions"][0] == "snmp"
    mutator = inproc(configured, "mutator", "create", "jq", "--command", "jq .")
    assert mutator.stdout == "Created\n", mutator.stderr
    asset = inproc(
        configured, "asset", "create", "tool", "-u", "https://example.com/tool.tar.gz",
        "--sha512", "a" * 128, "--filter", "entity.system.os == 'linux'",
        "--filter", "entity.system.arch == 'amd64'",
    )  # fmt: skip
    assert asset.stdout == "Created\n", asset.stderr
    assert len(_info(configured, "asset", "tool")["filters"]) == 2
    bad = inproc(configured, "check", "create", "nope", "--interval", "soon")
    assert bad.returncode == 2 and "not an integer" in bad.stderr


def test_config_commands(server: LiveServer, tmp_path: Path) -> None:
    login = ("-n", "--username", ADMIN, "--password", PASSWORD, "--url", server.url)
    assert inproc(tmp_path, "configure", *login).returncode == 0
    for args in (("set-namespace", "prod"), ("set-format", "yaml"), ("set-timeout", "1m30s")):
        done = inproc(tmp_path, "config", *args)
        assert done.stdout == "Updated\n", done.stderr
    lines = inproc(tmp_path, "config", "view").stdout.splitlines()
    assert lines[0] == "=== Active Configuration"
    assert lines[1] == f"API URL:                  {server.url}"
    assert lines[2:6] == [
        "Namespace:                prod",
        "Format:                   yaml",
        "Timeout:                  1m30s",
        "Username:                 admin",
    ]
    as_json = json.loads(inproc(tmp_path, "config", "view", "--format", "json").stdout)
    assert as_json["timeout"] == "1m30s" and as_json["api-url"] == server.url
