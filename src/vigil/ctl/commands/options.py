"""Options shared by many commands (sensuctl spells them the same way)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from vigil.ctl.config import FORMATS

F = TypeVar("F", bound=Callable[..., Any])

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: the configured one).",
)
namespace_option = click.option(
    "--namespace", "-n", default=None, help="Namespace (default: the configured one)."
)
skip_confirm_option = click.option(
    "--skip-confirm", is_flag=True, help="Do not ask for confirmation."
)


def list_options(func: F) -> F:
    """--format, --namespace, --all-namespaces, --chunk-size and the two selectors."""
    decorators = (
        format_option,
        namespace_option,
        click.option("--all-namespaces", is_flag=True, help="List across all namespaces."),
        click.option(
            "--chunk-size",
            type=click.IntRange(min=0),
            default=0,
            help="Fetch the list in pages of N items (0: one request).",
        ),
        click.option("--field-selector", default=None, help="Filter by fields (fieldSelector)."),
        click.option("--label-selector", default=None, help="Filter by labels (labelSelector)."),
    )
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def confirm_deletion(name: str, skip: bool) -> bool:
    """sensuctl's guard: the user must type the resource name back."""
    if skip:
        return True
    answer = click.prompt(
        "Are you sure you would like to delete this resource? "
        f"Type the name of the resource ({name}) to confirm",
        default="",
        show_default=False,
    )
    return bool(answer == name)
