"""Commands through click, against the in-memory API (the e2e tests repeat them for real)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.ctl.conftest import Run
from tests.ctl.fake_api import PASSWORD, USER, FakeApi
from vigil.ctl.context import CtlContext
from vigil.ctl.main import cli


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def run(api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    for name in ("VIGIL_API_KEY", "SENSU_API_KEY", "SENSU_NAMESPACE", "VIGIL_URL"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, input: str | None = None) -> Result:
        ctl = CtlContext(config_dir_override=str(tmp_path), transport=api.transport)
        return CliRunner().invoke(cli, list(args), obj=ctl, input=input)

    return invoke


CONFIGURE = ("configure", "--non-interactive", "--url", "http://api")


def login(run: Run) -> None:
    result = run(*CONFIGURE, "--username", USER, "--password", PASSWORD, "--format", "json")
    assert result.exit_code == 0, result.output


def test_configure_writes_a_private_config(run: Run, tmp_path: Path, api: FakeApi) -> None:
    login(run)
    path = tmp_path / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["access_token"] == api.access
    assert stored["format"] == "json"


def test_configure_non_interactive_needs_credentials(run: Run) -> None:
    result = run(*CONFIGURE, "--username", USER)
    assert result.exit_code == 1
    assert "Error: --password is required" in result.stderr


def test_configure_prompts_when_interactive(run: Run) -> None:
    result = run("configure", input=f"http://api\n{USER}\n{PASSWORD}\nprod\nyaml\n")
    assert result.exit_code == 0, result.output
    assert run("check", "list").stdout.startswith("type: CheckConfig")


def test_list_uses_configured_format_and_chunking(run: Run, api: FakeApi) -> None:
    login(run)
    result = run("check", "list", "--chunk-size", "2")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 5
    assert sum(r.url.path.endswith("/checks") for r in api.requests) == 3


def test_global_format_and_refresh_persisted(run: Run, api: FakeApi, tmp_path: Path) -> None:
    login(run)
    api.expire_access()
    result = run("--format", "tabular", "check", "list", "--all-namespaces")
    assert result.exit_code == 0, result.output
    assert result.stdout.split()[:2] == ["Name", "Namespace"]
    assert json.loads((tmp_path / "config.json").read_text())["access_token"] == api.access


def test_api_key_from_environment(run: Run, api: FakeApi) -> None:
    result = CliRunner(env={"VIGIL_API_KEY": "k-123"}).invoke(
        cli,
        ["--url", "http://api", "check", "list", "--format", "json"],
        obj=CtlContext(config_dir_override="/nonexistent-vigilctl", transport=api.transport),
    )
    assert result.exit_code == 0, result.output
    assert api.requests[-1].headers["Authorization"] == "Key k-123"


def test_errors_are_printed_and_exit_1(run: Run, api: FakeApi) -> None:
    login(run)
    result = run("check", "info", "missing")
    assert api.requests[-1].url.path.endswith("/checks/missing")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: not found"


def test_not_logged_in(run: Run) -> None:
    result = run("check", "list")
    assert result.exit_code == 1
    assert "not logged in" in result.stderr


def test_create_reports_each_failure(run: Run, tmp_path: Path) -> None:
    login(run)
    source = tmp_path / "in.yaml"
    source.write_text(
        "type: CheckConfig\nmetadata: {name: ok}\nspec: {}\n---\n"
        "type: CheckConfig\nmetadata: {name: broken}\nspec: {}\n"
    )
    result = run("create", "-f", str(source))
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: CheckConfig broken: resource is invalid: nope"


def test_create_from_stdin_and_directory(run: Run, api: FakeApi, tmp_path: Path) -> None:
    login(run)
    doc = '{"type": "Handler", "metadata": {"name": "h"}, "spec": {"type": "set"}}'
    assert run("create", "-f", "-", input=doc).exit_code == 0
    assert api.requests[-1].url.path == "/api/core/v2/namespaces/default/handlers/h"
    nested = tmp_path / "defs" / "sub"
    nested.mkdir(parents=True)
    (nested / "n.json").write_text('{"type": "Namespace", "spec": {"name": "deep"}}')
    assert run("create", "-f", str(tmp_path / "defs")).exit_code == 0
    assert api.requests[-1].url.path != "/api/core/v2/namespaces/deep"
    assert run("create", "-r", "-f", str(tmp_path / "defs")).exit_code == 0
    assert api.requests[-1].url.path == "/api/core/v2/namespaces/deep"


def test_create_refuses_bad_input_before_sending(run: Run, api: FakeApi, tmp_path: Path) -> None:
    login(run)
    before = len(api.requests)
    result = run("create", "-f", "-", input='{"type": "Widget", "metadata": {"name": "w"}}')
    assert result.exit_code == 1
    assert "unsupported resource type core/v2.Widget" in result.stderr
    assert len(api.requests) == before


def test_api_key_grant_prints_location(run: Run) -> None:
    login(run)
    result = run("api-key", "grant", "admin")
    assert result.stdout.strip() == "Created: /api/core/v2/apikeys/uuid-1"


def test_delete_asks_for_the_name(run: Run, api: FakeApi) -> None:
    login(run)
    assert run("check", "delete", "c1", input="nope\n").stdout.strip().endswith("Canceled")
    assert api.requests[-1].method != "DELETE"
    assert run("check", "delete", "c1", input="c1\n").stdout.strip().endswith("Deleted")
    assert run("event", "delete", "e", "c", "--skip-confirm").stdout.strip() == "Deleted"
    assert api.requests[-1].url.path == "/api/core/v2/namespaces/default/events/e/c"


def test_env_prints_the_session(run: Run, api: FakeApi) -> None:
    login(run)
    result = run("env")
    assert f'export SENSU_ACCESS_TOKEN="{api.access}"' in result.stdout
    assert 'export SENSU_FORMAT="json"' in result.stdout


def test_config_set_namespace_and_format(run: Run, tmp_path: Path) -> None:
    login(run)
    assert run("config", "set-namespace", "prod").exit_code == 0
    assert run("config", "set-format", "yaml").exit_code == 0
    stored = json.loads((tmp_path / "config.json").read_text())
    assert (stored["namespace"], stored["format"]) == ("prod", "yaml")
    assert stat.S_IMODE((tmp_path / "config.json").stat().st_mode) == 0o600
    view = run("config", "view").stdout
    assert "prod" in view and "yaml" in view and "access" not in view


def test_corrupt_config_is_a_clear_error(run: Run, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    result = run("check", "list")
    assert result.exit_code == 1
    assert "is not valid JSON" in result.stderr


def test_selectors_are_sent_as_query_parameters(run: Run, api: FakeApi) -> None:
    login(run)
    result = run(
        "check", "list", "--field-selector", "check.publish == true",
        "--label-selector", 'region == "eu"',
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    params = api.requests[-1].url.params
    assert params["fieldSelector"] == "check.publish == true"
    assert params["labelSelector"] == 'region == "eu"'
