"""The seeds' curl commands, run verbatim with real curl (only the port differs)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable

import httpx
import pytest

from tests.support import ADMIN, PASSWORD, LiveServer


def sh(live: LiveServer, command: str, **env: str) -> str:
    command = command.replace("8080", str(live.settings.port))
    result = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def api_key(admin: httpx.Client) -> str:
    response = admin.post("/api/core/v2/apikeys", json={"username": ADMIN})
    assert response.status_code == 201
    return response.headers["location"].rsplit("/", 1)[1]


def test_authentication_quickstart(live: LiveServer) -> None:
    out = sh(
        live,
        'export SENSU_ACCESS_TOKEN=`curl -X GET -u "$SENSU_USER:$SENSU_PASS" -s '
        'http://localhost:8080/auth | jq -r ".access_token"`; echo $SENSU_ACCESS_TOKEN',
        SENSU_USER=ADMIN,
        SENSU_PASS=PASSWORD,
    )
    assert out.startswith("eyJ")
    tokens = json.loads(sh(live, f"curl -u '{ADMIN}:{PASSWORD}' http://localhost:8080/auth"))
    assert set(tokens) == {"access_token", "expires_at", "refresh_token"}
    events = sh(
        live,
        f'curl -H "Authorization: Bearer {tokens["access_token"]}" \\\n'
        "http://127.0.0.1:8080/api/core/v2/namespaces/default/events",
    )
    assert json.loads(events) == [] or isinstance(json.loads(events), list)
    refreshed = sh(
        live,
        f'curl -H "Authorization: Bearer {tokens["access_token"]}" \\\n'
        "-H 'Content-Type: application/json' \\\n"
        f'-d \'{{"refresh_token": "{tokens["refresh_token"]}"}}\' \\\n'
        "http://127.0.0.1:8080/auth/token",
    )
    assert set(json.loads(refreshed)) == {"access_token", "expires_at", "refresh_token"}


def test_api_key_examples(live: LiveServer, api_key: str) -> None:
    out = sh(
        live,
        'curl -H "Authorization: Key $SENSU_API_KEY" '
        "http://127.0.0.1:8080/api/core/v2/namespaces/default/checks",
        SENSU_API_KEY=api_key,
    )
    assert isinstance(json.loads(out), list)
    out = sh(
        live,
        f'curl -H "Authorization: Key {api_key}" '
        "http://127.0.0.1:8080/api/core/v2/namespaces/default/checks",
    )
    assert isinstance(json.loads(out), list)


def test_pagination_example(live: LiveServer, admin: httpx.Client, api_key: str) -> None:
    user = {"username": "alice", "password": "P@ssw0rd!1", "groups": ["ops"]}
    assert admin.put("/api/core/v2/users/alice", json=user).status_code == 201
    out = sh(
        live,
        "curl -i http://127.0.0.1:8080/api/core/v2/users?limit=2 "
        '-H "Authorization: Key $SENSU_API_KEY"',
        SENSU_API_KEY=api_key,
    )
    head, _, payload = out.partition("\n\n")
    assert len(json.loads(payload)) == 2
    assert "sensu-continue:" in head.lower()


def test_conditional_patch_examples(
    live: LiveServer, admin: httpx.Client, api_key: str, unique: Callable[[str], str]
) -> None:
    asset = {
        "metadata": {"name": "sensu-slack-handler", "namespace": "default"},
        "url": "https://example.com/h.tar.gz",
        "sha512": "b" * 128,
    }
    assert (
        admin.put(
            "/api/core/v2/namespaces/default/assets/sensu-slack-handler", json=asset
        ).status_code
        == 201
    )
    patch = """curl -s -o /dev/null -w '%{http_code}' -X PATCH \\
-H "Authorization: Key $SENSU_API_KEY" \\
-H 'Content-Type: application/merge-patch+json' \\
-H 'If-Match: "drrn157624731797"' \\
-d '{
  "metadata": {
    "labels": {
      "region": "us-west-1"
    }
  }
}' \\
http://127.0.0.1:8080/api/core/v2/namespaces/default/assets/sensu-slack-handler"""
    assert sh(live, patch, SENSU_API_KEY=api_key) == "412"
    none_match = patch.replace(
        'If-Match: "drrn157624731797"', 'If-None-Match: "drrn157624731797", "reew237527931897"'
    )
    assert sh(live, none_match, SENSU_API_KEY=api_key) == "200"
    got = admin.get("/api/core/v2/namespaces/default/assets/sensu-slack-handler").json()
    assert got["metadata"]["labels"] == {"region": "us-west-1"}
    etag = admin.get("/api/core/v2/namespaces/default/assets/sensu-slack-handler").headers["etag"]
    assert sh(live, patch.replace('"drrn157624731797"', etag), SENSU_API_KEY=api_key) == "200"


SELECTOR_EXAMPLES = [
    ("checks", 'labelSelector=type == "server"'),
    ("checks", 'fieldSelector=check.namespace != "production"'),
    ("checks", "fieldSelector=linux in check.subscriptions"),
    ("checks", "fieldSelector=slack notin check.handlers"),
    ("checks", 'fieldSelector=check.name matches "linux"'),
    ("entities", 'fieldSelector=entity.name matches "webserver-"'),
    ("entities", 'labelSelector:region matches "us"'),
    ("checks", "fieldSelector=check.publish != true && linux in check.subscriptions"),
    (
        "checks",
        "fieldSelector=check.publish != true && linux in check.subscriptions && "
        "dev in check.namespace",
    ),
    ("entities", 'labelSelector=region == "us-west-1"'),
    ("entities", 'fieldSelector="entity:i-0c1f8a116b84ea50c" in entity.subscriptions'),
    ("checks", "fieldSelector=check.namespace in [dev,production]"),
    ("events", "fieldSelector=checkhttp in event.check.name"),
    ("events", "fieldSelector=server in event.entity.name"),
    ("events", 'fieldSelector=event.check.status == "2"'),
    ("events", 'fieldSelector=event.entity.status != "0"'),
    ("events", "fieldSelector=linux in event.entity.subscriptions"),
    ("silenced", 'fieldSelector=silenced.namespace == "default"'),
    ("silenced", 'fieldSelector=silenced.namespace != "default"'),
    ("events", "fieldSelector=event.is_silenced == true"),
    ("silenced", 'fieldSelector=silenced.creator == "alice"'),
    ("silenced", 'fieldSelector=silenced.creator != "admin"'),
    ("silenced", 'fieldSelector=silenced.subscription == "linux"'),
    ("silenced", "fieldSelector=linux in silenced.subscription"),
    ("silenced", "fieldSelector=silenced.expire_on_resolve == true"),
]


@pytest.mark.parametrize("kind,selector", SELECTOR_EXAMPLES, ids=[s for _, s in SELECTOR_EXAMPLES])
def test_selector_examples_answer(live: LiveServer, api_key: str, kind: str, selector: str) -> None:
    out = sh(
        live,
        f'curl -s -w "\\n%{{http_code}}" -H "Authorization: Key $SENSU_API_KEY" '
        f"http://127.0.0.1:8080/api/core/v2/{kind} -G \\\n"
        f"--data-urlencode '{selector}'",
        SENSU_API_KEY=api_key,
    )
    payload, _, status = out.rpartition("\n")
    assert status == "200", payload
    assert isinstance(json.loads(payload), list)
