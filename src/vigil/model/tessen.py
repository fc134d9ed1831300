"""TessenConfig: the call-home opt-out, served at ``/tessen`` (not a generic resource).

Vigil never calls home; the setting is kept so that sensuctl's ``tessen`` commands and
configuration dumps work as they do against Sensu.
"""

from __future__ import annotations

from typing import ClassVar

from vigil.model.base import Resource
from vigil.model.meta import shown


class TessenConfig(Resource, kw_only=True):
    TYPE: ClassVar[str] = "TessenConfig"
    PLURAL: ClassVar[str] = "tessen"
    NAMESPACED: ClassVar[bool] = False
    FIELD_PREFIX: ClassVar[str] = "tessen"
    NAME: ClassVar[str] = "config"  # the one stored instance

    opt_out: bool = shown(bool)

    def key_name(self) -> str:
        return self.NAME
