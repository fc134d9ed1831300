"""Output formats on sample data: tabular columns, json, yaml and wrapped-json round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from vigil.ctl.documents import parse_documents
from vigil.ctl.formats import render_list, render_one, wrap
from vigil.ctl.kinds import KINDS, find_kind

CHECK: dict[str, Any] = {
    "metadata": {"name": "disk", "namespace": "default", "labels": {"team": "ops"}},
    "command": "check-disk -w 80",
    "interval": 30,
    "subscriptions": ["linux", "web"],
    "handlers": ["slack"],
    "publish": True,
    "stdin": False,
    "check_hooks": [{"critical": ["ps"]}],
}
EVENT: dict[str, Any] = {
    "metadata": {"namespace": "default"},
    "entity": {"metadata": {"name": "web1", "namespace": "default"}, "entity_class": "agent"},
    "check": {
        "metadata": {"name": "disk", "namespace": "default"},
        "status": 2,
        "output": "DISK CRITICAL: 95% used\nsecond line",
        "is_silenced": False,
    },
    "timestamp": 1700000000,
    "id": "4d1a2b3c-0000-4000-8000-000000000001",
}


def kind(name: str) -> Any:
    found = find_kind(name)
    assert found is not None
    return found


def header_and_rows(text: str) -> tuple[str, list[str]]:
    lines = text.splitlines()
    return lines[0], lines[2:]


def test_check_table_has_sensuctl_columns() -> None:
    header, rows = header_and_rows(render_list(kind("check"), [CHECK], "tabular"))
    expected = ["Name", "Command", "Interval", "Cron", "Timeout", "TTL", "Subscriptions"]
    expected += ["Handlers", "Assets", "Hooks", "Publish?", "Stdin?"]
    positions = [header.index(column) for column in expected]
    assert positions == sorted(positions)
    assert len(rows) == 1
    for value in ("disk", "check-disk -w 80", "30", "linux,web", "slack", "critical:ps", "true"):
        assert value in rows[0]


def test_event_table_shows_first_output_line_and_uuid() -> None:
    header, rows = header_and_rows(render_list(kind("event"), [EVENT], "tabular"))
    for column in ("Entity", "Check", "Output", "Status", "Silenced", "Timestamp", "UUID"):
        assert column in header
    assert "DISK CRITICAL: 95% used" in rows[0]
    assert "second line" not in rows[0]
    assert EVENT["id"] in rows[0]


def test_all_namespaces_adds_a_namespace_column() -> None:
    header, _ = header_and_rows(render_list(kind("check"), [CHECK], "tabular", with_namespace=True))
    assert "Namespace" in header


def test_empty_list_is_just_the_header() -> None:
    text = render_list(kind("check"), [], "tabular")
    assert text.splitlines()[0].split()[0] == "Name"
    assert len(text.splitlines()) == 2


@pytest.mark.parametrize("k", KINDS, ids=lambda k: k.cli)
def test_every_kind_renders_a_table(k: Any) -> None:
    sample = {"metadata": {"name": "x", "namespace": "default"}, "name": "x", "username": "x"}
    assert render_list(k, [sample], "tabular")
    assert render_one(k, sample, "tabular")


def test_json_is_the_plain_api_array() -> None:
    assert json.loads(render_list(kind("check"), [CHECK, CHECK], "json")) == [CHECK, CHECK]
    assert json.loads(render_one(kind("check"), CHECK, "json")) == CHECK


def test_yaml_is_wrapped_and_multi_document() -> None:
    docs = list(yaml.safe_load_all(render_list(kind("check"), [CHECK, CHECK], "yaml")))
    assert len(docs) == 2
    assert docs[0]["type"] == "CheckConfig"
    assert docs[0]["api_version"] == "core/v2"
    assert docs[0]["metadata"] == CHECK["metadata"]
    assert "metadata" not in docs[0]["spec"]
    assert docs[0]["spec"]["command"] == CHECK["command"]


def test_wrapped_json_is_concatenated_objects_that_create_reads_back() -> None:
    text = render_list(kind("check"), [CHECK, CHECK], "wrapped-json")
    docs = parse_documents(text)
    assert docs == [wrap(kind("check"), CHECK)] * 2


def test_info_table_lists_fields() -> None:
    text = render_one(kind("check"), CHECK, "tabular")
    assert "Name:" in text and "disk" in text
    assert "Namespace:" in text


def test_namespace_wraps_with_empty_metadata() -> None:
    wrapped = wrap(kind("namespace"), {"name": "dev"})
    assert wrapped == {
        "type": "Namespace",
        "api_version": "core/v2",
        "metadata": {},
        "spec": {"name": "dev"},
    }
