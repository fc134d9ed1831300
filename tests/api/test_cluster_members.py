"""``/api/core/v2/cluster/members`` and ``/cluster/id`` as sensuctl reads them: one member per
live backend sharing the store (each heartbeats a row), automatic membership."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import msgspec

from tests.support import LiveServer, client_for, fresh_pg_database, token_for, wait_for
from vigil.membership import MEMBERS, MemberRow
from vigil.settings import Settings
from vigil.store import open_store
from vigil.store.base import Put


async def _silent_member(settings: Settings, url: str) -> None:
    """A backend that heartbeated once, then died without leaving (killed, cut off)."""
    store = await open_store(settings)
    try:
        row = MemberRow(12345, "gone", [url], time.time())
        await store.apply([Put(MEMBERS, "", "3039", msgspec.json.encode(row))])
    finally:
        await store.close()


CLUSTER = "/api/core/v2/cluster"


def test_this_backend_is_the_one_member(admin: httpx.Client, live: LiveServer) -> None:
    listed = admin.get(f"{CLUSTER}/members")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    (member,) = body["members"]
    assert body["header"]["member_id"] == member["ID"] > 0
    assert body["header"]["cluster_id"] > 0
    assert member["name"] and member["clientURLs"] == [live.url]
    cluster_id = admin.get(f"{CLUSTER}/id")
    assert cluster_id.status_code == 200
    assert len(cluster_id.json()) == 36  # a UUID, JSON-encoded as a string (sensuctl's read)
    assert admin.get(f"{CLUSTER}/id").json() == cluster_id.json()
    assert admin.get(f"{CLUSTER}/members?timeout=x").status_code == 400


def test_membership_is_automatic(admin: httpx.Client) -> None:
    for response in (
        admin.post(f"{CLUSTER}/members?peer-addrs=http://10.0.0.2:2380"),
        admin.put(f"{CLUSTER}/members/8927110dc66458af?peer-addrs=http://10.0.0.2:2380"),
        admin.delete(f"{CLUSTER}/members/8927110dc66458af"),
    ):
        assert response.status_code == 400, response.text
        assert "automatic" in response.json()["message"]
    assert admin.get(f"{CLUSTER}/other").status_code == 404
    assert admin.patch(f"{CLUSTER}/id").status_code == 405


def test_only_star_rules_reach_members(admin: httpx.Client, live: LiveServer) -> None:
    """Sensu's cluster routes have no resource name: only rules on ``*`` reach them."""
    user = {"username": "member-viewer", "password": "P@ssw0rd!", "groups": []}
    assert admin.put("/api/core/v2/users/member-viewer", json=user).status_code == 201
    for name, resources in (("members-named", ["cluster-members", "cluster"]), ("star", ["*"])):
        role = {"metadata": {"name": name}, "rules": [{"verbs": ["*"], "resources": resources}]}
        assert admin.put(f"/api/core/v2/clusterroles/{name}", json=role).is_success
    binding = {
        "metadata": {"name": "member-viewer"},
        "role_ref": {"type": "ClusterRole", "name": "members-named"},
        "subjects": [{"type": "User", "name": "member-viewer"}],
    }
    assert admin.post("/api/core/v2/clusterrolebindings", json=binding).status_code == 201
    with client_for(live.url, token_for(live.url, "member-viewer", "P@ssw0rd!")) as viewer:
        assert viewer.get(f"{CLUSTER}/members").status_code == 403
        assert viewer.get(f"{CLUSTER}/id").status_code == 403
        binding["role_ref"] = {"type": "ClusterRole", "name": "star"}
        url = "/api/core/v2/clusterrolebindings/member-viewer"
        assert admin.put(url, json=binding).status_code == 201
        assert viewer.get(f"{CLUSTER}/members").status_code == 200
    assert httpx.get(f"{live.url}{CLUSTER}/members").status_code == 401


def test_backends_sharing_postgres_are_members_until_they_stop(tmp_path: Path) -> None:
    with fresh_pg_database() as url:
        settings = Settings(store="postgres", pg_url=url, cluster_heartbeat_interval=0.2)
        one = LiveServer(settings.replace(state_dir=str(tmp_path / "one"))).start()
        two = LiveServer(settings.replace(state_dir=str(tmp_path / "two"))).start()
        try:
            with client_for(one.url, token_for(one.url)) as admin:

                def members() -> list[str]:
                    body = admin.get(f"{CLUSTER}/members").json()
                    return sorted(url for m in body["members"] for url in m["clientURLs"])

                assert members() == sorted([one.url, two.url])
                health = httpx.get(f"{one.url}/health").json()  # sensuctl cluster health
                assert [m["Healthy"] for m in health["ClusterHealth"]] == [True, True]
                assert admin.get(f"{CLUSTER}/members").json()["members"][0]["clientURLs"] == [
                    one.url
                ]  # the answering backend first
                with client_for(two.url, token_for(two.url)) as other:
                    assert other.get(f"{CLUSTER}/id").json() == admin.get(f"{CLUSTER}/id").json()
                two.stop()  # a clean stop leaves at once
                assert members() == [one.url]
                asyncio.run(_silent_member(settings, "http://10.9.9.9:8080"))
                assert "http://10.9.9.9:8080" in members()  # until it misses 3 heartbeats
                assert wait_for(lambda: members() == [one.url])
        finally:
            two.stop()
            one.stop()
