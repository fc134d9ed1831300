"""The agent's pure parts: tokens, metric formats, back-off, configuration, allow list, env."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.agent import metricformats
from vigil.agent.config import parse_duration, resolve
from vigil.agent.connection import Backoff, frame, unframe
from vigil.agent.execution import (
    AllowEntry,
    hook_should_run,
    match_allow_list,
    merge_env,
)
from vigil.agent.outbox import Outbox
from vigil.errors import InvalidArgument
from vigil.tokens import TokenError, substitute, synthesize

ENTITY = synthesize(
    {
        "metadata": {"name": "web1", "namespace": "default", "labels": {"disk": "/srv"}},
        "system": {"hostname": "web1.example", "os": "linux"},
        "subscriptions": ["linux"],
    }
)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("check {{ .name }}", "check web1"),
        ("{{.labels.disk}}", "/srv"),
        ('{{ .labels.missing | default "/" }}', "/"),
        ('{{ .labels.disk | default "/" }}', "/srv"),
        ("{{ default 80 .labels.port }}", "80"),
        ("{{ .system.hostname }}:{{ .system.os }}", "web1.example:linux"),
        ('{{ assetPath "sensu-plugins-disk" }}', "SENSU_PLUGINS_DISK_PATH"),
        ("no tokens at all", "no tokens at all"),
    ],
)
def test_token_substitution(template: str, expected: str) -> None:
    assert substitute({"command": template}, ENTITY)["command"] == expected


def test_substitution_reaches_every_string_and_leaves_others() -> None:
    config = {"command": "x", "env_vars": ["HOST={{ .name }}"], "interval": 10, "stdin": True}
    assert substitute(config, ENTITY) == {
        "command": "x",
        "env_vars": ["HOST=web1"],
        "interval": 10,
        "stdin": True,
    }


@pytest.mark.parametrize("template", ["{{ .labels.nope }}", "{{ .nothing.here }}", "{{ bogus }}"])
def test_unmatched_token_is_an_error(template: str) -> None:
    with pytest.raises(TokenError) as caught:
        substitute({"command": template}, ENTITY)
    if "." in template:
        assert "unmatched token" in str(caught.value)


def test_nagios_perfdata() -> None:
    out = "PING OK - Packet loss = 0% | percent_packet_loss=0%;80;100 rta=0.45ms;;;0 bad"
    points = metricformats.extract("nagios_perfdata", out, 1700000000, [])
    assert [(p["name"], p["value"], p["timestamp"]) for p in points] == [
        ("percent_packet_loss", 0.0, 1700000000),
        ("rta", 0.45, 1700000000),
    ]


def test_graphite_plaintext_with_tags() -> None:
    out = "cpu.load;host=a 0.5 1700000000\nmalformed line\nmem.free 12 1700000001\n"
    tags = [{"name": "team", "value": "ops"}]
    points = metricformats.extract("graphite_plaintext", out, 0, tags)
    assert points == [
        {
            "name": "cpu.load",
            "value": 0.5,
            "timestamp": 1700000000,
            "tags": [{"name": "team", "value": "ops"}, {"name": "host", "value": "a"}],
        },
        {"name": "mem.free", "value": 12.0, "timestamp": 1700000001, "tags": tags},
    ]


def test_influxdb_line() -> None:
    out = r"weather,location=us\ midwest temperature=82,humidity=71 1465839830100400200"
    points = metricformats.extract("influxdb_line", out, 0, None)
    assert [(p["name"], p["value"], p["timestamp"]) for p in points] == [
        ("weather.temperature", 82.0, 1465839830),
        ("weather.humidity", 71.0, 1465839830),
    ]
    assert points[0]["tags"] == [{"name": "location", "value": "us midwest"}]


def test_opentsdb_line() -> None:
    out = "sys.cpu.user 1356998400000 42.5 host=web01 cpu=0\nshort 1"
    points = metricformats.extract("opentsdb_line", out, 0, None)
    assert points == [
        {
            "name": "sys.cpu.user",
            "value": 42.5,
            "timestamp": 1356998400,
            "tags": [{"name": "host", "value": "web01"}, {"name": "cpu", "value": "0"}],
        }
    ]


def test_prometheus_text() -> None:
    out = (
        "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n"
        'http_requests_total{code="200"} 1027 1395066363000\nup NaN\n'
    )
    points = metricformats.extract("prometheus_text", out, 0, None)
    assert len(points) == 1
    point = points[0]
    assert (point["name"], point["value"], point["timestamp"]) == (
        "http_requests_total",
        1027.0,
        1395066363,
    )
    tags = {t["name"]: t["value"] for t in point["tags"]}
    assert tags == {"code": "200", "prom_type": "counter", "prom_help": "Requests."}


def test_unknown_format_gives_no_points() -> None:
    assert metricformats.extract("nope", "a 1 2", 0, None) == []


def test_backoff_doubles_and_caps() -> None:
    backoff = Backoff(1.0, 8.0, 2.0)
    assert [backoff.next_delay() for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_backoff_on_429_doubles_min_max_and_multiplier() -> None:
    backoff = Backoff(1.0, 8.0, 2.0)
    delays = [backoff.next_delay(too_many_requests=True) for _ in range(4)]
    assert delays == [2.0, 8.0, 16.0, 16.0]
    assert backoff.next_delay() == 1.0  # an ordinary failure restores sensu's values


def test_framing() -> None:
    assert frame("event", b'{"a":1}') == b'event\n{"a":1}'
    assert unframe(b'check_request\n{"x":"\\n"}') == ("check_request", b'{"x":"\\n"}')


@pytest.mark.parametrize(
    ("text", "seconds"), [("1s", 1.0), ("120s", 120.0), ("1m30s", 90.0), ("500ms", 0.5), ("3", 3.0)]
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_config_precedence_flag_env_file_default(tmp_path: Path) -> None:
    config_file = tmp_path / "agent.yml"
    config_file.write_text(
        "name: from-file\nnamespace: file-ns\nsubscriptions: [a, b]\n"
        "labels: {team: ops}\nkeepalive-interval: 7\nbackend-url: [ws://h1, 'ws://h2:9000']\n"
    )
    env = {"SENSU_NAMESPACE": "env-ns", "SENSU_SUBSCRIPTIONS": "x y", "SENSU_CACHE_DIR": "/c"}
    config = resolve({"name": "from-flag"}, config_file=str(config_file), environ=env)
    assert config.name == "from-flag"
    assert config.namespace == "env-ns"
    assert config.subscriptions == ["x", "y"]
    assert config.labels == {"team": "ops"}
    assert config.keepalive_interval == 7
    assert config.backend_url == ["ws://h1:8081", "ws://h2:9000"]
    assert config.cache_dir == "/c"
    assert config.retry_max == 120.0 and config.api_port == 3031


def test_labels_from_env_json_and_flags() -> None:
    env = {"SENSU_LABELS": '{"a": "1"}'}
    assert resolve({}, environ=env).labels == {"a": "1"}
    assert resolve({"labels": ("a=2,b=3", "c=4")}, environ=env).labels == {
        "a": "2",
        "b": "3",
        "c": "4",
    }


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"keepalive-warning-timeout": 4}, "minimum value is 5 seconds"),
        ({"keepalive-critical-timeout": 10, "keepalive-warning-timeout": 20}, "greater than"),
        ({"backend-url": ["http://x"]}, "must have ws:// or wss:// scheme"),
    ],
)
def test_sensu_start_up_checks(flags: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        resolve(flags, environ={})


def test_missing_named_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="cannot read config file"):
        resolve({}, config_file=str(tmp_path / "nope.yml"), environ={})


def test_allow_list_matching() -> None:
    entries = [AllowEntry("/usr/bin/check_disk", ("-w", "80", "-c", "90"))]
    assert match_allow_list(entries, "/usr/bin/check_disk -w 80 -c 90") is entries[0]
    assert match_allow_list(entries, "/usr/bin/check_disk -w 80 ; rm -rf /") is None
    assert match_allow_list(entries, "/bin/sh") is None


@pytest.mark.parametrize(
    ("hook_type", "status", "runs"),
    [
        ("0", 0, True),
        ("2", 2, True),
        ("2", 1, False),
        ("ok", 0, True),
        ("warning", 1, True),
        ("critical", 2, True),
        ("unknown", 3, True),
        ("unknown", 2, False),
        ("non-zero", 1, True),
        ("non-zero", 0, False),
    ],
)
def test_hook_types(hook_type: str, status: int, runs: bool) -> None:
    assert hook_should_run(hook_type, status) is runs


def test_path_variables_are_prepended() -> None:
    env = merge_env({"PATH": "/usr/bin", "X": "1"}, {"PATH": "/asset/bin:/usr/bin"}, ["X=2"])
    assert env == {"PATH": "/asset/bin:/usr/bin", "X": "2"}
    env = merge_env({"PATH": "/usr/bin"}, ["PATH=/mine"])
    assert env["PATH"] == "/mine:/usr/bin"


def test_outbox_is_bounded_ordered_and_durable(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_events=3)
    for n in range(5):
        outbox.put("event", str(n).encode())
    assert [payload for _, _, payload in outbox.peek()] == [b"2", b"3", b"4"]
    assert outbox.dropped == 2
    first_id = outbox.peek(1)[0][0]
    outbox.remove(first_id)
    outbox.close()
    reopened = Outbox(tmp_path / "o.db", max_events=3)
    assert [payload for _, _, payload in reopened.peek()] == [b"3", b"4"]
    assert len(reopened) == 2 and reopened.dropped == 2
    reopened.close()


def test_thresholds_raise_an_ok_status_with_annotations() -> None:
    from vigil.agent.thresholds import evaluate

    points = [
        {"name": "disk", "value": 95.0, "tags": [{"name": "mount", "value": "/"}]},
        {"name": "load", "value": 0.1, "tags": []},
    ]
    rules = [
        {
            "name": "disk",
            "tags": [{"name": "mount", "value": "/"}],
            "thresholds": [{"max": "80", "status": 1}, {"max": "90", "status": 2}],
        },
        {"name": "load", "thresholds": [{"min": "0.5", "status": 1}]},
        {"name": "absent", "null_status": 1, "thresholds": [{"max": "1", "status": 2}]},
    ]
    status, notes = evaluate(0, points, rules)
    assert status == 2
    assert notes["sensu.io/output_metric_thresholds/disk.//max/critical"] == (
        "The value of disk (mount=/) exceeded the configured threshold (max: 90, actual: 95)."
    )
    assert "sensu.io/output_metric_thresholds/load/min/warning" in notes
    assert notes["sensu.io/output_metric_thresholds/absent/null-status/warning"] == (
        'WARNING : no metric matching "absent" was found; expected max: 1 (status: critical)'
    )
    assert notes["sensu.io/notifications/critical"].startswith("The value of disk")
    assert evaluate(1, points, rules) == (1, {})


def test_statsd_aggregation_uses_gostatsd_names() -> None:
    from vigil.agent.inputs import StatsdAggregate

    aggregate = StatsdAggregate()
    aggregate.add(b"hits:1|c\nhits:2|c|@0.5\nload:3|g\nload:+2|g\nrt:10|ms\nrt:30|ms\nu:a|s\nu:a|s")
    aggregate.add(b"garbage\nbad:x|c")
    points = {p["name"]: p["value"] for p in aggregate.points(1700000000, 10.0)}
    assert points["hits.value"] == 5.0 and points["hits.per_second"] == 0.5
    assert points["load.value"] == 5.0
    assert (points["rt.min"], points["rt.max"], points["rt.mean"], points["rt.count"]) == (
        10.0,
        30.0,
        20.0,
        2.0,
    )
    assert points["u.value"] == 1.0


def test_1x_check_results_become_events() -> None:
    from vigil.agent.inputs import BadEvent, prepare_event, translate_1x

    def entity() -> dict[str, object]:
        return {"metadata": {"name": "me", "namespace": "default"}}

    raw = {"name": "disk", "output": "full", "status": 2, "source": "db1", "handler": "mail"}
    event = prepare_event(
        translate_1x(raw, agent="me", namespace="default"),
        agent="me",
        namespace="default",
        entity=entity,
    )
    assert event["check"]["proxy_entity_name"] == "db1"
    assert event["check"]["handlers"] == ["mail"] and event["check"]["interval"] == 1
    assert event["check"]["processed_by"] == "me" and event["entity"] == entity()
    assert event["id"] and event["timestamp"]
    for bad in ({"output": "x"}, {"name": "x"}, []):
        with pytest.raises(BadEvent):
            translate_1x(bad, agent="me", namespace="default")


async def _tcp_exchange(sockets: object, data: bytes) -> bytes:
    import asyncio

    server = await asyncio.start_server(sockets.handle_tcp, "127.0.0.1", 0)  # type: ignore[attr-defined]
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    writer.write_eof()
    answer = await reader.read()
    writer.close()
    server.close()
    return answer


@pytest.mark.anyio
async def test_tcp_socket_answers_as_sensu_agent() -> None:
    from vigil.agent.inputs import SocketInput

    sent: list[dict[str, object]] = []
    sockets = SocketInput(
        agent="me",
        namespace="default",
        entity=lambda: {"metadata": {"name": "me"}},
        send=lambda _t, e: sent.append(e),
    )
    assert await _tcp_exchange(sockets, b'{"name": "a", "output": "x"}') == b"ok"
    assert await _tcp_exchange(sockets, b" ping \n") == b"pong"
    assert await _tcp_exchange(sockets, b'{"name": "a"}') == b""  # closed, no answer
    assert await _tcp_exchange(sockets, b'{"name": "trunc') == b"invalid"
    assert len(sent) == 1
