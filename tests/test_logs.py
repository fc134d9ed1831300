"""Logs are one JSON object per line, with the record's extras and no terminal colours."""

from __future__ import annotations

import logging

import orjson
import pytest

from vigil import logs


def test_json_lines_with_extras(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("info")
    try:
        logging.getLogger("vigil.test").info(
            "serving %s", "api", extra={"address": "127.0.0.1:1", "color_message": "\x1b[36m"}
        )
        logging.getLogger("vigil.test").debug("hidden at info")
        lines = capsys.readouterr().err.strip().splitlines()
    finally:
        logging.getLogger().handlers.clear()
    assert len(lines) == 1
    line = orjson.loads(lines[0])
    assert line["msg"] == "serving api"
    assert line["level"] == "info"
    assert line["component"] == "vigil.test"
    assert line["address"] == "127.0.0.1:1"
    assert "color_message" not in line


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        logs.setup("loud")
