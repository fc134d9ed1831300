"""Runtime assets: fetch, verify sha512, unpack safely, cache by sha512, expose to commands.

An asset lives in ``<cache-dir>/<sha512>/`` and exists there only complete: it is downloaded
to a temporary file, verified, unpacked into a temporary directory beside it and renamed into
place, so a crash or a bad archive never leaves a half-installed asset. Unpacking uses the
standard library's ``data`` tar filter: no absolute paths, nothing outside the directory, no
links pointing out, no device files, no set-uid bits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import ssl
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from vigil.agent.ratelimit import TokenBucket
from vigil.tokens import env_key, substitute, synthesize

CHUNK = 1 << 16
FILTER_TIMEOUT = 1.0


class AssetError(Exception):
    """An asset that could not be installed; the message is the failure event's output."""


@dataclass(frozen=True, slots=True)
class RuntimeAsset:
    name: str
    path: Path


def asset_env(assets: Sequence[RuntimeAsset], base: Mapping[str, str]) -> dict[str, str]:
    """``PATH``/``LD_LIBRARY_PATH``/``CPATH`` with each asset's dirs first, and
    ``<NAME>_PATH`` (what the ``assetPath`` token names) per asset."""
    env: dict[str, str] = {}
    for var, sub in (("PATH", "bin"), ("LD_LIBRARY_PATH", "lib"), ("CPATH", "include")):
        dirs = [str(a.path / sub) for a in assets]
        env[var] = os.pathsep.join([*dirs, base.get(var, "")])
    for a in assets:
        env[f"{env_key(a.name)}_PATH"] = str(a.path)
    return env


def _filters_match(filters: Sequence[str], entity: Mapping[str, Any]) -> bool:
    if not filters:
        return True
    from vigil.pipeline import js  # the JavaScript engine loads only when a filter needs it

    wrapped = [
        f"(function (entity) {{ return eval({json.dumps(f)}); }})(event.entity)" for f in filters
    ]
    results = js.evaluate_expressions(wrapped, {"entity": entity}, timeout=FILTER_TIMEOUT)
    return all(result is True for result in results)


def choose_build(asset: Mapping[str, Any], entity: Mapping[str, Any]) -> dict[str, Any] | None:
    """The asset itself, or its first build whose filters all match the entity; None when
    filtered out (Sensu then runs the check without it)."""
    builds = asset.get("builds") or []
    if not builds:
        return dict(asset) if _filters_match(asset.get("filters") or [], entity) else None
    for build in builds:
        if _filters_match(build.get("filters") or [], entity):
            return {**asset, **build}
    return None


def safe_unpack(archive: Path, target: Path) -> None:
    """Unpack a tar (optionally gzip/bzip2/xz) archive into ``target``, refusing escapes."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise AssetError(f"unable to unpack asset: {exc}") from exc


class AssetManager:
    """Installs assets on demand under ``cache_dir``; one download per sha512 at a time."""

    def __init__(
        self,
        cache_dir: Path,
        trusted_ca_file: str = "",
        limiter: TokenBucket | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.limiter = limiter or TokenBucket(0, 1)
        self.verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=trusted_ca_file) if trusted_ca_file else True
        )
        self._locks: dict[str, asyncio.Lock] = {}

    async def get_all(
        self, assets: Sequence[Mapping[str, Any]], entity: Mapping[str, Any]
    ) -> list[RuntimeAsset]:
        out = []
        for asset in assets:
            runtime = await self.get(asset, entity)
            if runtime is not None:
                out.append(runtime)
        return out

    async def get(self, asset: Mapping[str, Any], entity: Mapping[str, Any]) -> RuntimeAsset | None:
        name = str((asset.get("metadata") or {}).get("name") or asset.get("name") or "")
        lifted = synthesize(entity)
        build = await asyncio.to_thread(choose_build, asset, lifted)
        if build is None:
            return None
        sha = str(build.get("sha512") or "")
        try:
            build = {**substitute({k: v for k, v in build.items() if k != "sha512"}, lifted)}
        except ValueError as exc:
            raise AssetError(f"error while substituting asset {name!r} tokens: {exc}") from exc
        if len(sha) != 128 or not all(c in "0123456789abcdef" for c in sha.lower()):
            raise AssetError(f"asset {name!r} has an invalid sha512")
        path = self.cache_dir / sha.lower()
        lock = self._locks.setdefault(sha, asyncio.Lock())
        async with lock:
            if not path.is_dir():
                await self._install(name, build, sha.lower(), path)
        return RuntimeAsset(name, path)

    async def _install(self, name: str, build: Mapping[str, Any], sha: str, path: Path) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".download-", dir=self.cache_dir)
        os.close(fd)
        archive = Path(tmp_name)
        staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=self.cache_dir))
        try:
            digest = await self._download(str(build.get("url") or ""), build, archive)
            if digest != sha:
                raise AssetError(
                    f"sha512 of downloaded asset ({digest}) "
                    f"does not match specified sha512 in asset definition ({sha})"
                )
            await asyncio.to_thread(safe_unpack, archive, staging)
            os.rename(staging, path)
        finally:
            archive.unlink(missing_ok=True)
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    async def _download(self, url: str, build: Mapping[str, Any], archive: Path) -> str:
        headers = {str(k): str(v).strip() for k, v in (build.get("headers") or {}).items()}
        if not self.limiter.allow():
            raise AssetError("can't download asset due to rate limit")
        digest = hashlib.sha512()
        try:
            async with (
                httpx.AsyncClient(
                    timeout=60.0, follow_redirects=True, verify=self.verify
                ) as client,
                client.stream("GET", url, headers=headers) as response,
            ):
                if response.status_code != 200:
                    raise AssetError(f"error fetching asset: Response Code {response.status_code}")
                with archive.open("wb") as out:
                    async for chunk in response.aiter_bytes(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        except httpx.HTTPError as exc:
            raise AssetError(f"error fetching asset: {exc}") from exc
        return digest.hexdigest()

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.cache_dir)
