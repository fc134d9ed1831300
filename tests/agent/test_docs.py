"""The README's agent flag table keeps up with the agent's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.agent.config import AGENT_SETTINGS

ROOT = Path(__file__).parent.parent.parent
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("setting", AGENT_SETTINGS, ids=lambda s: s.name)
def test_every_agent_flag_is_in_the_readme(setting: object) -> None:
    assert f"| `{setting.flag}` | `{setting.env}` |" in README  # type: ignore[attr-defined]


def test_two_commands() -> None:
    assert "make run-agent" in README
    assert (ROOT / "docs" / "agent.md").is_file()
