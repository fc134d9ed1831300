"""bcrypt hashing and verification: the only module that touches password hashes.

Cost 10 matches Sensu, so hashes made by sensuctl (which bcrypts client-side before
``PUT /users/{name}/password``) and hashes made here are interchangeable. Both hashing and
verifying take tens of milliseconds of CPU, so the async helpers run them on threads of their
own (one core is always left to the event loop) and never on the event loop. At most
``MAX_PENDING`` checks wait for those threads; beyond that a login gets 429 at once, so a
spray of logins cannot queue up work without bound or take threads other work needs.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import bcrypt

from vigil.errors import InvalidArgument, TooManyRequests

COST = 10
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (and bcrypt 5 refuses) anything longer

# $2a$/$2b$/$2y$, two-digit cost, 53 characters of salt + digest (bcrypt's base64 alphabet).
_BCRYPT = re.compile(r"\A\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}\Z")

# Verified against when the user does not exist, so that "no such user" costs as much time
# as "wrong password" and response timing does not reveal which usernames exist.
_DUMMY_HASH = bcrypt.hashpw(b"vigil-dummy-password", bcrypt.gensalt(COST)).decode()


# Pairs (hash, keyed digest of the password) that bcrypt has already accepted. Agents present
# their password on every connection, and a backend restart reconnects the whole fleet at
# once: without this, thousands of bcrypt checks (tens of ms of CPU each) would queue behind
# each other. A changed password has a new hash, so it never matches an old entry; the key is
# random per process, so the entries are useless outside it. Only successes are remembered.
_VERIFIED_KEY = os.urandom(32)
_VERIFIED: dict[tuple[str, bytes], None] = {}
_VERIFIED_MAX = 10_000
# Checks of one (hash, password) pair running now: a fleet that reconnects at once presents
# the same password thousands of times before the first check has finished.
_PENDING: dict[tuple[str, bytes], asyncio.Future[bool]] = {}


def _verified_key(password: str, password_hash: str) -> tuple[str, bytes]:
    digest = hashlib.blake2b(password.encode(), key=_VERIFIED_KEY, digest_size=32).digest()
    return password_hash, digest


def hash_password_sync(password: str) -> str:
    raw = password.encode()
    if len(raw) > MAX_PASSWORD_BYTES:
        raise InvalidArgument(f"password must not be longer than {MAX_PASSWORD_BYTES} bytes")
    return bcrypt.hashpw(raw, bcrypt.gensalt(COST)).decode()


def verify_password_sync(password: str, password_hash: str) -> bool:
    """False (never an exception) for a malformed hash or a password bcrypt cannot take."""
    if not is_bcrypt_hash(password_hash):
        return False
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


MAX_PENDING = 64
_THREADS = max(1, (os.cpu_count() or 2) - 1)
_pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="vigil-bcrypt")
_slots = threading.BoundedSemaphore(MAX_PENDING)
T = TypeVar("T")


async def _offload(func: Callable[..., T], *args: str) -> T:
    """Run ``func`` on the bcrypt threads; TooManyRequests when too many already wait."""
    if not _slots.acquire(blocking=False):
        raise TooManyRequests("too many password checks in progress, retry later")
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool, func, *args)
    finally:
        _slots.release()


async def hash_password(password: str) -> str:
    return await _offload(hash_password_sync, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Check ``password`` against ``password_hash``; a missing or malformed hash (unknown
    user) always fails but still spends the time of a real check."""
    if not password_hash or not is_bcrypt_hash(password_hash):
        await _offload(verify_password_sync, password, _DUMMY_HASH)
        return False
    key = _verified_key(password, password_hash)
    if key in _VERIFIED:
        return True
    pending = _PENDING.get(key)
    if pending is not None:  # the same check is running: share its answer
        return await asyncio.shield(pending)
    pending = _PENDING[key] = asyncio.get_running_loop().create_future()
    try:
        ok = await _offload(verify_password_sync, password, password_hash)
    except Exception as exc:  # e.g. TooManyRequests: the callers sharing it get it too
        pending.set_exception(exc)
        pending.exception()  # marked retrieved: no warning when nobody shared it
        raise
    except BaseException:
        pending.cancel()
        raise
    finally:
        del _PENDING[key]
    pending.set_result(ok)
    if ok:
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[key] = None
    return ok


def is_bcrypt_hash(value: str) -> bool:
    return _BCRYPT.match(value) is not None
