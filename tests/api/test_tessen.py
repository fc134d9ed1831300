"""/api/core/v2/tessen as Sensu serves it: the default stored at start, PUT echoes, metrics
sink open."""

from __future__ import annotations

import contextlib
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer, client_for, fresh_pg_database, token_for
from vigil.settings import Settings

TESSEN = "/api/core/v2/tessen"


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_fresh_server_answers_the_default(tmp_path: Path, store: str) -> None:
    """A backend stores ``{"opt_out": false}`` when it starts, so clients never see 404."""
    with contextlib.ExitStack() as stack:
        settings = Settings(state_dir=str(tmp_path))
        if store == "postgres":
            settings = settings.replace(
                store=store, pg_url=stack.enter_context(fresh_pg_database())
            )
        server = LiveServer(settings).start()
        stack.callback(server.stop)
        with client_for(server.url, token_for(server.url)) as admin:
            first = admin.get(TESSEN)
            assert first.status_code == 200, first.text
            assert first.json() == {"opt_out": False}
            assert admin.put(TESSEN, json={"opt_out": True}).status_code == 200
        server.stop()
        again = LiveServer(settings).start()  # a restart keeps what was stored
        stack.callback(again.stop)
        with client_for(again.url, token_for(again.url)) as admin:
            assert admin.get(TESSEN).json() == {"opt_out": True}


def test_put_round_trips(admin: httpx.Client) -> None:
    put = admin.put(TESSEN, json={"opt_out": True})
    assert put.status_code == 200
    assert put.json() == {"opt_out": True}
    got = admin.get(TESSEN)
    assert got.json() == {"opt_out": True}
    assert got.headers["etag"] == put.headers["etag"]
    assert admin.put(TESSEN, json={"opt_out": "yes"}).status_code == 400
    assert admin.get(TESSEN).json() == {"opt_out": True}


def test_wrong_methods(admin: httpx.Client) -> None:
    assert admin.post(TESSEN, json={}).status_code == 405
    assert admin.get(f"{TESSEN}/metrics").status_code == 405
    assert admin.get(f"{TESSEN}/other").status_code == 404


def test_metrics_sink_is_open_and_echoes(anon: httpx.Client) -> None:
    points = [{"name": "vigil.test", "value": 1, "timestamp": 1}]
    response = anon.post(f"{TESSEN}/metrics", json=points)
    assert response.status_code == 200
    assert response.json() == points
    assert anon.post(f"{TESSEN}/metrics", json={"not": "a list"}).status_code == 400


def test_only_cluster_wide_star_rules_reach_tessen(admin: httpx.Client, live: LiveServer) -> None:
    user = {"username": "tessen-viewer", "password": "P@ssw0rd!", "groups": []}
    assert admin.put("/api/core/v2/users/tessen-viewer", json=user).status_code == 201
    binding = {
        "metadata": {"name": "tessen-viewer"},
        "role_ref": {"type": "ClusterRole", "name": "view"},
        "subjects": [{"type": "User", "name": "tessen-viewer"}],
    }
    assert admin.post("/api/core/v2/clusterrolebindings", json=binding).status_code == 201
    with client_for(live.url, token_for(live.url, "tessen-viewer", "P@ssw0rd!")) as viewer:
        assert viewer.get("/api/core/v2/checks").status_code == 200
        assert viewer.get(TESSEN).status_code == 403
        assert viewer.put(TESSEN, json={"opt_out": False}).status_code == 403
    assert anon_get_is_401(live.url)


def anon_get_is_401(url: str) -> bool:
    return httpx.get(f"{url}{TESSEN}").status_code == 401
