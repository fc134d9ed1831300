"""Model tests validate as the server does: with the pipeline's JavaScript syntax check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vigil.model.common import use_javascript_check
from vigil.pipeline import js


@pytest.fixture(autouse=True, scope="session")
def javascript_check() -> Iterator[None]:
    use_javascript_check(js.first_syntax_error)
    yield
    use_javascript_check(None)
