"""Pure scheduling rules: Sensu's splay phase, robfig-style cron, subdue windows, ring picks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from vigil.schedulerd import timing
from vigil.schedulerd.proxy import splay_gap
from vigil.schedulerd.ring import pick

NS = timing.NS


def test_splay_is_md5_little_endian() -> None:
    # md5("") = d41d8cd98f00b204..., read as a little-endian uint64
    assert timing.splay("") == 0x04B2008FD98C1DD4
    assert timing.splay("check-cpu") == timing.splay("check-cpu")


@pytest.mark.parametrize("name", ["check-cpu", "disk", "a", "x" * 60])
@pytest.mark.parametrize("interval", [1, 10, 60, 3600])
def test_interval_phase_is_go_formula_and_stable(name: str, interval: int) -> None:
    now = 1_764_520_000_123_456_789
    fire = timing.next_interval_fire(name, interval, now)
    # Sensu: offset = (splay - now) as uint64, mod interval
    assert fire - now == ((timing.splay(name) - now) % 2**64) % (interval * NS)
    assert 0 <= fire - now < interval * NS
    # A restart at any later moment lands on the same lattice of instants.
    for later in (now + 1, now + 7 * NS + 3, now + 10 * interval * NS + 12345):
        again = timing.next_interval_fire(name, interval, later)
        assert (again - fire) % (interval * NS) == 0
        assert 0 <= again - later < interval * NS


def test_different_names_get_different_phases() -> None:
    now = 1_764_520_000 * NS
    phases = {timing.next_interval_fire(f"check-{i}", 60, now) for i in range(20)}
    assert len(phases) > 15


@pytest.fixture(autouse=True)
def utc_local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Cron without CRON_TZ uses the backend's local zone: pin it for these tables."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/5 * * * *", "2026-11-30 12:01:30", "2026-11-30 12:05:00"),
        ("*/5 * * * *", "2026-11-30 12:05:00", "2026-11-30 12:10:00"),
        ("0 0 * * *", "2026-11-30 12:01:30", "2026-12-01 00:00:00"),
        ("@hourly", "2026-11-30 12:01:30", "2026-11-30 13:00:00"),
        ("@every 90s", "2026-11-30 12:01:30.700", "2026-11-30 12:03:00"),
        ("@every 1m30s", "2026-11-30 12:01:30", "2026-11-30 12:03:00"),
        ("@every 500ms", "2026-11-30 12:01:30.250", "2026-11-30 12:01:31"),
        ("CRON_TZ=America/New_York 0 9 * * *", "2026-11-30 12:00:00", "2026-11-30 14:00:00"),
        ("TZ=UTC 30 12 * * 1", "2026-11-30 12:00:00", "2026-11-30 12:30:00"),
        ("TZ=UTC 0 12 * * 0", "2026-11-30 12:00:00", "2026-12-06 12:00:00"),
    ],
)
def test_next_cron_fire(expression: str, after: str, expected: str) -> None:
    fire = timing.next_cron_fire(expression, _utc(after))
    assert fire == _utc(expected)


@pytest.mark.parametrize(
    ("text", "ns"),
    [("90s", 90 * NS), ("1m30s", 90 * NS), ("1.5h", 5400 * NS), ("250ms", 250_000_000), ("0", 0)],
)
def test_go_durations(text: str, ns: int) -> None:
    assert timing.parse_go_duration(text) == ns


@pytest.mark.parametrize("text", ["", "5", "1x", "s", "1h-"])
def test_bad_go_durations(text: str) -> None:
    with pytest.raises(ValueError):
        timing.parse_go_duration(text)


# 2026-11-30 is a Monday.
WINDOW_BEGIN = "2026-11-02T09:00:00Z"  # a Monday
WINDOW_END = "2026-11-02T17:00:00Z"


@pytest.mark.parametrize(
    ("repeat", "now", "subdued"),
    [
        ([], "2026-11-02 12:00:00", True),
        ([], "2026-11-02 17:00:00.5", True),  # the end is inclusive to the second
        ([], "2026-11-02 17:00:01", False),
        ([], "2026-11-30 12:00:00", False),
        (["daily"], "2026-11-30 12:00:00", True),
        (["daily"], "2026-11-30 08:59:59", False),
        (["daily"], "2026-11-01 12:00:00", False),  # before the window ever began
        (["weekdays"], "2026-11-30 12:00:00", True),
        (["weekdays"], "2026-12-05 12:00:00", False),  # Saturday
        (["weekends"], "2026-12-05 12:00:00", True),
        (["weekends"], "2026-12-06 12:00:00", True),  # Sunday
        (["weekends"], "2026-12-04 12:00:00", False),
        (["mondays"], "2026-11-30 12:00:00", True),
        (["sundays"], "2026-11-29 12:00:00", True),
        (["sundays"], "2026-11-30 12:00:00", False),
        (["weekly"], "2026-11-30 16:59:00", True),
        (["weekly"], "2026-12-01 12:00:00", False),
        (["monthly"], "2026-12-02 10:00:00", True),
        (["monthly"], "2026-12-03 10:00:00", False),
        (["annually"], "2027-11-02 10:00:00", True),
        (["annually"], "2027-12-02 10:00:00", False),
        (["fridays", "mondays"], "2026-12-04 09:30:00", True),
    ],
)
def test_subdue_windows(repeat: list[str], now: str, subdued: bool) -> None:
    window = {"begin": WINDOW_BEGIN, "end": WINDOW_END, "repeat": repeat}
    assert timing.is_subdued([window], _utc(now)) is subdued


def test_subdue_window_with_offset_and_none() -> None:
    window = {
        "begin": "2026-11-02T09:00:00-05:00",
        "end": "2026-11-02T10:00:00-05:00",
        "repeat": ["daily"],
    }
    assert timing.is_subdued([window], _utc("2026-11-30 14:30:00"))
    assert not timing.is_subdued([window], _utc("2026-11-30 09:30:00"))
    assert not timing.is_subdued(None, _utc("2026-11-30 09:30:00"))
    assert not timing.is_subdued([{"begin": "nonsense", "end": ""}], _utc("2026-11-30 09:30:00"))


@pytest.mark.parametrize(
    ("ring", "last", "count", "picked"),
    [
        (["a", "b", "c"], "", 1, ["a"]),
        (["a", "b", "c"], "a", 1, ["b"]),
        (["a", "b", "c"], "c", 1, ["a"]),
        (["a", "c"], "b", 1, ["c"]),  # the last pick left the ring
        (["a", "b", "c"], "b", 2, ["c", "a"]),
        (["a"], "a", 3, ["a", "a", "a"]),
    ],
)
def test_ring_pick(ring: list[str], last: str, count: int, picked: list[str]) -> None:
    assert pick(ring, last, count) == picked


@pytest.mark.parametrize(
    ("check", "matches", "gap"),
    [
        ({"interval": 60, "proxy_requests": {"splay": True, "splay_coverage": 90}}, 3, 18.0),
        ({"interval": 60, "proxy_requests": {"splay": True, "splay_coverage": 0}}, 3, 18.0),
        ({"interval": 60, "proxy_requests": {"splay": True, "splay_coverage": 50}}, 10, 3.0),
        ({"interval": 60, "proxy_requests": {"splay": False, "splay_coverage": 90}}, 3, 0.0),
        # cron: the time to the next run (12:01:00, 30 s away) ...
        ({"cron": "TZ=UTC * * * * *", "proxy_requests": {"splay": True}}, 3, 9.0),
    ],
)
def test_proxy_splay_gap(check: dict[str, object], matches: int, gap: float) -> None:
    now = _utc("2026-11-30 12:00:30").timestamp()
    assert splay_gap(check, matches, now) == pytest.approx(gap)


def test_proxy_splay_skips_a_cron_run_under_five_seconds_away() -> None:
    check = {"cron": "TZ=UTC * * * * *", "proxy_requests": {"splay": True, "splay_coverage": 100}}
    now = _utc("2026-11-30 12:00:57").timestamp()  # next run in 3 s: plan for the one after
    assert splay_gap(check, 1, now) == pytest.approx(59.0)
