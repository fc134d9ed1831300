"""Every Prometheus collector Vigil exports, named in one place; one registry per app."""

from __future__ import annotations

import platform

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from vigil import SENSU_COMPAT_VERSION, __version__

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


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
        self.requests = Counter(
            "vigil_http_requests", "HTTP requests served", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "vigil_http_request_duration_seconds",
            "HTTP request latency",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.store_latency = Histogram(
            "vigil_store_operation_duration_seconds",
            "Store call latency",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
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
