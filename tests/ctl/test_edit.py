"""``vigilctl edit`` and ``dump``'s TessenConfig, run as subprocesses against a real server.

The editor is a small Python script written by each test (``EDITOR`` names it, as for
sensuctl); the server is then asked what it holds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.ctl.processes import live_server, vigilctl  # noqa: F401 (the "server" fixture)
from tests.support import ADMIN, PASSWORD, LiveServer, client_for, token_for

CHECKS = "/api/core/v2/namespaces/{ns}/checks"


@pytest.fixture(scope="module")
def configured(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    config_dir = tmp_path_factory.mktemp("config")
    done = vigilctl(
        config_dir, "configure", "-n", "--url", server.url,
        "--username", ADMIN, "--password", PASSWORD,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return config_dir


def editor(tmp_path: Path, body: str) -> dict[str, str]:
    """``EDITOR`` running ``body`` (Python, the file's path in ``path``)."""
    script = tmp_path / "editor.py"
    script.write_text("import sys, pathlib\npath = pathlib.Path(sys.argv[1])\n" + body)
    return {"EDITOR": f"{sys.executable} {script}"}


def put_check(server: LiveServer, ns: str, name: str, interval: int = 60) -> None:
    with client_for(server.url, token_for(server.url)) as admin:
        if ns != "default":
            admin.put(f"/api/core/v2/namespaces/{ns}", json={"name": ns})
        body = {
            "command": "true",
            "interval": interval,
            "subscriptions": ["linux"],
            "metadata": {"name": name, "namespace": ns},
        }
        assert admin.put(f"{CHECKS.format(ns=ns)}/{name}", json=body).status_code < 300


def get_check(server: LiveServer, ns: str, name: str) -> dict[str, object]:
    with client_for(server.url, token_for(server.url)) as admin:
        found: dict[str, object] = admin.get(f"{CHECKS.format(ns=ns)}/{name}").json()
        return found


def test_edit_applies_the_change(server: LiveServer, configured: Path, tmp_path: Path) -> None:
    put_check(server, "default", "edited")
    env = editor(
        tmp_path, "path.write_text(path.read_text().replace('interval: 60', 'interval: 90'))\n"
    )
    done = vigilctl(configured, "edit", "check", "edited", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Updated /api/core/v2/namespaces/default/checks/edited\n"
    assert get_check(server, "default", "edited")["interval"] == 90


def test_edit_file_is_wrapped_in_the_chosen_format(
    server: LiveServer, configured: Path, tmp_path: Path
) -> None:
    put_check(server, "edit-ns", "web")
    seen = tmp_path / "seen.txt"
    body = (
        f"pathlib.Path({str(seen)!r}).write_text(path.name + '\\n' + path.read_text())\n"
        "import json\ndoc = json.loads(path.read_text())\n"
        "doc['spec']['command'] = 'echo edited'\npath.write_text(json.dumps(doc))\n"
    )
    done = vigilctl(
        configured, "edit", "core/v2.CheckConfig", "web", "--namespace", "edit-ns",
        "--format", "json", env=editor(tmp_path, body),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    name, text = seen.read_text().split("\n", 1)
    assert name.endswith(".json")
    doc = json.loads(text)
    assert (doc["type"], doc["api_version"]) == ("CheckConfig", "core/v2")
    assert doc["metadata"] == {"name": "web", "namespace": "edit-ns"} | {
        k: v for k, v in doc["metadata"].items() if k not in ("name", "namespace")
    }
    assert get_check(server, "edit-ns", "web")["command"] == "echo edited"
    # YAML is the default
    yaml_seen = vigilctl(
        configured, "edit", "check", "web", "-n", "edit-ns",
        env=editor(tmp_path, f"pathlib.Path({str(seen)!r}).write_text(path.read_text())\n"),
    )  # fmt: skip
    assert yaml_seen.returncode == 0, yaml_seen.stderr
    assert yaml.safe_load(seen.read_text())["spec"]["command"] == "echo edited"


def test_unchanged_file_writes_nothing(
    server: LiveServer, configured: Path, tmp_path: Path
) -> None:
    """The editor changes the check on the server behind vigilctl's back and leaves the file
    alone: had vigilctl written the file back, the server's change would be lost."""
    put_check(server, "default", "untouched")
    body = (
        "import httpx, os\n"
        f"url = {server.url!r} + '/api/core/v2/namespaces/default/checks/untouched'\n"
        "headers = {'Authorization': 'Bearer ' + os.environ['EDIT_TEST_TOKEN']}\n"
        "check = httpx.get(url, headers=headers).json()\n"
        "check['interval'] = 77\n"
        "httpx.put(url, json=check, headers=headers).raise_for_status()\n"
    )
    env = {**editor(tmp_path, body), "EDIT_TEST_TOKEN": token_for(server.url)}
    done = vigilctl(configured, "edit", "check", "untouched", env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert get_check(server, "default", "untouched")["interval"] == 77


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("path.write_text('type: CheckConfig\\nspec: [unclosed\\n')\n", "cannot parse"),
        ("path.write_text(path.read_text().replace('interval: 60', 'interval: soon'))\n", ""),
        ("path.write_text('')\n", "no resources were parsed"),
        ("sys.exit(3)\n", "editor exited with status 3"),
    ],
)
def test_invalid_edit_changes_nothing(
    server: LiveServer, configured: Path, tmp_path: Path, body: str, message: str
) -> None:
    put_check(server, "default", "guarded")
    before = get_check(server, "default", "guarded")
    done = vigilctl(configured, "edit", "check", "guarded", env=editor(tmp_path, body))
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ") and message in done.stderr
    assert "Traceback" not in done.stderr
    assert get_check(server, "default", "guarded") == before


def test_edit_argument_errors(configured: Path, tmp_path: Path) -> None:
    env = editor(tmp_path, "")
    unknown = vigilctl(configured, "edit", "gizmo", "x", env=env)
    assert unknown.returncode == 1 and "invalid resource type: gizmo" in unknown.stderr
    nameless = vigilctl(configured, "edit", "check", env=env)
    assert nameless.returncode == 1 and "resource name missing" in nameless.stderr
    event = vigilctl(configured, "edit", "event", "only-entity", env=env)
    assert event.returncode == 1 and "events need an entity and check component" in event.stderr
    missing = vigilctl(configured, "edit", "check", "no-such-check", env=env)
    assert missing.returncode == 1 and missing.stderr.startswith("Error: ")


def test_dump_all_has_tessen_config_after_the_cluster_kinds(
    server: LiveServer, configured: Path, tmp_path: Path
) -> None:
    put_check(server, "default", "dumped")
    done = vigilctl(configured, "dump", "all", "--omit", "core/v2.Event,core/v2.APIKey")
    assert done.returncode == 0, done.stderr
    docs = list(yaml.safe_load_all(done.stdout))
    order = list(dict.fromkeys(doc["type"] for doc in docs))
    cluster_wide = ("Namespace", "ClusterRole", "ClusterRoleBinding", "User", "APIKey")
    assert order[: order.index("TessenConfig")] == [t for t in cluster_wide if t in order]
    assert order.index("TessenConfig") < order.index("CheckConfig")
    tessen = [doc for doc in docs if doc["type"] == "TessenConfig"]
    assert tessen == [
        {
            "type": "TessenConfig",
            "api_version": "core/v2",
            "metadata": {},
            "spec": {"opt_out": False},
        }
    ]
    listed = vigilctl(configured, "dump", "--types")
    assert "core/v2.TessenConfig" in listed.stdout.split()


def test_dumped_tessen_config_creates_back(
    server: LiveServer, configured: Path, tmp_path: Path
) -> None:
    out = tmp_path / "tessen.yaml"
    done = vigilctl(configured, "dump", "core/v2.TessenConfig", "--file", str(out))
    assert done.returncode == 0, done.stderr
    out.write_text(out.read_text().replace("opt_out: false", "opt_out: true"))
    created = vigilctl(configured, "create", "-f", str(out))
    assert created.returncode == 0, created.stderr
    with client_for(server.url, token_for(server.url)) as admin:
        assert admin.get("/api/core/v2/tessen").json()["opt_out"] is True
        admin.put("/api/core/v2/tessen", json={"opt_out": False})


def test_blank_creates_on_save(server: LiveServer, configured: Path, tmp_path: Path) -> None:
    body = (
        "import yaml\ndoc = yaml.safe_load(path.read_text())\n"
        "assert doc['metadata'] == {'name': '', 'namespace': 'default'}, doc\n"
        "doc['metadata']['name'] = 'from-blank'\n"
        "doc['spec'] = {'command': 'true', 'interval': 30, 'subscriptions': ['x']}\n"
        "path.write_text(yaml.safe_dump(doc))\n"
    )
    done = vigilctl(configured, "edit", "check", "--blank", env=editor(tmp_path, body))
    assert done.returncode == 0, done.stderr
    assert get_check(server, "default", "from-blank")["interval"] == 30
