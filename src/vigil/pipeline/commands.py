"""Sensu's command semantics for pipe handlers and pipe mutators.

``sh -c <command>`` with the payload on stdin; stdout and stderr share one buffer; the command
runs in its own process group, which is killed as a whole on timeout (status 2, output
prefixed with ``Execution timed out``).

Why threads: the server runs on uvloop, whose subprocess support forks in the event-loop
thread. Forking a process of a server's size takes milliseconds, so with handlers busy the
API stalled for hundreds of milliseconds at a time and ingestion fell to the rate of process
creation. ``subprocess.Popen`` in a worker thread uses vfork/posix_spawn and leaves the loop
free. Each running command holds one thread; the pipeline bounds how many run at once.

Isolation (``CommandPolicy``): a command never sees the server's environment, only a fixed
``PATH`` and its own ``env_vars``; when the server runs as root it runs as an unprivileged
user (``--handler-user``/``--handler-group``) with no supplementary groups; with an allow-list
(``--handler-allow-list``) anything the list does not name is refused before it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import os
import pwd
import signal
import subprocess
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from vigil.allowlist import AllowEntry, load_allow_list, match
from vigil.errors import InvalidArgument
from vigil.settings import Settings

TIMED_OUT_STATUS = 2
REAP_TIMEOUT = 5.0  # seconds to collect output after a kill (a child may have escaped)
_MAX_THREADS = 64  # more commands than this at once wait for a thread

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class CommandResult:
    status: int
    output: bytes
    timed_out: bool = False


SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class CommandRefused(OSError):
    """The allow-list does not name this command (raised before anything runs)."""


@dataclass(frozen=True, slots=True)
class CommandPolicy:
    """Who runs a command and what it may be; one per server, built from its settings."""

    user: str | None = None  # None: the server's own user
    group: str | int | None = None
    allow_list: tuple[AllowEntry, ...] | None = None  # None: every command may run
    path: str = SAFE_PATH
    cwd: str = "/"

    @classmethod
    def from_settings(cls, settings: Settings) -> CommandPolicy:
        listed = settings.handler_allow_list
        allow = load_allow_list(listed) if listed else None
        if os.geteuid() != 0 or not settings.handler_user:
            return cls(allow_list=allow)
        user, group = settings.handler_user, settings.handler_group or None
        try:
            entry = pwd.getpwnam(user)
            if group is not None:
                grp.getgrnam(group)
        except KeyError:
            raise InvalidArgument(
                f"handler user {user!r} or group {group!r} does not exist on this host"
            ) from None
        if entry.pw_uid == 0:
            raise InvalidArgument(f"handler user {user!r} is root: choose an unprivileged user")
        return cls(user=user, group=group or entry.pw_gid, allow_list=allow)

    def environment(self, command: str, env_vars: Sequence[str]) -> dict[str, str]:
        """The command's whole environment; refuses what the allow-list does not name."""
        env = {"PATH": self.path}
        if self.allow_list is not None:
            allowed = match(self.allow_list, command, self.path)
            if allowed is None:
                raise CommandRefused(f"command denied by the handler allow list: {command!r}")
            if not allowed.enable_env:
                return env
        return command_env(env_vars, env)


def command_env(env_vars: Sequence[str], base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (a bare ``PATH`` by default) plus ``K=V`` entries (others are ignored)."""
    env = dict(base) if base is not None else {"PATH": SAFE_PATH}
    for entry in env_vars:
        name, sep, value = str(entry).partition("=")
        if sep and name:
            env[name] = value
    return env


def _threads() -> ThreadPoolExecutor:
    """The command threads, created on first use (importing this module starts nothing)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_MAX_THREADS, thread_name_prefix="vigil-command")
        return _pool


class _Launch:
    """One command run in a thread; ``cancel`` kills it from the event loop's side."""

    def __init__(
        self,
        command: str,
        stdin: bytes,
        env: dict[str, str],
        timeout: float,
        policy: CommandPolicy,
    ) -> None:
        self.command, self.stdin, self.env, self.timeout = command, stdin, env, timeout
        self.policy = policy
        self._proc: subprocess.Popen[bytes] | None = None
        self._cancelled = False
        self._lock = threading.Lock()

    def run(self) -> CommandResult:
        with self._lock:
            if self._cancelled:  # the caller is gone: never start it
                return CommandResult(TIMED_OUT_STATUS, b"", False)
            proc = self._proc = subprocess.Popen(
                ["/bin/sh", "-c", self.command],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.policy.cwd,
                user=self.policy.user,
                group=self.policy.group,
                extra_groups=[] if self.policy.user is not None else None,
                start_new_session=True,  # its own process group: a kill takes the whole tree
            )
        try:
            # An empty payload writes nothing, as Sensu does; a command that exits without
            # reading its stdin is fine (communicate ignores the broken pipe).
            output, _ = proc.communicate(self.stdin or None, timeout=self.timeout or None)
        except subprocess.TimeoutExpired:
            _kill(proc)
            return CommandResult(TIMED_OUT_STATUS, b"Execution timed out\n" + _reap(proc), True)
        except BaseException:
            _kill(proc)
            raise
        return CommandResult(proc.returncode, output or b"")

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._proc is not None:
                _kill(self._proc)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def _reap(proc: subprocess.Popen[bytes]) -> bytes:
    """What the command wrote before it was killed (``communicate`` kept it)."""
    try:
        output, _ = proc.communicate(timeout=REAP_TIMEOUT)
    except subprocess.TimeoutExpired:  # something outside the group holds the pipe open
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()
        proc.wait()
        return b""
    return output or b""


async def run_command(
    command: str,
    stdin: bytes,
    *,
    env_vars: Sequence[str] = (),
    timeout: float = 0,
    policy: CommandPolicy | None = None,
) -> CommandResult:
    """Run ``sh -c command`` with ``stdin``; ``timeout`` <= 0 means none.

    Raises OSError when the command cannot be started (CommandRefused when the allow-list
    refuses it). Cancelling the caller kills the command's process group.
    """
    policy = policy or CommandPolicy()
    launch = _Launch(command, stdin, policy.environment(command, env_vars), timeout, policy)
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(_threads(), launch.run)
    try:
        return await future
    except asyncio.CancelledError:
        launch.cancel()
        raise
