"""The run context adapters get in pipeline tests: stored resources from a dict, real threads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from vigil.pipeline.adapters import RunContext

T = TypeVar("T")
Doc = dict[str, Any]


def run_context(
    kind: str, stored: dict[str, Doc] | None = None, js_timeout: float = 2.0
) -> RunContext:
    """Lookups of ``kind`` in namespace ``default`` answer from ``stored``."""

    async def lookup(asked_kind: str, namespace: str, name: str) -> Doc | None:
        assert (asked_kind, namespace) == (kind, "default")
        return (stored or {}).get(name)

    async def offload(func: Callable[[], T]) -> T:
        return await asyncio.to_thread(func)

    return RunContext(
        namespace="default",
        lookup=lookup,
        js_timeout=js_timeout,
        offload=offload,
        log=logging.LoggerAdapter(logging.getLogger(f"test.{kind}")),
    )
