"""The dashboard's events page with many events against a small namespace, in headless
Debian chromium driven by Playwright.

    .venv/bin/python bench/dashboard_bench.py            # 10,000 events vs 200, 7 rounds
    .venv/bin/python bench/dashboard_bench.py --quick    # 2,000 vs 200, 3 rounds

One ``vigil start`` (API and dashboard listeners). Namespace ``small`` gets 200 events (the
baseline of every ratio), ``big`` the many, posted through the REST API (1,000 entities x N
checks, statuses mixed, multi-line output). Then, for each namespace, with the page's own
clock (``performance.now``): ``open`` = from the hash change to the events page until its
rows are in the table; ``filter`` = from Enter in the filter box (free text, and a status
selector) until the rows are replaced; ``next`` = the next page's rows; ``poll 304`` and
``poll 200`` = one unchanged list poll with and without ``If-None-Match``. Also the table
rows in the DOM and the JS heap after the runs. Medians; ratio = big / small.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

import httpx
from harness import admin_token, drive, event_body, free_port, post_request, vigil_init, vigil_start
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# As tests/dashboard launches it: Debian's chromium, nothing downloaded, no background traffic.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]  # fmt: skip
SMALL = 200  # two pages of 100, so "next" has somewhere to go
OUTPUT = "CRITICAL: 3 of 4 probes failed\nprobe 1: timeout after 5 s\nprobe 2: refused\n"

WAIT_ROWS = """async ([before, start]) => {
  const rows = () => document.querySelectorAll('table.events tbody tr[data-event]');
  await new Promise((resolve) => {
    const check = () => {
      const now = rows();
      if (now.length && now[0] !== before) resolve(); else requestAnimationFrame(check);
    };
    check();
  });
  return performance.now() - start;
}"""

POLL = """async ([ns, conditional]) => {
  const s = JSON.parse(sessionStorage.getItem('vigil.session'));
  const url = `/api/core/v2/namespaces/${ns}/events?limit=100`;
  const headers = { Authorization: `Bearer ${s.access_token}` };
  const first = await fetch(url, { headers, cache: 'no-store' });
  await first.text();
  if (conditional) headers['If-None-Match'] = first.headers.get('ETag');
  const start = performance.now();
  const again = await fetch(url, { headers, cache: 'no-store' });
  await again.text();
  if (again.status !== (conditional ? 304 : 200)) throw new Error(`status ${again.status}`);
  return performance.now() - start;
}"""


def seed(url: str, namespace: str, count: int) -> None:
    token = admin_token(url)
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{url}/api/core/v2/namespaces", json={"name": namespace},
                      headers=headers).status_code == 201  # fmt: skip
    path = f"/api/core/v2/namespaces/{namespace}/events"
    entities = min(count, 1000)
    requests = [
        post_request(path, token, event_body(
            f"host-{i % entities:04d}", f"check-{i // entities:02d}", (0, 0, 0, 1, 2)[i % 5],
            OUTPUT if i % 5 == 4 else "OK: all probes answered"))
        for i in range(count)
    ]  # fmt: skip
    asyncio.run(drive([url], requests, 16, None))


def first_row(page: Page) -> object:
    return page.evaluate_handle("document.querySelector('table.events tbody tr[data-event]')")


def timed_open(page: Page, ns: str) -> float:
    page.evaluate(f"location.hash = '#/n/{ns}/silences'")
    page.wait_for_selector("table[aria-label=Silences]")
    start = page.evaluate("performance.now()")
    page.evaluate(f"location.hash = '#/n/{ns}/events'")
    return float(page.evaluate(WAIT_ROWS, [None, start]))


def timed_filter(page: Page, text: str) -> float:
    before = first_row(page)
    box = page.get_by_label("Filter")
    box.fill(text)
    start = page.evaluate("performance.now()")
    box.press("Enter")
    return float(page.evaluate(WAIT_ROWS, [before, start]))


def timed_next(page: Page) -> float:
    before = first_row(page)
    start = page.evaluate("performance.now()")
    page.get_by_role("button", name="Next →").click()
    return float(page.evaluate(WAIT_ROWS, [before, start]))


def measure(page: Page, ns: str, rounds: int) -> dict[str, float]:
    runs: dict[str, list[float]] = {k: [] for k in
        ("open", "filter text", "filter status", "next", "poll 304", "poll 200")}  # fmt: skip
    for _ in range(rounds):
        runs["open"].append(timed_open(page, ns))
        runs["filter text"].append(timed_filter(page, "host-00"))
        runs["filter status"].append(timed_filter(page, 'event.check.status == "2"'))
        timed_filter(page, "")
        runs["next"].append(timed_next(page))
        runs["poll 304"].append(float(page.evaluate(POLL, [ns, True])))
        runs["poll 200"].append(float(page.evaluate(POLL, [ns, False])))
    result = {k: statistics.median(v) for k, v in runs.items()}
    result["rows in DOM"] = float(page.evaluate("document.querySelectorAll('tr').length"))
    result["JS heap MB"] = page.evaluate("performance.memory.usedJSHeapSize") / 1e6
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int, default=None)
    opts = parser.parse_args()
    many = opts.events or (2000 if opts.quick else 10000)
    rounds = 3 if opts.quick else 7
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        vigil_init(state)
        port = free_port()
        with vigil_start(state, ["--dashboard-port", str(port)]) as backend:
            seed(backend.url, "small", SMALL)
            seed(backend.url, "big", many)
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_label("Username").fill("admin")
                page.get_by_label("Password").fill("P@ssw0rd!")
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_selector("table.events")
                small = measure(page, "small", rounds)
                big = measure(page, "big", rounds)
                browser.close()
    small_head, big_head = f"{SMALL} events", f"{many:,} events"
    print(f"{'':16}{small_head:>12}{big_head:>16}{'ratio':>8}")
    for key in small:
        unit = "" if key in ("rows in DOM", "JS heap MB") else " ms"
        ratio = big[key] / small[key] if small[key] else float("nan")
        print(f"{key:16}{small[key]:>9.1f}{unit:3}{big[key]:>13.1f}{unit:3}{ratio:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
