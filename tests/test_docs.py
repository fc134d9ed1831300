"""The README keeps up with the code: every setting and every resource type is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.model.registry import REGISTRY
from vigil.settings import SETTINGS

README = (Path(__file__).parent.parent / "README.md").read_text()


@pytest.mark.parametrize("flag", [s.flag for s in SETTINGS])
def test_every_setting_is_documented(flag: str) -> None:
    assert f"`{flag}`" in README


@pytest.mark.parametrize("plural", sorted(REGISTRY))
def test_every_type_is_documented(plural: str) -> None:
    assert f"`{plural}`" in README


def test_two_commands() -> None:
    assert "make run" in README
    assert "make test" in README
