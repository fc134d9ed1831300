"""Login throttling: slow down password guessing on ``/auth``, ``/auth/test`` and the
password-change routes (Sensu has no throttle).

Three counters of failed password checks, each forgotten ``login_lockout`` seconds after the
first failure of its run:

* per (username, client): ``login_max_failures`` failures lock the pair for ``login_lockout``;
* per client, across usernames: ``login_client_max_failures`` failures lock the client for
  ``login_lockout`` (a spray of usernames from one address is stopped);
* per user, across clients: ``login_user_max_failures`` failures lock the user for the short
  ``login_user_lockout`` (a guess spread over many addresses is slowed), except for clients
  that logged in as that user successfully in the last ``KNOWN_CLIENT_TTL`` seconds: an
  attacker elsewhere cannot lock a real user out of the address they use.

A locked attempt gets 429 before its password is checked, so it costs no bcrypt time and leaks
nothing. A success clears its pair's counter only (so a valid account cannot be used to reset a
client's count).

State is in memory, bounded (``MAX_RECORDS`` per counter, the oldest dropped first) and
expiring, so a spray of random usernames costs no store writes and cannot grow anything
without bound. Each backend counts for itself: behind a balancer of N backends an attacker gets
at most N times the attempts.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from vigil.errors import TooManyRequests
from vigil.settings import Settings
from vigil.store.base import Delete, ListQuery, Store

LEGACY_KIND = "_login_failures"  # where earlier versions stored failures, one row each
MAX_RECORDS = 100_000  # per counter; each record is ~200 bytes
KNOWN_CLIENT_TTL = 30 * 86400.0  # seconds a successful client stays exempt from the user lock
_MAX_KEY = 256  # usernames come from the client: bound what we keep


@dataclass(slots=True)
class _Run:
    failures: int
    expires: float  # when the run is forgotten
    locked_until: float = 0.0


class _Counter:
    """Failures per key, bounded and expiring; a full counter forgets its oldest run."""

    def __init__(self, max_failures: int, lockout: float, window: float) -> None:
        self.max_failures = max(1, max_failures)
        self.lockout = lockout
        self.window = window
        self._runs: OrderedDict[str, _Run] = OrderedDict()

    def _live(self, key: str, now: float) -> _Run | None:
        run = self._runs.get(key)
        if run is not None and run.expires <= now and run.locked_until <= now:
            del self._runs[key]
            return None
        return run

    def locked(self, key: str, now: float) -> bool:
        run = self._live(key, now)
        return run is not None and run.locked_until > now

    def has_failures(self, key: str, now: float) -> bool:
        return self._live(key, now) is not None

    def fail(self, key: str, now: float) -> None:
        run = self._live(key, now)
        if run is None:
            run = self._runs[key] = _Run(0, now + self.window)
            while len(self._runs) > MAX_RECORDS:
                self._runs.popitem(last=False)
        run.failures += 1
        if run.failures >= self.max_failures:
            run.locked_until = now + self.lockout
            run.failures = 0
            run.expires = now + self.window

    def clear(self, key: str) -> None:
        self._runs.pop(key, None)


class LoginThrottle:
    def __init__(self, settings: Settings) -> None:
        window = float(settings.login_lockout)
        self._pairs = _Counter(settings.login_max_failures, window, window)
        self._clients = _Counter(settings.login_client_max_failures, window, window)
        self._users = _Counter(
            settings.login_user_max_failures, float(settings.login_user_lockout), window
        )
        self._known: OrderedDict[str, float] = OrderedDict()  # user@client -> until

    async def check(self, username: str, client: str) -> bool:
        """Raise TooManyRequests while locked; True when the pair has failures on record."""
        now = time.monotonic()
        user, pair = username[:_MAX_KEY], _pair(username, client)
        if self._pairs.locked(pair, now) or self._clients.locked(client, now):
            raise TooManyRequests()
        if self._users.locked(user, now) and not self._is_known(pair, now):
            raise TooManyRequests()
        return self._pairs.has_failures(pair, now)

    async def failed(self, username: str, client: str) -> None:
        now = time.monotonic()
        self._pairs.fail(_pair(username, client), now)
        self._clients.fail(client[:_MAX_KEY], now)
        self._users.fail(username[:_MAX_KEY], now)

    async def succeeded(self, username: str, client: str) -> None:
        pair = _pair(username, client)
        self._pairs.clear(pair)
        self._known[pair] = time.monotonic() + KNOWN_CLIENT_TTL
        self._known.move_to_end(pair)
        while len(self._known) > MAX_RECORDS:
            self._known.popitem(last=False)

    def _is_known(self, pair: str, now: float) -> bool:
        until = self._known.get(pair)
        return until is not None and until > now


def _pair(username: str, client: str) -> str:
    return f"{username[:_MAX_KEY]}@{client[:_MAX_KEY]}"


async def forget_stored_failures(store: Store) -> int:
    """Delete the failure rows earlier versions stored and never purged; the count removed."""
    removed = 0
    while page := await store.list(ListQuery(LEGACY_KIND, limit=1000)):
        await store.apply([Delete(r.kind, r.namespace, r.name, missing_ok=True) for r in page])
        removed += len(page)
    return removed
