"""One real ``vigil start`` (API + dashboard listeners) for the package and one headless Debian
chromium per module, driven by Playwright; seeded through the public API like any client would."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.support import ServerProcess, client_for, init_state, token_for

API = "/api/core/v2"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWER = "viewer"
VIEWER_PASSWORD = "V1ewer-pass!"
# (entity, check, status, output): three statuses, multi-line outputs, several entities.
SEEDED = [
    ("web-1", "http", 0, "HTTP OK: 200 in 0.012 s\nbody 5120 bytes"),
    ("web-2", "http", 2, "CRITICAL: connection refused\nconnect to 10.0.0.12:443 failed"),
    ("web-3", "http", 0, "HTTP OK: 200 in 0.009 s"),
    ("db-1", "disk", 1, "WARNING: /var at 85% (17 GB of 20 GB)\n/ at 40%"),
    ("db-1", "postgres", 0, "OK: 12 connections"),
    ("db-2", "disk", 0, "OK: /var at 41%"),
    ("db-2", "postgres", 2, "CRITICAL: replication lag 412 s"),
    ("cache-1", "memory", 1, "WARNING: 91% of memory in use"),
    ("cache-1", "redis", 0, "PONG in 0.4 ms"),
    ("queue-1", "rabbitmq", 0, "OK: 3 nodes running"),
]


class Dashboard:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.url = server.dashboard_url
        self.api_url = server.url

    def admin(self) -> httpx.Client:
        return client_for(self.api_url, token_for(self.api_url))


def _seed(admin: httpx.Client) -> None:
    checks = {check for _, check, _, _ in SEEDED}
    for check in sorted(checks):
        doc = {
            "metadata": {"name": check, "namespace": "default"},
            "command": f"check-{check}",
            "interval": 60,
            "subscriptions": [check],
            "publish": False,
        }
        assert admin.post(f"{API}/namespaces/default/checks", json=doc).status_code == 201
    for entity, check, status, output in SEEDED:
        doc: dict[str, Any] = {
            "entity": {
                "metadata": {"name": entity, "namespace": "default"},
                "entity_class": "proxy",
            },
            "check": {
                "metadata": {"name": check, "namespace": "default"},
                "status": status,
                "output": output,
                "interval": 60,
                "command": f"check-{check}",
            },
        }
        response = admin.post(f"{API}/namespaces/default/events", json=doc)
        assert response.status_code == 201, response.text
    assert admin.post(f"{API}/namespaces", json={"name": "staging"}).status_code == 201
    staged = {
        "entity": {"metadata": {"name": "stage-1", "namespace": "staging"}},
        "check": {"metadata": {"name": "smoke", "namespace": "staging"}, "status": 1},
    }
    assert admin.post(f"{API}/namespaces/staging/events", json=staged).status_code == 201
    user = {"username": VIEWER, "password": VIEWER_PASSWORD, "groups": ["viewers"]}
    assert admin.post(f"{API}/users", json=user).status_code == 201
    binding = {
        "metadata": {"name": "viewers"},
        "role_ref": {"type": "ClusterRole", "name": "view"},
        "subjects": [{"type": "Group", "name": "viewers"}],
    }
    assert admin.post(f"{API}/clusterrolebindings", json=binding).status_code == 201


@pytest.fixture(scope="package")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    state = tmp_path_factory.mktemp("dashboard-state")
    init_state(state)
    server = ServerProcess(state).start()
    try:
        found = Dashboard(server)
        with found.admin() as admin:
            _seed(admin)
        yield found
    finally:
        server.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


class Console:
    """Every console error and uncaught exception of one page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "assert"):
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")


@pytest.fixture
def page(browser: Browser, dashboard: Dashboard) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 760})
    # Live updates every second, so a test sees the server's changes without waiting long.
    context.add_init_script("localStorage.setItem('vigil.pollSeconds', '1')")
    context.set_default_timeout(15000)
    opened = context.new_page()
    opened.console = Console(opened)  # type: ignore[attr-defined]
    yield opened
    context.close()


def console_errors(page: Page) -> list[str]:
    errors: list[str] = page.console.errors  # type: ignore[attr-defined]
    return errors


def sign_in(page: Page, dashboard: Dashboard, username: str, password: str) -> None:
    page.goto(dashboard.url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def screenshot_path(tmp: Path) -> Path:
    """Where the round trip saves its picture of the events page: the README's
    ``docs/dashboard.png`` when ``VIGIL_UPDATE_SCREENSHOT=1`` (so an ordinary run leaves the
    work tree clean), else a temporary file."""
    if os.environ.get("VIGIL_UPDATE_SCREENSHOT") == "1":
        return Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
    return tmp / "dashboard.png"
