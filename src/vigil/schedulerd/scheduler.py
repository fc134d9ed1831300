"""The check scheduler: one timer per check, requests sent through ``AgentSessions``.

Every backend schedules every check and sends each request only to the agents connected to
it, so agents may connect anywhere. Check writes announce themselves on ``vigil_checks``
(the API calls ``checks_changed``), and a periodic resync catches a lost notification; a
changed check's timer is simply restarted, which never shifts its schedule because the phase
depends only on the check's name and interval (or its cron expression).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from vigil.agentd.delivery import AgentSessions
from vigil.metrics import Metrics
from vigil.schedulerd import adhoc, timing
from vigil.schedulerd.proxy import matching_entities, splay_gap
from vigil.schedulerd.request import build_request
from vigil.schedulerd.ring import Rings
from vigil.store.base import Delete, ListQuery, Store
from vigil.tokens import TokenError, substitute, synthesize

log = logging.getLogger("vigil.schedulerd")

CHANNEL = "vigil_checks"  # payload: the namespace whose checks changed
RESYNC = 5.0  # seconds between safety-net reloads (checks, ad hoc rows, ring membership)
CheckKey = tuple[str, str]  # (namespace, name)


class CheckScheduler:
    """Started and stopped by the app; ``attach`` gives it the agent sessions."""

    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        *,
        js_timeout: float = 1.0,
        backend: str = "",
        ring_source: str = "etcd",
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.js_timeout = js_timeout
        # Where round-robin rings live, as a request's ``check.scheduler`` names it.
        self.ring_source = ring_source
        self.backend = backend or uuid.uuid4().hex
        self.sessions: AgentSessions | None = None
        self.rings = Rings(store, self.backend)
        self._checks: dict[CheckKey, bytes] = {}
        self._timers: dict[CheckKey, asyncio.Task[None]] = {}
        self._work: set[asyncio.Task[Any]] = set()
        self._adhoc_seen: dict[str, float] = {}
        self._started = 0.0
        self._resync: asyncio.Task[None] | None = None
        self._reload_lock = asyncio.Lock()

    # --- wiring -------------------------------------------------------------------------
    def attach(self, sessions: AgentSessions) -> None:
        self.sessions = sessions
        sessions.on_change(self._sessions_changed)

    async def start(self) -> None:
        if self._resync is not None:
            return
        self._started = time.time()
        await self.store.listen(CHANNEL, self._on_checks_notice)
        await self.store.listen(adhoc.CHANNEL, self._on_adhoc_notice)
        await self._reload(None)
        self._resync = asyncio.create_task(self._resync_loop(), name="scheduler:resync")

    async def stop(self) -> None:
        tasks = [*self._timers.values(), *self._work]
        if self._resync is not None:
            tasks.append(self._resync)
        self._resync = None
        self._timers.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
        with contextlib.suppress(Exception):
            await self.rings.withdraw()

    async def checks_changed(self, namespace: str) -> None:
        """Called after a check write: every backend reloads that namespace's checks."""
        await self.store.notify(CHANNEL, namespace)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._work.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._work.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("scheduler task failed", exc_info=task.exception())

    # --- which checks -------------------------------------------------------------------
    def _on_checks_notice(self, namespace: str) -> None:
        self._spawn(self._reload(namespace or None), "scheduler:reload")

    async def _reload(self, namespace: str | None) -> None:
        """Start, restart or stop timers so they match the stored checks."""
        async with self._reload_lock:
            records = await self.store.list(ListQuery("checks", namespace=namespace))
            fresh = {(r.namespace, r.name): r.value for r in records}
            known = [k for k in self._checks if namespace is None or k[0] == namespace]
            for key in known:
                if key not in fresh:
                    self._checks.pop(key, None)
                    self._stop_timer(key)
            for key, value in fresh.items():
                if self._checks.get(key) != value:
                    self._checks[key] = value
                    self._stop_timer(key)
                    self._timers[key] = asyncio.create_task(
                        self._timer(key, msgspec.json.decode(value)), name=f"check:{key[1]}"
                    )
            for ns in {k[0] for k in fresh} if namespace is None else {namespace}:
                await self._publish_rings(ns)

    def _stop_timer(self, key: CheckKey) -> None:
        task = self._timers.pop(key, None)
        if task is not None:
            task.cancel()

    async def _resync_loop(self) -> None:
        while True:
            await asyncio.sleep(RESYNC)
            try:
                await self._reload(None)
                await self._sweep_adhoc()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler resync failed")

    # --- when ---------------------------------------------------------------------------
    async def _timer(self, key: CheckKey, check: dict[str, Any]) -> None:
        cron = str(check.get("cron") or "")
        interval = int(check.get("interval") or 0)
        if not cron and interval <= 0:
            return
        last = 0  # the instant last fired: a timer that wakes early never fires it twice
        while True:
            after = max(time.time_ns(), last + 1)
            if cron:
                start = datetime.fromtimestamp(after / timing.NS, UTC)
                fire_ns = round(timing.next_cron_fire(cron, start).timestamp()) * timing.NS
            else:
                fire_ns = timing.next_interval_fire(key[1], interval, after)
            await asyncio.sleep(max(0.0, (fire_ns - time.time_ns()) / timing.NS))
            last = fire_ns
            self._spawn(self._tick(check, fire_ns), f"tick:{key[1]}")

    async def _tick(self, check: dict[str, Any], fire_ns: int) -> None:
        if not check.get("publish") or self.sessions is None:
            return  # publish false: only ad hoc runs it
        if timing.is_subdued(check.get("subdues"), datetime.now(UTC)):
            log.debug("check is subdued", extra={"check": check["metadata"]["name"]})
            return
        if check.get("round_robin"):
            await self._round_robin(check, fire_ns)
        else:
            await self._publish(check)
        if not check.get("proxy_requests"):  # (proxy requests are spread on purpose)
            late = max(0, time.time_ns() - fire_ns) / timing.NS
            self.metrics.scheduler_lateness.observe(late)

    # --- what and to whom ----------------------------------------------------------------
    def _local(self, namespace: str, subscriptions: list[str]) -> list[str]:
        if self.sessions is None:
            return []
        agents: set[str] = set()
        for subscription in subscriptions:
            agents.update(self.sessions.subscribed(namespace, subscription))
        return sorted(agents)

    async def _publish(self, check: Mapping[str, Any]) -> None:
        """Send ``check`` to every agent here holding one of its subscriptions (once each),
        or one request per matched entity when it has proxy requests."""
        namespace = str(check["metadata"]["namespace"])
        subscriptions = list(check.get("subscriptions") or [])
        if not self._local(namespace, subscriptions):
            return
        if not check.get("proxy_requests"):
            await self._send(check, self._local(namespace, subscriptions))
            return
        entities = await matching_entities(self.store, check, self.js_timeout)
        gap = splay_gap(check, len(entities), time.time())
        for index, entity in enumerate(entities):
            if index and gap:
                await asyncio.sleep(gap)
            config = self._for_entity(check, entity)
            if config is not None:
                await self._send(config, self._local(namespace, subscriptions))

    async def _round_robin(self, check: Mapping[str, Any], fire_ns: int) -> None:
        namespace, name = str(check["metadata"]["namespace"]), str(check["metadata"]["name"])
        entities: list[dict[str, Any]] = []
        if check.get("proxy_requests"):
            entities = await matching_entities(self.store, check, self.js_timeout)
            if not entities:
                return
        for subscription in check.get("subscriptions") or []:
            local = self._local(namespace, [subscription])
            if not local:
                continue
            await self.rings.publish(namespace, subscription, local)
            chosen = await self.rings.take(
                namespace, subscription, name, fire_ns, max(1, len(entities)), local
            )
            if not entities:
                await self._send(check, [a for a in chosen if a in local])
                continue
            gap = splay_gap(check, len(entities), time.time())
            for index, (entity, agent) in enumerate(zip(entities, chosen, strict=False)):
                if index and gap:
                    await asyncio.sleep(gap)
                config = self._for_entity(check, entity)
                if config is not None and agent in local:
                    await self._send(config, [agent])

    def _for_entity(
        self, check: Mapping[str, Any], entity: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        synthesized = synthesize(entity)
        try:
            config: dict[str, Any] = substitute(dict(check), synthesized)
        except TokenError as exc:
            log.error(
                "could not substitute tokens for proxy entity",
                extra={
                    "check": check["metadata"]["name"],
                    "entity": synthesized.get("name"),
                    "error": str(exc),
                },
            )
            return None
        config["proxy_entity_name"] = synthesized.get("name", "")
        return config

    async def _send(self, config: Mapping[str, Any], agents: list[str]) -> None:
        if not agents or self.sessions is None:
            return
        namespace = str(config["metadata"]["namespace"])
        config = {**config, "scheduler": self._scheduler_for(config)}
        request = await build_request(self.store, config, int(time.time()))
        payload = msgspec.json.encode(request)
        queued = sum(
            self.sessions.send(namespace, agent, "check_request", payload) for agent in agents
        )
        self.metrics.check_requests.labels("queued").inc(queued)
        if queued < len(agents):
            self.metrics.check_requests.labels("refused").inc(len(agents) - queued)

    def _scheduler_for(self, config: Mapping[str, Any]) -> str:
        """Sensu's ``check.scheduler`` (the agent echoes it into the event): "memory" for a
        check every subscriber runs, the ring's home for round robin (an interval ring
        always says so; otherwise a stored value wins)."""
        stored = str(config.get("scheduler") or "")
        if config.get("round_robin"):
            return stored if stored and config.get("cron") else self.ring_source
        return stored or "memory"

    # --- round-robin membership ----------------------------------------------------------
    def _sessions_changed(self, namespace: str) -> None:
        self._spawn(self._publish_rings(namespace), "scheduler:rings")

    async def _publish_rings(self, namespace: str) -> None:
        subscriptions: set[str] = set()
        for (ns, _), value in self._checks.items():
            if ns == namespace:
                check = msgspec.json.decode(value)
                if check.get("round_robin"):
                    subscriptions.update(check.get("subscriptions") or [])
        for subscription in sorted(subscriptions):
            await self.rings.publish(
                namespace, subscription, self._local(namespace, [subscription])
            )

    # --- ad hoc --------------------------------------------------------------------------
    def _on_adhoc_notice(self, payload: str) -> None:
        namespace, _, name = payload.partition("/")
        self._spawn(self._deliver_adhoc(namespace, name), "scheduler:adhoc")

    async def _deliver_adhoc(self, namespace: str, name: str) -> None:
        if name in self._adhoc_seen:
            return
        record = await self.store.get(adhoc.KIND, namespace, name)
        if record is None:
            return
        self._adhoc_seen[name] = time.time()
        row = msgspec.json.decode(record.value)
        if float(row.get("queued", 0)) < self._started - 1.0:
            return  # queued before this backend started: its agents were not there
        await self._publish(row["config"])  # ad hoc runs ignore ``publish``

    async def _sweep_adhoc(self) -> None:
        now = time.time()
        stale: list[Delete] = []
        for record in await self.store.list(ListQuery(adhoc.KIND)):
            queued = float(msgspec.json.decode(record.value).get("queued", 0))
            if now - queued > adhoc.KEEP:
                stale.append(Delete(adhoc.KIND, record.namespace, record.name, missing_ok=True))
            elif now - queued < adhoc.FRESH and record.name not in self._adhoc_seen:
                await self._deliver_adhoc(record.namespace, record.name)
        self._adhoc_seen = {k: t for k, t in self._adhoc_seen.items() if now - t < adhoc.KEEP}
        if stale:
            await self.store.apply(stale)
