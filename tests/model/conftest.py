"""Models validate filter expressions with the JS syntax check the server wires at start-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vigil.model.common import check_expressions_with
from vigil.pipeline import js


@pytest.fixture(autouse=True, scope="session")
def js_syntax_check() -> Iterator[None]:
    check_expressions_with(js.syntax_error)
    yield
