"""schemathesis drives every operation of ``/api/openapi.json`` against a live server of its
own: no 5xx, and every status, content type and body conforms to the document.

Bounded here (``make test``); ``make fuzz`` raises the budget through
``VIGIL_SCHEMATHESIS_EXAMPLES``, ``_PHASES`` and ``_TIMEOUT``. The operations that can revoke
the fuzzer's own credential (delete or re-point its API key, disable its user, change
passwords and groups, cluster roles and bindings) run last, in a second pass with a fresh
key, so they cannot lock the first pass out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer, client_for, token_for
from vigil.settings import Settings

EXAMPLES = os.environ.get("VIGIL_SCHEMATHESIS_EXAMPLES", "2")
PHASES = os.environ.get("VIGIL_SCHEMATHESIS_PHASES", "examples,fuzzing")
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    )
)
# Operation ids (vigil.api.openapi) that can take the fuzzer's credential away.
REVOKING = (
    r"^((delete|patch)_api_core_v2_apikeys_name"
    r"|(put|delete)_api_core_v2_users_name.*"
    r"|(put|patch|delete)_api_core_v2_clusterrole.*_name)$"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    state: Path = tmp_path_factory.mktemp("fuzz")
    live = LiveServer(Settings(state_dir=str(state))).start()
    yield live
    live.stop()


def _api_key(url: str) -> str:
    with client_for(url, token_for(url)) as admin:
        response = admin.post("/api/core/v2/apikeys", json={"username": "admin"})
        assert response.status_code == 201
        return response.headers["location"].rsplit("/", 1)[1]


def _run(url: str, *selection: str) -> str:
    key = _api_key(url)
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{url}/api/openapi.json",
        "--header",
        f"Authorization: Key {key}",
        "--checks",
        CHECKS,
        "--phases",
        PHASES,
        "--max-examples",
        EXAMPLES,
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--warnings",
        "off",
        *selection,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
    return key


@pytest.mark.timeout(int(os.environ.get("VIGIL_SCHEMATHESIS_TIMEOUT", "600")))
def test_every_operation_conforms_and_never_fails_on_the_server(server: LiveServer) -> None:
    key = _run(server.url, "--exclude-operation-id-regex", REVOKING)
    # the first pass kept its credential, so it reached the handlers (not just 401s)
    probe = httpx.get(
        f"{server.url}/api/core/v2/namespaces", headers={"Authorization": f"Key {key}"}
    )
    assert probe.status_code == 200
    _run(server.url, "--include-operation-id-regex", REVOKING)
    assert httpx.get(f"{server.url}/health").status_code == 200
