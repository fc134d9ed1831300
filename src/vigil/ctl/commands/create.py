"""`vigilctl create -f FILE` (PUT every wrapped document to its URI) and `delete -f FILE`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.documents import Document, Request, parse_documents, to_request
from vigil.ctl.errors import CtlError

from .options import namespace_option

SUFFIXES = (".yaml", ".yml", ".json")


def _directory_files(directory: Path, recursive: bool) -> Iterator[Path]:
    pattern = "**/*" if recursive else "*"
    for path in sorted(directory.glob(pattern)):
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            yield path


def read_sources(sources: tuple[str, ...], recursive: bool) -> Iterator[tuple[str, str]]:
    """(label, text) per input: `-` is stdin; a directory yields its YAML/JSON files."""
    for source in sources:
        if source == "-":
            yield "<stdin>", sys.stdin.read()
            continue
        path = Path(source)
        if path.is_dir():
            for child in _directory_files(path, recursive):
                yield str(child), child.read_text(encoding="utf-8")
        elif path.is_file():
            yield source, path.read_text(encoding="utf-8")
        else:
            raise CtlError(f"{source}: no such file or directory")


def load_requests(sources: tuple[str, ...], recursive: bool, namespace: str) -> list[Request]:
    """Parse and route every document before anything is sent, so bad input changes nothing."""
    documents: list[tuple[str, Document]] = []
    for label, text in read_sources(sources, recursive):
        try:
            documents.extend((label, doc) for doc in parse_documents(text))
        except CtlError as exc:
            raise CtlError(f"{label}: {exc.message}") from exc
    requests: list[Request] = []
    problems: list[str] = []
    for label, doc in documents:
        try:
            requests.append(to_request(doc, namespace))
        except CtlError as exc:
            problems.append(f"{label}: {exc.message}")
    if problems:
        raise CtlError("\n".join(problems))
    return requests


@click.command("create", help="Create or replace resources from YAML or JSON documents.")
@click.option(
    "-f",
    "--file",
    "sources",
    multiple=True,
    required=True,
    help="File, directory or `-` for stdin (repeatable).",
)
@click.option("-r", "--recursive", is_flag=True, help="Descend into sub-directories.")
@namespace_option
@pass_ctl
def create(
    ctl: CtlContext,
    sources: tuple[str, ...],
    recursive: bool,
    namespace: str | None,
) -> None:
    requests = load_requests(sources, recursive, ctl.effective_namespace(namespace))
    client = ctl.client()
    failures = 0
    for request in requests:
        try:
            client.request(request.method, request.path, json=request.body)
        except CtlError as exc:
            failures += 1
            click.echo(f"Error: {request.label}: {exc.message}", err=True)
    if failures:
        raise click.exceptions.Exit(1)


@click.command("delete", help="Delete the resources described in a file or stdin.")
@click.option("-f", "--file", "source", default="-", help="File to delete resources from.")
@namespace_option
@pass_ctl
def delete(ctl: CtlContext, source: str, namespace: str | None) -> None:
    """sensuctl's ``delete [-f FILE]``: the documents ``create -f`` reads, deleted in order;
    the first failure stops, naming the resource."""
    requests = load_requests((source,), False, ctl.effective_namespace(namespace))
    client = ctl.client()
    for index, request in enumerate(requests):
        try:
            client.delete(request.path)
        except CtlError as exc:
            raise CtlError(
                f"error deleting resource {index} ({request.path}): {exc.message}"
            ) from None
