"""The event loop's own counter and histogram export what prometheus_client's would."""

from __future__ import annotations

from typing import Any
from unittest import mock

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics

from vigil.metrics import LoopCounter, LoopHistogram

BUCKETS = (0.0005, 0.001, 0.25, 1, 5)
AMOUNTS = (0.0001, 0.0005, 0.0007, 0.003, 0.25, 7.0)


def _fill(counter: Any, histogram: Any) -> None:
    for amount in AMOUNTS:
        histogram.labels("/a", "GET").observe(amount)
    histogram.labels("/b", "PUT")
    for status in ("200", "200", "404"):
        counter.labels("/a", "GET", status).inc()


def test_loop_series_are_exported_as_prometheus_client_exports_its_own() -> None:
    with mock.patch("time.time", return_value=1_700_000_000.25):
        theirs, ours = CollectorRegistry(), CollectorRegistry()
        _fill(
            Counter("requests", "Requests", ["route", "method", "status"], registry=theirs),
            Histogram("latency", "Latency", ["route", "method"], registry=theirs, buckets=BUCKETS),
        )
        _fill(
            LoopCounter("requests", "Requests", ["route", "method", "status"], ours),
            LoopHistogram("latency", "Latency", ["route", "method"], ours, BUCKETS),
        )
    assert generate_latest(ours) == generate_latest(theirs)
    assert openmetrics(ours) == openmetrics(theirs)
