"""Proxy requests: which entities a check runs for, and how its requests are spread."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from vigil.pipeline import js
from vigil.schedulerd import timing
from vigil.store.base import ListQuery, Store
from vigil.tokens import synthesize

log = logging.getLogger("vigil.schedulerd")
DEFAULT_SPLAY_COVERAGE = 90


def _matches(expressions: list[str], entities: list[dict[str, Any]], timeout: float) -> list[bool]:
    results = []
    for entity in entities:
        try:
            results.append(js.match_entity(expressions, synthesize(entity), timeout=timeout))
        except js.ScriptError as exc:
            log.warning("error evaluating proxy entity attributes", extra={"error": str(exc)})
            results.append(False)
    return results


async def matching_entities(
    store: Store, check: Mapping[str, Any], timeout: float
) -> list[dict[str, Any]]:
    """The namespace's entities for which every ``entity_attributes`` expression is true."""
    expressions = list((check.get("proxy_requests") or {}).get("entity_attributes") or [])
    namespace = str(check["metadata"]["namespace"])
    records = await store.list(ListQuery("entities", namespace=namespace))
    entities = [msgspec.json.decode(record.value) for record in records]
    matched: list[dict[str, Any]] = []
    if expressions and entities:
        results = await asyncio.to_thread(_matches, expressions, entities, timeout)
        matched = [entity for entity, ok in zip(entities, results, strict=True) if ok]
    if not matched:
        log.warning(
            "no matching entities, check will not be published",
            extra={"check": check["metadata"]["name"], "namespace": namespace},
        )
    return matched


def splay_gap(check: Mapping[str, Any], matches: int, now: float) -> float:
    """Seconds between consecutive proxy requests: the time to the next run (skipping a cron
    run less than 5 s away) times ``splay_coverage`` %, shared among the matches."""
    proxy = check.get("proxy_requests") or {}
    if not proxy.get("splay") or matches <= 0:
        return 0.0
    window = float(check.get("interval") or 0)
    cron = str(check.get("cron") or "")
    if cron:
        start = datetime.fromtimestamp(now, UTC)
        window = (timing.next_cron_fire(cron, start) - start).total_seconds()
        if window < 5:
            start = start + timedelta(seconds=window + 1)
            window = (timing.next_cron_fire(cron, start) - start).total_seconds()
    coverage = int(proxy.get("splay_coverage") or 0) or DEFAULT_SPLAY_COVERAGE
    return window * coverage / 100.0 / matches
