"""Asset (``assets``): downloadable runtime dependencies, optionally per-platform builds."""

from __future__ import annotations

from typing import ClassVar

import msgspec

from vigil.model.base import Access, Columns, ObjectMeta, Resource
from vigil.model.common import validate_expressions
from vigil.model.meta import asset_name_error, fail, join, meta_fields, new_meta, shown_none


class AssetBuild(msgspec.Struct, kw_only=True, omit_defaults=True):
    url: str = ""
    sha512: str = ""
    filters: list[str] | None = shown_none()
    headers: dict[str, str] | None = shown_none()


class Asset(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "Asset"
    PLURAL: ClassVar[str] = "assets"
    FIELD_PREFIX: ClassVar[str] = "asset"
    CLI_NAME: ClassVar[str] = "asset"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("URL", "url"),
        ("Hash", "@asset_hash"),
    )
    NAMESPACE_CONTENT: ClassVar[bool] = True
    DEFAULT_ACCESS: ClassVar[Access] = "edit"
    REVEALS_NAMESPACES: ClassVar[bool] = True

    url: str = ""
    sha512: str = ""
    filters: list[str] | None = shown_none()
    builds: list[AssetBuild] | None = shown_none()
    metadata: ObjectMeta = new_meta()
    headers: dict[str, str] | None = shown_none()

    def validate(self) -> None:
        reason = asset_name_error(self.metadata.name)
        if reason:
            fail(f"asset {reason}")
        if not self.metadata.namespace:
            fail("namespace must be set")
        if not self.builds:
            validate_build(self.url, self.sha512, self.filters)
            return
        for build in self.builds:
            validate_build(build.url, build.sha512, build.filters)

    def fields(self) -> dict[str, str]:
        fields = meta_fields(self.FIELD_PREFIX, self.metadata)
        fields["asset.filters"] = join(self.filters)
        return fields


def validate_build(url: str, sha512: str, filters: list[str] | None) -> None:
    """One downloadable artefact: a checksum, a URL and JS platform filters."""
    if not sha512:
        fail("SHA-512 checksum cannot be empty")
    if len(sha512) < 128:
        fail("SHA-512 checksum must be at least 128 characters")
    if not url:
        fail("URL cannot be empty")
    validate_expressions(filters, "asset filter")
