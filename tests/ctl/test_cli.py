"""Commands through click, against a real server (the real app under uvicorn, per module)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from tests.ctl.conftest import KEY_ENVS, Exchange, Recorder, Run
from tests.support import ADMIN, PASSWORD, LiveServer
from vigil.ctl.context import CtlContext
from vigil.ctl.main import cli

Unique = Callable[[str], str]


@pytest.fixture
def seen() -> list[Exchange]:
    """Every exchange the commands of one test had with the server."""
    return []


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def run(config_dir: Path, seen: list[Exchange]) -> Run:
    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        ctl = CtlContext(config_dir_override=str(config_dir), transport=Recorder(seen))
        blank: dict[str, str | None] = dict.fromkeys(KEY_ENVS)
        runner = CliRunner(env={**blank, **(env or {})})
        return runner.invoke(cli, list(args), obj=ctl, input=input)

    return invoke


@pytest.fixture
def login(run: Run, live: LiveServer) -> Callable[[], None]:
    def configure() -> None:
        result = run(
            "configure", "--non-interactive", "--url", live.url,
            "--username", ADMIN, "--password", PASSWORD, "--format", "json",
        )  # fmt: skip
        assert result.exit_code == 0, result.output

    return configure


@pytest.fixture
def checks(admin: httpx.Client, namespace: str) -> Callable[..., str]:
    """Create a check in the test's own namespace through the API; returns its path."""

    def create(name: str, labels: dict[str, str] | None = None, **fields: Any) -> str:
        path = f"/api/core/v2/namespaces/{namespace}/checks/{name}"
        metadata = {"name": name, "namespace": namespace, "labels": labels or {}}
        body = {"metadata": metadata, "command": "true", "interval": 60, **fields}
        response = admin.put(path, json=body)
        assert response.status_code == 201, response.text
        return path

    return create


