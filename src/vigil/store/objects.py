"""Typed resources -> store writes: the one place a model becomes a ``Put``."""

from __future__ import annotations

from vigil.model.base import Resource, encode
from vigil.store.base import Put


def put_of(obj: Resource, if_revision: int | None = None) -> Put:
    """Stores the model's JSON with the flat field and label maps selectors read."""
    return Put(
        kind=obj.PLURAL,
        namespace=obj.key_namespace(),
        name=obj.key_name(),
        value=encode(obj),
        fields=obj.fields(),
        labels=obj.labels(),
        if_revision=if_revision,
    )
