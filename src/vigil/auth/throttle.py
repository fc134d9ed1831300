"""Login throttling: slow down password guessing on ``/auth``, ``/auth/test`` and the
password-change routes (Sensu has no throttle).

Policy, per (username, client address):
* every failed password check counts one failure; failures older than ``login_lockout``
  seconds (counted from the first failure of the current run) are forgotten;
* after ``login_max_failures`` failures the pair is locked for ``login_lockout`` seconds:
  every attempt, even with the right password, gets 429 without the password being checked
  (so a locked pair costs no bcrypt time and leaks nothing);
* a successful check clears the count.
Other clients of the same user are not affected, so an attacker cannot lock a user out from
elsewhere; other users from the same client are not affected either.

State lives in the store (kind ``_login_failures``), so the limit holds across every backend
sharing the store. Cost: one store read per attempt, one write per failure (and one delete
on the first success after failures). Attempts running concurrently are checked before any
of them records its failure, so a burst of parallel guesses can overshoot the limit by the
burst size.
"""

from __future__ import annotations

import time

import orjson

from vigil.errors import AlreadyExists, NotFound, PreconditionFailed, TooManyRequests
from vigil.settings import Settings
from vigil.store.base import Delete, Put, Store

FAILURES = "_login_failures"
_MAX_KEY = 256  # usernames come from the client: bound what we store


def _name(username: str, client: str) -> str:
    return f"{username[:_MAX_KEY]}@{client[:_MAX_KEY]}"


class LoginThrottle:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._max_failures = max(1, int(settings.login_max_failures))
        self._lockout = float(settings.login_lockout)

    async def _state(self, name: str) -> tuple[dict[str, float], int] | None:
        record = await self._store.get(FAILURES, "", name)
        if record is None:
            return None
        state = orjson.loads(record.value)
        if (
            float(state.get("first", 0)) + self._lockout <= time.time()
            and float(state.get("locked_until", 0)) <= time.time()
        ):
            return None  # the run of failures is old enough to forget
        return state, record.revision

    async def check(self, username: str, client: str) -> bool:
        """Raise TooManyRequests while locked; True when failures are on record."""
        current = await self._state(_name(username, client))
        if current is None:
            return False
        if current[0].get("locked_until", 0) > time.time():
            raise TooManyRequests()
        return True

    async def failed(self, username: str, client: str) -> None:
        name = _name(username, client)
        for _ in range(3):  # conditional writes: retry when another attempt raced us
            current = await self._state(name)
            now = time.time()
            state = current[0] if current else {"failures": 0, "first": now, "locked_until": 0}
            state["failures"] = state.get("failures", 0) + 1
            if state["failures"] >= self._max_failures:
                state["locked_until"] = now + self._lockout
                state["failures"] = 0
                state["first"] = now
            revision = current[1] if current else None
            try:
                await self._store.apply(
                    [Put(FAILURES, "", name, orjson.dumps(state), if_revision=revision)]
                )
                return
            except (AlreadyExists, PreconditionFailed, NotFound):
                continue

    async def succeeded(self, username: str, client: str) -> None:
        await self._store.apply([Delete(FAILURES, "", _name(username, client), missing_ok=True)])