def stored(config_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((config_dir / "config.json").read_text())
    return data


def status(admin: httpx.Client, path: str) -> int:
    return admin.get(path).status_code


def test_configure_writes_a_private_config(
    login: Callable[[], None], config_dir: Path, live: LiveServer, admin: httpx.Client
) -> None:
    login()
    path = config_dir / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = stored(config_dir)
    assert config["format"] == "json" and config["url"] == live.url
    assert config["username"] == ADMIN and config["refresh_token"]
    token = {"Authorization": f"Bearer {config['access_token']}"}
    assert admin.get("/api/core/v2/namespaces", headers=token).status_code == 200


def test_configure_non_interactive_needs_credentials(run: Run, live: LiveServer) -> None:
    result = run("configure", "--non-interactive", "--url", live.url, "--username", ADMIN)
    assert result.exit_code == 1
    assert "Error: --password is required" in result.stderr


def test_configure_prompts_when_interactive(
    run: Run, live: LiveServer, namespace: str, checks: Callable[..., str]
) -> None:
    checks("prompted")
    result = run("configure", input=f"{live.url}\n{ADMIN}\n{PASSWORD}\n{namespace}\nyaml\n")
    assert result.exit_code == 0, result.output
    listed = run("check", "list")
    assert listed.stdout.startswith("type: CheckConfig")
    assert "name: prompted" in listed.stdout


def test_list_uses_configured_format_and_chunking(
    run: Run,
    login: Callable[[], None],
    namespace: str,
    checks: Callable[..., str],
    seen: list[Exchange],
) -> None:
    names = [f"c{i}" for i in range(5)]
    for name in names:
        checks(name)
    login()
    result = run("check", "list", "-n", namespace, "--chunk-size", "2")
    assert result.exit_code == 0, result.output
    assert [c["metadata"]["name"] for c in json.loads(result.stdout)] == names
    pages = [query for _, path, query, _ in seen if path.endswith(f"/{namespace}/checks")]
    assert len(pages) == 3 and all("limit=2" in query for query in pages)


def test_global_format_and_refresh_persisted(
    run: Run, login: Callable[[], None], config_dir: Path, namespace: str
) -> None:
    login()
    before = stored(config_dir)
    path = config_dir / "config.json"
    path.write_text(json.dumps({**before, "expires_at": 1}))  # the session looks expired
    result = run("--format", "tabular", "check", "list", "--all-namespaces")
    assert result.exit_code == 0, result.output
    assert result.stdout.split()[:2] == ["Name", "Namespace"]
    after = stored(config_dir)
    assert after["refresh_token"] != before["refresh_token"]
    assert after["access_token"] != before["access_token"] and after["expires_at"] > 1
    assert after["format"] == "json"  # the one-off --format is not saved
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_api_key_from_environment(
    run: Run, live: LiveServer, admin: httpx.Client, namespace: str, checks: Callable[..., str]
) -> None:
    checks("keyed")
    granted = admin.post("/api/core/v2/apikeys", json={"username": ADMIN})
    key = granted.headers["Location"].rsplit("/", 1)[1]
    args = ("--url", live.url, "check", "list", "-n", namespace, "--format", "json")
    result = run(*args, env={"VIGIL_API_KEY": key})
    assert result.exit_code == 0, result.output
    assert [c["metadata"]["name"] for c in json.loads(result.stdout)] == ["keyed"]
    refused = run(*args, env={"VIGIL_API_KEY": "not-a-key"})
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: ")


def test_errors_are_printed_and_exit_1(
    run: Run,
    login: Callable[[], None],
    unique: Unique,
    seen: list[Exchange],
    admin: httpx.Client,
) -> None:
    login()
    path = f"/api/core/v2/namespaces/default/checks/{unique('missing')}"
    result = run("check", "info", path.rsplit("/", 1)[1])
    assert seen[-1][1:] == (path, "", 404)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {admin.get(path).json()['message']}"
    assert result.stderr.strip().endswith(" not found")


def test_not_logged_in(run: Run, live: LiveServer, seen: list[Exchange]) -> None:
    result = run("--url", live.url, "check", "list")
    assert result.exit_code == 1
    assert "not logged in" in result.stderr
    assert seen == []


def test_create_reports_each_failure(
    run: Run, login: Callable[[], None], tmp_path: Path, admin: httpx.Client, namespace: str
) -> None:
    login()
    source = tmp_path / "in.yaml"
    source.write_text(
        "type: CheckConfig\nmetadata: {name: ok}\nspec: {command: 'true', interval: 60}\n---\n"
        "type: CheckConfig\nmetadata: {name: broken}\nspec: {command: 'true', interval: 0}\n"
    )
    result = run("create", "-n", namespace, "-f", str(source))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: CheckConfig broken: ")
    checks = f"/api/core/v2/namespaces/{namespace}/checks"
    assert status(admin, f"{checks}/ok") == 200
    assert status(admin, f"{checks}/broken") == 404


def test_create_from_stdin_and_directory(
    run: Run,
    login: Callable[[], None],
    tmp_path: Path,
    admin: httpx.Client,
    namespace: str,
    unique: Unique,
) -> None:
    login()
    doc = '{"type": "Handler", "metadata": {"name": "h"}, "spec": {"type": "set"}}'
    assert run("create", "-n", namespace, "-f", "-", input=doc).exit_code == 0
    assert status(admin, f"/api/core/v2/namespaces/{namespace}/handlers/h") == 200
    deep = unique("deep")
    nested = tmp_path / "defs" / "sub"
    nested.mkdir(parents=True)
    (nested / "n.json").write_text(json.dumps({"type": "Namespace", "spec": {"name": deep}}))
    assert run("create", "-f", str(tmp_path / "defs")).exit_code == 0
    assert status(admin, f"/api/core/v2/namespaces/{deep}") == 404
    assert run("create", "-r", "-f", str(tmp_path / "defs")).exit_code == 0
    assert status(admin, f"/api/core/v2/namespaces/{deep}") == 200


def test_create_refuses_bad_input_before_sending(
    run: Run,
    login: Callable[[], None],
    admin: httpx.Client,
    namespace: str,
    seen: list[Exchange],
) -> None:
    login()
    before = len(seen)
    good = '{"type": "CheckConfig", "metadata": {"name": "fine"}, "spec": {"interval": 60}}'
    bad = '{"type": "Widget", "metadata": {"name": "w"}}'
    result = run("create", "-n", namespace, "-f", "-", input=f"{good}\n{bad}")
    assert result.exit_code == 1
    assert "unsupported resource type core/v2.Widget" in result.stderr
    assert len(seen) == before
    assert admin.get(f"/api/core/v2/namespaces/{namespace}/checks").json() == []


def test_api_key_grant_prints_location(
    run: Run, login: Callable[[], None], admin: httpx.Client
) -> None:
    login()
    result = run("api-key", "grant", ADMIN)
    prefix = "Created: /api/core/v2/apikeys/"
    assert result.stdout.startswith(prefix), result.output
    location = result.stdout.strip().removeprefix("Created: ")
    assert admin.get(location).json()["username"] == ADMIN


def test_delete_asks_for_the_name(
    run: Run,
    login: Callable[[], None],
    admin: httpx.Client,
    namespace: str,
    checks: Callable[..., str],
) -> None:
    login()
    path = checks("c1")
    ns = ("-n", namespace)
    assert run("check", "delete", "c1", *ns, input="nope\n").stdout.strip().endswith("Canceled")
    assert status(admin, path) == 200
    assert run("check", "delete", "c1", *ns, input="c1\n").stdout.strip().endswith("Deleted")
    assert status(admin, path) == 404

    event_path = f"/api/core/v2/namespaces/{namespace}/events/e/c"
    event = {
        "entity": {"metadata": {"name": "e"}, "entity_class": "proxy"},
        "check": {"metadata": {"name": "c"}, "status": 0, "output": "ok", "interval": 60},
    }
    assert admin.put(event_path, json=event).status_code in (200, 201)
    assert status(admin, event_path) == 200
    deleted = run("event", "delete", "e", "c", *ns, "--skip-confirm")
    assert deleted.stdout.strip() == "Deleted"
    assert status(admin, event_path) == 404


def test_env_prints_the_session(run: Run, login: Callable[[], None], config_dir: Path) -> None:
    login()
    result = run("env")
    assert f'export SENSU_ACCESS_TOKEN="{stored(config_dir)["access_token"]}"' in result.stdout
    assert 'export SENSU_FORMAT="json"' in result.stdout


def test_config_set_namespace_and_format(
    run: Run, login: Callable[[], None], config_dir: Path
) -> None:
    login()
    assert run("config", "set-namespace", "prod").exit_code == 0
    assert run("config", "set-format", "yaml").exit_code == 0
    config = stored(config_dir)
    assert (config["namespace"], config["format"]) == ("prod", "yaml")
    assert stat.S_IMODE((config_dir / "config.json").stat().st_mode) == 0o600
    view = run("config", "view").stdout
    assert "prod" in view and "yaml" in view and "access" not in view


def test_corrupt_config_is_a_clear_error(run: Run, config_dir: Path) -> None:
    config_dir.mkdir()
    (config_dir / "config.json").write_text("{not json")
    result = run("check", "list")
    assert result.exit_code == 1
    assert "is not valid JSON" in result.stderr


def test_selectors_are_sent_as_query_parameters(
    run: Run, login: Callable[[], None], namespace: str, checks: Callable[..., str]
) -> None:
    checks("eu-published", {"region": "eu"}, publish=True)
    checks("eu-quiet", {"region": "eu"}, publish=False)
    checks("us-published", {"region": "us"}, publish=True)
    login()
    result = run(
        "check", "list", "-n", namespace, "--field-selector", "check.publish == true",
        "--label-selector", 'region == "eu"',
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [c["metadata"]["name"] for c in json.loads(result.stdout)] == ["eu-published"]
