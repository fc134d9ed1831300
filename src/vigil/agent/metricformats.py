"""Sensu's ``output_metric_format`` parsers: check output -> ``metrics.points``.

Each follows the sensu-agent transformer of the same name: a malformed line is skipped (and
logged), never an error for the check. Points are plain dicts in the event's JSON shape.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

log = logging.getLogger("vigil.agent.metrics")

Tag = dict[str, str]
Point = dict[str, Any]


def _point(name: str, value: float, timestamp: int, tags: list[Tag]) -> Point:
    return {"name": name, "value": value, "timestamp": timestamp, "tags": tags}


def nagios_perfdata(output: str, executed: int, tags: list[Tag]) -> list[Point]:
    parts = output.split("|")
    if len(parts) != 2:
        log.info("nagios perfdata format requires at least one performance data metric")
        return []
    points = []
    for metric in parts[1].strip().split(" "):
        metric = metric.strip()
        if not metric:
            continue
        label_value = metric.split(";")[0].split("=")
        if len(label_value) != 2:
            log.info("invalid nagios perfdata metric: %r", metric)
            continue
        try:
            value = float(re.sub(r"[^-\d.]", "", label_value[1]))
        except ValueError:
            log.info("invalid nagios perfdata metric value: %r", label_value[1])
            continue
        points.append(_point(label_value[0].replace(" ", "_"), value, executed, list(tags)))
    return points


def graphite_plaintext(output: str, executed: int, tags: list[Tag]) -> list[Point]:
    points = []
    for line in output.strip().splitlines():
        args = line.split(" ")
        if len(args) != 3:
            log.info("graphite plain text format requires exactly 3 arguments: %r", line)
            continue
        series = args[0].split(";")
        own: list[Tag] = []
        try:
            for tag in series[1:]:
                name, value = tag.split("=")
                own.append({"name": name, "value": value})
            points.append(_point(series[0], float(args[1]), int(args[2]), [*tags, *own]))
        except ValueError:
            log.info("invalid graphite metric: %r", line)
    return points


def _split(text: str, sep: str) -> list[str]:
    return [s.replace("\x00", sep) for s in text.replace("\\" + sep, "\x00").split(sep)]


def _unescape(text: str) -> str:
    return text.replace("\\\\", "\x00").replace("\\", "").replace("\x00", "\\")


def influxdb_line(output: str, executed: int, tags: list[Tag]) -> list[Point]:
    points = []
    for line in output.strip().splitlines():
        args = _split(line, " ")
        if len(args) not in (2, 3):
            log.info("influxdb line format requires 2 arguments with a 3rd (optional) timestamp")
            continue
        measurement, *tag_sets = _split(args[0], ",")
        try:
            own = []
            for tag_set in tag_sets:
                key, value = _split(tag_set, "=")
                own.append({"name": _unescape(key), "value": _unescape(value)})
            fields = []
            for field_set in _split(args[1], ","):
                key, value = _split(field_set, "=")
                fields.append((_unescape(key), float(value)))
            stamp = int(args[2][:10]) if len(args) == 3 else int(time.time())
        except ValueError:
            log.info("invalid influxdb line: %r", line)
            continue
        name = _unescape(measurement)
        for key, number in fields:
            points.append(_point(f"{name}.{key}", number, stamp, [*own, *tags]))
    return points


def opentsdb_line(output: str, executed: int, tags: list[Tag]) -> list[Point]:
    points = []
    for line in output.strip().splitlines():
        parts = line.split(" ")
        if len(parts) < 4:
            log.info("invalid opentsdb metric, at least 4 arguments are required: %r", line)
            continue
        try:
            stamp = int(parts[1])
            if len(parts[1]) == 13:
                stamp //= 1000
            value = float(parts[2])
            own = []
            for tag in parts[3:]:
                key, val = tag.split("=")
                own.append({"name": key, "value": val})
        except ValueError:
            log.info("invalid opentsdb metric: %r", line)
            continue
        points.append(_point(parts[0], value, stamp, [*own, *tags]))
    return points


def prometheus_text(output: str, executed: int, tags: list[Tag]) -> list[Point]:
    points = []
    now = int(time.time())
    try:
        families = list(text_string_to_metric_families(output))
    except (ValueError, IndexError) as exc:
        log.info("invalid prometheus text: %s", exc)
        return []
    for family in families:
        for sample in family.samples:
            if math.isnan(sample.value):
                continue
            labels = dict(sample.labels)
            labels["prom_type"] = family.type
            if family.documentation:
                labels["prom_help"] = family.documentation
            for tag in tags:
                labels[tag["name"]] = tag["value"]
            stamp = int(float(sample.timestamp)) if sample.timestamp is not None else now
            points.append(
                _point(
                    sample.name.replace("\n", ""),
                    sample.value,
                    stamp,
                    [{"name": k, "value": v} for k, v in labels.items()],
                )
            )
    return points


PARSERS: dict[str, Callable[[str, int, list[Tag]], list[Point]]] = {
    "nagios_perfdata": nagios_perfdata,
    "graphite_plaintext": graphite_plaintext,
    "influxdb_line": influxdb_line,
    "opentsdb_line": opentsdb_line,
    "prometheus_text": prometheus_text,
}


def extract(fmt: str, output: str, executed: int, tags: list[Tag] | None) -> list[Point]:
    """The points of ``output`` in format ``fmt``; an unknown format gives none."""
    parser = PARSERS.get(fmt)
    return parser(output, executed, list(tags or [])) if parser else []
