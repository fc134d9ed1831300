"""The dashboard listener over plain HTTP: static files with a strict policy, the API on
the same origin (forwarded in-process), the caller's own permissions, and a clear failure
when its port is taken."""

from __future__ import annotations

import http.client
import socket
import subprocess
from pathlib import Path

import httpx

from tests.dashboard.conftest import API, VIEWER, VIEWER_PASSWORD, Dashboard
from tests.support import client_for, init_state, token_for, vigil_cmd


def test_index_and_modules_are_served_with_a_strict_policy(dashboard: Dashboard) -> None:
    index = httpx.get(dashboard.url + "/")
    assert index.status_code == 200
    assert 'type="module"' in index.text
    policy = index.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert index.headers["x-content-type-options"] == "nosniff"
    module = httpx.get(dashboard.url + "/js/main.js")
    assert module.status_code == 200
    assert "javascript" in module.headers["content-type"]
    again = httpx.get(
        dashboard.url + "/js/main.js", headers={"If-None-Match": module.headers["etag"]}
    )
    assert again.status_code == 304


def test_nothing_outside_the_static_folder_is_served(dashboard: Dashboard) -> None:
    host, port = dashboard.url.removeprefix("http://").split(":")
    for raw in ("/../app.py", "/js/../../serve.py", "/%2e%2e/app.py", "/missing.js"):
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", raw)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == 404, raw
        assert b"import" not in body
    assert httpx.post(dashboard.url + "/").status_code == 405


def test_the_api_is_forwarded_on_the_same_origin(dashboard: Dashboard) -> None:
    token = token_for(dashboard.url)  # /auth through the dashboard port
    with client_for(dashboard.url, token) as here, client_for(dashboard.api_url, token) as api:
        ours = here.get(f"{API}/namespaces/default/events")
        theirs = api.get(f"{API}/namespaces/default/events")
        assert ours.status_code == theirs.status_code == 200
        assert ours.json() == theirs.json()
        assert (
            here.get(
                f"{API}/namespaces/default/events", headers={"If-None-Match": ours.headers["etag"]}
            ).status_code
            == 304
        )
        assert here.get("/version").status_code == 200
    assert httpx.get(f"{dashboard.url}{API}/namespaces").status_code == 401
    assert httpx.get(f"{dashboard.url}/auth", auth=("admin", "wrong")).status_code == 401


def test_permissions_are_the_callers_own(dashboard: Dashboard) -> None:
    url = f"{dashboard.url}/dashboard/permissions"
    with client_for(dashboard.url, token_for(dashboard.url)) as admin:
        allowed = admin.get(url, params={"namespace": "default"}).json()["allowed"]
        assert allowed["events"] == ["get", "list", "create", "update", "delete"]
        assert admin.post(url).status_code == 405
    viewer_token = token_for(dashboard.url, VIEWER, VIEWER_PASSWORD)
    with client_for(dashboard.url, viewer_token) as viewer:
        allowed = viewer.get(url, params={"namespace": "default"}).json()["allowed"]
        assert allowed == {kind: ["get", "list"] for kind in allowed}
        assert set(allowed) == {"events", "entities", "checks", "silenced"}
    refused = httpx.get(url, params={"namespace": "default"})
    assert refused.status_code == 401
    assert refused.json()["message"]


def test_a_taken_dashboard_port_stops_start_with_a_clear_message(tmp_path: Path) -> None:
    init_state(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with socket.socket() as api_sock:
            api_sock.bind(("127.0.0.1", 0))
            api_port = api_sock.getsockname()[1]
        result = subprocess.run(
            vigil_cmd(
                "start",
                "--state-dir",
                str(tmp_path),
                "--api-listen-address",
                f"127.0.0.1:{api_port}",
                "--dashboard-port",
                str(port),
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"cannot listen on dashboard address 127.0.0.1:{port}" in result.stderr


def test_permissions_follow_namespace_role_bindings(dashboard: Dashboard) -> None:
    with dashboard.admin() as admin:
        user = {"username": "stager", "password": "St4ger-pass!", "groups": ["stagers"]}
        assert admin.post(f"{API}/users", json=user).status_code == 201
        binding = {
            "metadata": {"name": "stagers", "namespace": "staging"},
            "role_ref": {"type": "ClusterRole", "name": "edit"},
            "subjects": [{"type": "Group", "name": "stagers"}],
        }
        response = admin.post(f"{API}/namespaces/staging/rolebindings", json=binding)
        assert response.status_code == 201, response.text
    url = f"{dashboard.url}/dashboard/permissions"
    with client_for(dashboard.url, token_for(dashboard.url, "stager", "St4ger-pass!")) as stager:
        staging = stager.get(url, params={"namespace": "staging"}).json()["allowed"]
        assert staging["silenced"] == ["get", "list", "create", "update", "delete"]
        default = stager.get(url, params={"namespace": "default"}).json()["allowed"]
        assert default == {kind: [] for kind in default}
        assert [ns["name"] for ns in stager.get(f"{API}/namespaces").json()] == ["staging"]
