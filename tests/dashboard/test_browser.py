"""The dashboard in a real headless chromium: an operator's round trip, a wrong password,
and a read-only user who is offered no write actions. No console errors anywhere."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.dashboard.conftest import (
    API,
    VIEWER,
    VIEWER_PASSWORD,
    Dashboard,
    console_errors,
    screenshot_path,
    sign_in,
)
from tests.support import ADMIN, PASSWORD


def rows(page: Page) -> object:
    return page.locator("table.events tbody tr[data-event]")


def test_operator_round_trip(page: Page, dashboard: Dashboard, tmp_path: Path) -> None:
    sign_in(page, dashboard, ADMIN, PASSWORD)
    table = page.locator("table.events tbody")
    expect(rows(page)).to_have_count(10)
    for word in ("passing", "warning", "critical"):
        expect(table.locator(".status", has_text=word).first).to_be_visible()
    # worst first by default
    expect(rows(page).first.locator(".status")).to_have_text("critical")

    # the output's first line shows; the full output on demand
    row = page.locator('tr[data-event="web-2/http"]')
    expect(row.locator(".first-line")).to_have_text("CRITICAL: connection refused")
    row.get_by_role("button", name="full output").click()
    expect(row.locator("pre.full-output")).to_contain_text("10.0.0.12:443")

    # a field selector, then free text, then a label-less miss; sorting by entity
    search = page.get_by_label("Filter")
    search.fill("event.check.status == 2")
    search.press("Enter")
    expect(rows(page)).to_have_count(2)
    expect(table.locator(".status", has_text="passing")).to_have_count(0)
    search.fill("db disk")
    search.press("Enter")
    expect(rows(page)).to_have_count(2)
    expect(table).to_contain_text("db-1")
    search.fill("event.check.status == ")
    search.press("Enter")
    expect(page.locator("#filter-problem [role=alert]")).to_be_visible()
    search.fill("")
    search.press("Enter")
    expect(rows(page)).to_have_count(10)
    page.get_by_role("button", name="Entity").click()
    expect(rows(page).first).to_have_attribute("data-event", "cache-1/memory")
    page.get_by_role("button", name="Entity").click()
    expect(rows(page).first).to_have_attribute("data-event", "web-3/http")

    # open the critical event: full output, history strip; silence it
    page.locator('tr[data-event="web-2/http"] a.event-link').click()
    expect(page.locator("h1")).to_have_text("web-2 / http")
    expect(page.locator("#output")).to_contain_text("connect to 10.0.0.12:443 failed")
    expect(page.locator("ol.history li")).to_have_count(1)
    expect(page.locator("#silenced-state")).to_have_text("not silenced")
    page.get_by_label("Reason").fill("deploying the fix")
    page.get_by_label("For").select_option("3600")
    page.get_by_role("button", name="Silence", exact=True).click()
    expect(page.locator("#silenced-state")).to_have_text("silenced")
    expect(page.locator(".silences")).to_contain_text("deploying the fix")

    # back on the list it is marked silenced
    page.get_by_role("link", name="Events", exact=True).first.click()
    expect(page.locator('tr[data-event="web-2/http"] .silenced-cell')).to_have_text("silenced")
    expect(page.locator('tr[data-event="web-1/http"] .silenced-cell')).to_have_text("—")
    page.get_by_role("button", name="Status").click()  # worst first again
    expect(rows(page).first.locator(".status")).to_have_text("critical")
    page.mouse.move(0, 0)
    page.evaluate("document.getElementById('notice').replaceChildren()")
    page.screenshot(path=str(screenshot_path(tmp_path)))

    # re-run the check from its event (ad hoc execute); the server's answer is shown
    page.locator('tr[data-event="web-2/http"] a.event-link').click()
    page.get_by_role("button", name="Re-run check").click()
    expect(page.locator("#notice")).to_contain_text("Asked the agents to run http on web-2")
    page.go_back()

    # resolve the warning on db-1/disk; the list shows it passing
    page.locator('tr[data-event="db-1/disk"] a.event-link').click()
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".page-head .status")).to_have_text("passing")
    expect(page.locator("#output")).to_contain_text(f"Resolved manually by {ADMIN}")
    expect(page.locator("ol.history li")).to_have_count(2)
    page.go_back()
    expect(page.locator('tr[data-event="db-1/disk"] .status')).to_have_text("passing")

    # a change made elsewhere arrives by polling (If-None-Match -> 304 until it changes)
    with dashboard.admin() as admin:
        doc = {
            "entity": {"metadata": {"name": "web-9", "namespace": "default"}},
            "check": {"metadata": {"name": "http", "namespace": "default"}, "status": 2},
        }
        assert admin.post(f"{API}/namespaces/default/events", json=doc).status_code == 201
    expect(page.locator('tr[data-event="web-9/http"]')).to_be_visible()

    # the other pages
    page.get_by_role("link", name="Entities").click()
    expect(page.get_by_role("table", name="Entities")).to_contain_text("db-1")
    page.get_by_role("link", name="db-1").click()
    expect(page.get_by_role("table", name="Events of db-1")).to_contain_text("postgres")
    expect(page.get_by_role("table", name="Events of db-1")).to_contain_text("disk")
    page.get_by_role("link", name="Checks").click()
    page.get_by_role("button", name="Execute disk now").click()
    expect(page.locator("#notice")).to_contain_text("Requested disk")
    page.get_by_role("link", name="Silences").click()
    expect(page.get_by_role("table", name="Silences")).to_contain_text("entity:web-2:http")

    # sign out ends the session on the server too
    token = page.evaluate("JSON.parse(sessionStorage.getItem('vigil.session')).access_token")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    gone = httpx.get(
        f"{dashboard.api_url}{API}/namespaces", headers={"Authorization": f"Bearer {token}"}
    )
    assert gone.status_code == 401
    # the browser notes the 400 of the selector typed wrong on purpose; nothing else
    bad_selector = "fieldSelector=event.check.status+%3D%3D)"
    assert [e for e in console_errors(page) if bad_selector not in e] == []


def test_token_refresh_namespace_switch_and_ended_session(page: Page, dashboard: Dashboard) -> None:
    sign_in(page, dashboard, ADMIN, PASSWORD)
    expect(rows(page).first).to_be_visible()
    before = page.evaluate("JSON.parse(sessionStorage.getItem('vigil.session'))")
    # the token is due: the next call refreshes it through /auth/token first
    page.evaluate(
        "sessionStorage.setItem('vigil.session', JSON.stringify("
        "{...JSON.parse(sessionStorage.getItem('vigil.session')), expires_at: 1}))"
    )
    page.get_by_label("Namespace").select_option("staging")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_attribute("data-event", "stage-1/smoke")
    assert "/n/staging/events" in page.url
    after = page.evaluate("JSON.parse(sessionStorage.getItem('vigil.session'))")
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]
    # a session ended elsewhere (logout through the API) sends the page back to sign-in
    with httpx.Client(base_url=dashboard.api_url) as other:
        headers = {"Authorization": f"Bearer {after['access_token']}"}
        body = {"refresh_token": after["refresh_token"]}
        assert other.post("/auth/logout", headers=headers, json=body).status_code == 200
    assert console_errors(page) == []
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()  # the next poll's 401
    expect(page.locator("#notice")).to_contain_text("Your session has ended")
    # the browser notes the refused poll and refresh (401); nothing else
    assert all("401" in error for error in console_errors(page)), console_errors(page)


def test_wrong_password_says_so_and_shows_nothing_else(page: Page, dashboard: Dashboard) -> None:
    sign_in(page, dashboard, ADMIN, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.locator("#top")).to_be_hidden()
    expect(page.locator("table")).to_have_count(0)
    # the only console entry is the browser's own note of the 401 from /auth
    assert all("401" in error for error in console_errors(page)), console_errors(page)


def test_view_user_is_offered_no_write_action(page: Page, dashboard: Dashboard) -> None:
    sign_in(page, dashboard, VIEWER, VIEWER_PASSWORD)
    expect(rows(page).first).to_be_visible()
    page.locator('tr[data-event="db-2/postgres"] a.event-link').click()
    expect(page.locator("#output")).to_contain_text("replication lag")
    for name in ("Resolve", "Re-run check", "Delete", "Silence"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    page.get_by_role("link", name="Silences").click()
    expect(page.get_by_role("table", name="Silences")).to_be_visible()
    expect(page.get_by_role("button", name="Create silence")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete", exact=False)).to_have_count(0)
    page.get_by_role("link", name="Checks").click()
    expect(page.get_by_role("table", name="Checks")).to_contain_text("postgres")
    expect(page.get_by_role("button", name="Execute postgres now")).to_have_count(0)
    assert console_errors(page) == []


def test_keyboard_alone_signs_in_filters_and_opens_an_event(
    page: Page, dashboard: Dashboard
) -> None:
    page.goto(dashboard.url + "/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(ADMIN)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(rows(page).first).to_be_visible()
    page.keyboard.press("/")
    expect(page.get_by_label("Filter")).to_be_focused()
    page.keyboard.type("queue")
    page.keyboard.press("Enter")
    expect(rows(page)).to_have_count(1)
    link = page.locator('tr[data-event="queue-1/rabbitmq"] a.event-link')
    for _ in range(40):  # Tab through the page until the event's link has the focus
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("queue-1 / rabbitmq")
    expect(page.locator("#main")).to_be_focused()
    assert console_errors(page) == []


def test_filter_box_and_silence_rules_in_the_page(page: Page, dashboard: Dashboard) -> None:
    page.goto(dashboard.url + "/")
    parsed = page.evaluate(
        """async () => {
        const { selectorsFor } = await import('/js/filter.js');
        return [
          'event.check.status != 0', 'region == "eu"', 'label: app in [a,b]',
          'field:event.entity.name == "x"', 'web db', '  ', 'we"b',
        ].map(selectorsFor);
    }"""
    )
    assert parsed == [
        {"fieldSelector": "event.check.status != 0"},
        {"labelSelector": 'region == "eu"'},
        {"labelSelector": "app in [a,b]"},
        {"fieldSelector": 'event.entity.name == "x"'},
        {
            "fieldSelector": '(event.entity.name matches "web" || event.check.name matches "web")'
            ' && (event.entity.name matches "db" || event.check.name matches "db")'
        },
        {},
        {"fieldSelector": '(event.entity.name matches "web" || event.check.name matches "web")'},
    ]
    matched = page.evaluate(
        """async () => {
        const { silencesFor } = await import('/js/silencing.js');
        const ev = {
          entity: { metadata: { name: 'web-1' }, subscriptions: ['linux', 'entity:web-1'] },
          check: { metadata: { name: 'http' }, subscriptions: ['linux', 'windows'] },
        };
        const now = 1000;
        const all = [
          { metadata: { name: 'entity:web-1:http' }, subscription: 'entity:web-1', check: 'http' },
          { metadata: { name: 'linux:*' }, subscription: 'linux', check: '' },
          { metadata: { name: 'windows:*' }, subscription: 'windows', check: '' },
          { metadata: { name: '*:disk' }, subscription: '', check: 'disk' },
          { metadata: { name: '*:http' }, check: 'http', begin: 2000 },
          { metadata: { name: 'old' }, subscription: 'linux', check: 'http', expire_at: 999 },
        ];
        return silencesFor(ev, all, now).map((s) => s.metadata.name);
    }"""
    )
    assert matched == ["entity:web-1:http", "linux:*"]
    assert console_errors(page) == []


def test_a_user_of_one_namespace_lands_there(page: Page, dashboard: Dashboard) -> None:
    with dashboard.admin() as admin:
        user = {"username": "watcher", "password": "W4tcher-pass!", "groups": ["watchers"]}
        assert admin.post(f"{API}/users", json=user).status_code == 201
        binding = {
            "metadata": {"name": "watchers", "namespace": "staging"},
            "role_ref": {"type": "ClusterRole", "name": "view"},
            "subjects": [{"type": "Group", "name": "watchers"}],
        }
        assert admin.post(f"{API}/namespaces/staging/rolebindings", json=binding).status_code == 201
    sign_in(page, dashboard, "watcher", "W4tcher-pass!")
    expect(rows(page)).to_have_count(1)
    assert "/n/staging/events" in page.url
    expect(page.get_by_label("Namespace").locator("option")).to_have_text(["staging"])
    assert console_errors(page) == []


def test_checks_and_entities_page_forward_and_back(page: Page, dashboard: Dashboard) -> None:
    with dashboard.admin() as admin:
        assert admin.put(f"{API}/namespaces/paging", json={"name": "paging"}).status_code < 300
        for n in range(102):
            check = {"metadata": {"name": f"c{n:03d}"}, "command": "true", "interval": 60}
            assert admin.post(f"{API}/namespaces/paging/checks", json=check).status_code == 201
            entity = {"metadata": {"name": f"e{n:03d}"}, "entity_class": "proxy"}
            assert admin.post(f"{API}/namespaces/paging/entities", json=entity).is_success
    sign_in(page, dashboard, ADMIN, PASSWORD)
    expect(rows(page).first).to_be_visible()
    for view, label, last in (("checks", "Checks", "c101"), ("entities", "Entities", "e101")):
        page.goto(f"{dashboard.url}/#/n/paging/{view}")
        table = page.get_by_role("table", name=label).locator("tbody tr")
        previous = page.get_by_role("button", name="← Previous")
        forward = page.get_by_role("button", name="Next →")
        expect(table).to_have_count(100)
        expect(previous).to_be_disabled()
        forward.click()
        expect(table).to_have_count(2)
        expect(table.last).to_contain_text(last)
        expect(forward).to_be_disabled()
        previous.click()
        expect(table).to_have_count(100)
        expect(previous).to_be_disabled()
    assert console_errors(page) == []
