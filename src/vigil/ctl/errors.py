"""The one error vigilctl raises: click prints it as `Error: <message>` and exits 1."""

from __future__ import annotations

import click


class CtlError(click.ClickException):
    """A user-facing failure; `status` is the HTTP status when the API answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
