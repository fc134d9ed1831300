"""Every Prometheus collector Vigil exports, named in one place; one registry per app."""

from __future__ import annotations

import bisect
import math
import os
import platform
import time
from collections.abc import Iterable, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Metric,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from vigil import SENSU_COMPAT_VERSION, __version__

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
# As prometheus_client: ``_created`` samples unless this says otherwise.
_CREATED = os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES", "False").lower() not in (
    "true",
    "1",
    "t",
)


# --- per-request series -------------------------------------------------------------------
# Every API request counts itself, times itself and its store read: with prometheus_client's
# Counter and Histogram that is three lock round trips and a bucket scan (~4 µs, a tenth of a
# small GET). These keep plain numbers, observed from the event loop thread only, and are
# exported exactly as those classes export theirs (same names, labels, samples).


class CounterSeries:
    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount


class HistogramSeries:
    __slots__ = ("bounds", "counts", "created", "sum")

    def __init__(self, bounds: list[float]) -> None:
        self.bounds = bounds
        self.counts = [0] * len(bounds)
        self.sum = 0.0
        self.created = time.time()

    def observe(self, amount: float) -> None:
        self.sum += amount
        self.counts[bisect.bisect_left(self.bounds, amount)] += 1  # the first bound >= amount


class _Labelled(Collector):
    kind = ""

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry
    ) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        registry.register(self)

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, self.kind)]

    def _labels(self, values: tuple[str, ...]) -> dict[str, str]:
        return dict(zip(self.labelnames, values, strict=True))


class LoopCounter(_Labelled):
    """A labelled Counter for the event loop's hot path (see above)."""

    kind = "counter"

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry
    ) -> None:
        super().__init__(name, documentation, labelnames, registry)
        self._series: dict[tuple[str, ...], CounterSeries] = {}

    def labels(self, *values: str) -> CounterSeries:
        series = self._series.get(values)
        if series is None:
            series = self._series[values] = CounterSeries()
        return series

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, self.kind)
        for values, series in list(self._series.items()):
            labels = self._labels(values)
            metric.add_sample(self.name + "_total", labels, series.value)
            if _CREATED:
                metric.add_sample(self.name + "_created", labels, series.created)
        return [metric]


class LoopHistogram(_Labelled):
    """A labelled Histogram for the event loop's hot path (see above)."""

    kind = "histogram"

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        registry: CollectorRegistry,
        buckets: Sequence[float],
    ) -> None:
        super().__init__(name, documentation, labelnames, registry)
        self._bounds = [float(b) for b in buckets] + [math.inf]
        self._le = [floatToGoString(b) for b in self._bounds]  # type: ignore[no-untyped-call]
        self._series: dict[tuple[str, ...], HistogramSeries] = {}

    def labels(self, *values: str) -> HistogramSeries:
        series = self._series.get(values)
        if series is None:
            series = self._series[values] = HistogramSeries(self._bounds)
        return series

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, self.kind)
        for values, series in list(self._series.items()):
            labels = self._labels(values)
            total = 0.0
            for le, count in zip(self._le, list(series.counts), strict=True):
                total += count
                metric.add_sample(self.name + "_bucket", {**labels, "le": le}, total)
            metric.add_sample(self.name + "_count", labels, total)
            metric.add_sample(self.name + "_sum", labels, series.sum)
            if _CREATED:
                metric.add_sample(self.name + "_created", labels, series.created)
        return [metric]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        # The standard series every Prometheus exporter has (Sensu's Go client registers the
        # Go equivalents): process_cpu_seconds_total, process_resident_memory_bytes, ...
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        # Like Sensu's sensu_go_build_info: constant 1, the facts in labels.
        Gauge(
            "vigil_build_info",
            "Vigil build information",
            ["version", "sensu_version", "python_version"],
            registry=r,
        ).labels(__version__, SENSU_COMPAT_VERSION, platform.python_version()).set(1)
        self.requests = LoopCounter(
            "vigil_http_requests", "HTTP requests served", ["route", "method", "status"], r
        )
        self.latency = LoopHistogram(
            "vigil_http_request_duration_seconds",
            "HTTP request latency",
            ["route", "method"],
            r,
            _LATENCY_BUCKETS,
        )
        self.store_latency = LoopHistogram(
            "vigil_store_operation_duration_seconds",
            "Store call latency",
            ["operation"],
            r,
            _LATENCY_BUCKETS,
        )
        self.resources = Gauge("vigil_resources", "Stored resources per type", ["type"], registry=r)
        self.events_ingested = Counter(
            "vigil_events_ingested", "Events accepted and committed", registry=r
        )
        self.pipeline_dropped = Counter(
            "vigil_pipeline_events_dropped",
            "Events not handled because the queue was full",
            registry=r,
        )
        self.handler_results = Counter(
            "vigil_pipeline_handler_results", "Handler executions", ["type", "result"], registry=r
        )
        self.filter_errors = Counter(
            "vigil_pipeline_filter_errors", "Filter evaluations that failed", registry=r
        )
        self.script_failures = Counter(
            "vigil_js_evaluation_failures",
            "JavaScript filter/mutator evaluations stopped or failed",
            ["reason"],  # timeout, memory, error
            registry=r,
        )
        self.agent_sessions = Gauge(
            "vigil_agent_sessions", "Agent websocket sessions on this backend", registry=r
        )
        self.agent_messages_received = Counter(
            "vigil_agent_messages_received", "Frames received from agents", ["type"], registry=r
        )
        self.agent_messages_rejected = Counter(
            "vigil_agent_messages_rejected",
            "Frames from agents dropped as malformed or invalid",
            ["type"],
            registry=r,
        )
        self.agent_messages_dropped = Counter(
            "vigil_agent_messages_dropped",
            "Frames for agents dropped because the session's send queue was full",
            ["type"],
            registry=r,
        )
        self.check_requests = Counter(
            "vigil_scheduler_check_requests",
            "Check requests the scheduler handed to agent sessions (queued or refused)",
            ["result"],
            registry=r,
        )
        self.scheduler_lateness = Histogram(
            "vigil_scheduler_lateness_seconds",
            "Time from a check's scheduled instant to its requests being queued",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )

    # The pipeline runner reports through these (its PipelineMetrics protocol).
    def event_dropped(self) -> None:
        self.pipeline_dropped.inc()

    def handler_result(self, handler_type: str, ok: bool) -> None:
        self.handler_results.labels(handler_type, "ok" if ok else "error").inc()

    def filter_error(self) -> None:
        self.filter_errors.inc()

    def script_failure(self, reason: str) -> None:
        self.script_failures.labels(reason).inc()
