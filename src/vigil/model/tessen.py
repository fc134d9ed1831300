"""TessenConfig: the call-home opt-out, served at ``/tessen`` (not a generic resource)."""

from __future__ import annotations

import msgspec

from vigil.model.meta import shown


class TessenConfig(msgspec.Struct, kw_only=True):
    opt_out: bool = shown(bool)
