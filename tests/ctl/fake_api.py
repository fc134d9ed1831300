"""A tiny in-memory stand-in for the HTTP API, plugged in through httpx's transport seam.

It exercises the client's own logic (paging, refresh, error decoding) without a server; the
end-to-end tests in test_e2e.py run the same commands against the real one.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

USER, PASSWORD = "admin", "P@ssw0rd!"


class FakeApi:
    def __init__(self, items: int = 5) -> None:
        self.generation = 0
        self.access = self.refresh = ""
        self.requests: list[httpx.Request] = []
        self.checks = [
            {"metadata": {"name": f"c{i}", "namespace": "default"}, "command": f"cmd {i}"}
            for i in range(items)
        ]
        self.issue()

    def issue(self) -> dict[str, Any]:
        self.generation += 1
        self.access, self.refresh = f"access-{self.generation}", f"refresh-{self.generation}"
        return {"access_token": self.access, "refresh_token": self.refresh, "expires_at": 4e9}

    def expire_access(self) -> None:
        """Server-side invalidation: the stored access token now yields 401."""
        self.access = "rotated-away"

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, auth = request.url.path, request.headers.get("Authorization", "")
        if path == "/auth":
            expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if auth != f"Basic {expected}":
                return httpx.Response(401, text="Unauthorized\n")
            return httpx.Response(200, json=self.issue())
        if path == "/auth/token":
            if json.loads(request.content).get("refresh_token") != self.refresh:
                return httpx.Response(401, text="Unauthorized\n")
            return httpx.Response(200, json=self.issue())
        if auth not in (f"Bearer {self.access}", "Key k-123"):
            return httpx.Response(401, json={"Code": 5, "Message": "invalid credentials"})
        return self.route(request)

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/core/v2/apikeys" and request.method == "POST":
            return httpx.Response(201, headers={"Location": "/api/core/v2/apikeys/uuid-1"})
        if path.endswith("/checks") and request.method == "GET":
            return self.page(request)
        if path.endswith("/checks/broken"):
            return httpx.Response(400, json={"message": "resource is invalid: nope", "code": 1})
        if request.method in ("PUT", "DELETE"):
            return httpx.Response(201 if request.method == "PUT" else 204)
        return httpx.Response(404, json={"message": "not found", "code": 2})

    def page(self, request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params.get("limit", 0))
        start = int(request.url.params.get("continue", 0))
        if not limit:
            return httpx.Response(200, json=self.checks)
        chunk = self.checks[start : start + limit]
        headers = {}
        if start + limit < len(self.checks):
            headers["Sensu-Continue"] = str(start + limit)
        return httpx.Response(200, json=chunk, headers=headers)
