"""Hostile input gets a 400 that names the problem, on both stores, and changes nothing."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.support import LiveServer, wait_for

CHECKS = "/api/core/v2/namespaces/default/checks"
EVENTS = "/api/core/v2/namespaces/default/events"


def _check(name: str, extra: str = "") -> str:
    return (
        f'{{"metadata":{{"name":"{name}","namespace":"default"}},'
        f'"command":"true","interval":10{extra}}}'
    )


def test_json_nested_a_thousand_levels_is_400(admin: httpx.Client) -> None:
    deep = _check("deep-json", ',"x":' + "[" * 1000 + "]" * 1000)
    response = admin.post(CHECKS, content=deep)
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["message"]
    assert admin.get(f"{CHECKS}/deep-json").status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (CHECKS, b'{"metadata":{"name":"\xff\xfe","namespace":"default"}}'),
        (f"{CHECKS}/bad-utf8", _check("bad-utf8").encode().replace(b"true", b"\xed\xa0\x80")),
        (EVENTS, b'{"entity":{"metadata":{"name":"e\xff"}},"check":{"metadata":{"name":"c"}}}'),
    ],
)
def test_invalid_utf8_is_400(admin: httpx.Client, path: str, body: bytes) -> None:
    response = admin.request("PUT" if path.endswith("bad-utf8") else "POST", path, content=body)
    assert response.status_code == 400, response.text
    assert "UTF-8" in response.json()["message"]


@pytest.mark.parametrize("limit", ["99999999999999999999", "9223372036854775807", "2147483648"])
@pytest.mark.parametrize("path", [CHECKS, EVENTS])
def test_huge_limit_is_400(admin: httpx.Client, path: str, limit: str) -> None:
    response = admin.get(f"{path}?limit={limit}")
    assert response.status_code == 400, response.text
    assert "limit" in response.json()["message"]
    assert admin.get(f"{path}?limit=2147483647").status_code == 200


def _errors_in_metrics(admin: httpx.Client) -> list[str]:
    text = admin.get("/metrics").text
    return [
        line
        for line in text.splitlines()
        if line.startswith("vigil_http_requests_total") and 'status="5' in line
    ]


def test_disconnect_mid_body_is_not_an_error(live: LiveServer, admin: httpx.Client) -> None:
    before = _errors_in_metrics(admin)
    token = admin.headers["Authorization"]
    host, port = live.settings.host, live.settings.port
    for _ in range(3):
        with socket.create_connection((host, port)) as sock:
            sock.sendall(
                f"POST {CHECKS} HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n"
                "Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n"
                '{"metadata":'.encode()
            )
    # Each abandoned request is counted as the client's doing (499), never as a 5xx.
    wait_for(lambda: 'status="499"' in admin.get("/metrics").text)
    assert _errors_in_metrics(admin) == before
