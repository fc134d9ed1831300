"""Runtime assets: safe unpacking, sha512 verification, caching, never half-installed."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from vigil.agent.assets import AssetError, AssetManager, RuntimeAsset, asset_env, safe_unpack
from vigil.agent.ratelimit import TokenBucket

pytestmark = pytest.mark.anyio

ENTITY = {"metadata": {"name": "web1"}, "system": {"os": "linux", "arch": "amd64"}}


def make_tar(members: list[tarfile.TarInfo], gz: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w") as tar:
        for member in members:
            data = member.name.encode() if member.isfile() else None
            if data is not None:
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def file_member(name: str, mode: int = 0o755) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info


def link_member(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def device_member(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 1, 3
    return info


@pytest.mark.parametrize(
    "member",
    [
        file_member("../escape"),
        link_member("bin/out", "/etc/passwd"),
        link_member("bin/up", "../../outside"),
        link_member("bin/hard", "/etc/passwd", tarfile.LNKTYPE),
        device_member("dev/null"),
    ],
    ids=["dotdot", "symlink-out", "symlink-up", "hardlink-out", "device"],
)
def test_unsafe_archives_are_refused(tmp_path: Path, member: tarfile.TarInfo) -> None:
    archive = tmp_path / "a.tgz"
    archive.write_bytes(make_tar([file_member("bin/ok"), member]))
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(AssetError, match="unable to unpack asset"):
        safe_unpack(archive, target)
    assert not (tmp_path / "escape").exists()
    assert not (tmp_path / "outside").exists()


def test_absolute_names_land_inside(tmp_path: Path) -> None:
    archive = tmp_path / "a.tgz"
    archive.write_bytes(make_tar([file_member("/abs/path")]))
    safe_unpack(archive, tmp_path / "out")
    assert (tmp_path / "out/abs/path").is_file()


def test_links_inside_are_fine(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar"
    archive.write_bytes(
        make_tar([file_member("bin/tool"), link_member("bin/alias", "tool")], False)
    )
    safe_unpack(archive, tmp_path / "out")
    assert (tmp_path / "out/bin/alias").resolve() == (tmp_path / "out/bin/tool").resolve()


def test_asset_env() -> None:
    env = asset_env([RuntimeAsset("my-asset", Path("/c/abc"))], {"PATH": "/usr/bin"})
    assert env["PATH"] == "/c/abc/bin:/usr/bin"
    assert env["LD_LIBRARY_PATH"] == "/c/abc/lib:"
    assert env["CPATH"] == "/c/abc/include:"
    assert env["MY_ASSET_PATH"] == "/c/abc"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, list[dict[str, str]]]]:
    """A real HTTP server on a free port serving ``tmp_path/www``; it records headers."""
    root = tmp_path / "www"
    root.mkdir()
    seen: list[dict[str, str]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root, seen
    server.shutdown()
    server.server_close()


def asset(name: str, url: str, sha: str, **extra: object) -> dict[str, object]:
    return {"metadata": {"name": name}, "url": url, "sha512": sha, **extra}


async def test_download_verify_unpack_cache(
    tmp_path: Path, served: tuple[str, Path, list[dict[str, str]]]
) -> None:
    base, root, seen = served
    data = make_tar([file_member("bin/hello")])
    (root / "hello.tgz").write_bytes(data)
    sha = hashlib.sha512(data).hexdigest()
    manager = AssetManager(tmp_path / "cache")
    spec = asset("hello", f"{base}/hello.tgz", sha, headers={"Authorization": "Bearer t"})
    runtime = await manager.get(spec, ENTITY)
    assert runtime is not None and runtime.path == tmp_path / "cache" / sha
    assert (runtime.path / "bin/hello").read_text() == "bin/hello"
    assert seen[0]["Authorization"] == "Bearer t"
    await manager.get(spec, ENTITY)
    assert len(seen) == 1  # cached by sha512
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [sha]


async def test_bad_checksum_installs_nothing(
    tmp_path: Path, served: tuple[str, Path, list[dict[str, str]]]
) -> None:
    base, root, _ = served
    (root / "hello.tgz").write_bytes(make_tar([file_member("bin/hello")]))
    manager = AssetManager(tmp_path / "cache")
    with pytest.raises(AssetError, match="does not match specified sha512"):
        await manager.get(asset("hello", f"{base}/hello.tgz", "a" * 128), ENTITY)
    assert list((tmp_path / "cache").iterdir()) == []


async def test_bad_archive_and_missing_file(
    tmp_path: Path, served: tuple[str, Path, list[dict[str, str]]]
) -> None:
    base, root, _ = served
    junk = b"not a tarball at all"
    (root / "junk.tgz").write_bytes(junk)
    manager = AssetManager(tmp_path / "cache")
    with pytest.raises(AssetError, match="unable to unpack"):
        await manager.get(
            asset("junk", f"{base}/junk.tgz", hashlib.sha512(junk).hexdigest()), ENTITY
        )
    with pytest.raises(AssetError, match="Response Code 404"):
        await manager.get(asset("gone", f"{base}/gone.tgz", "b" * 128), ENTITY)
    assert list((tmp_path / "cache").iterdir()) == []


async def test_concurrent_requests_download_once(
    tmp_path: Path, served: tuple[str, Path, list[dict[str, str]]]
) -> None:
    base, root, seen = served
    data = make_tar([file_member("bin/x")])
    (root / "x.tgz").write_bytes(data)
    spec = asset("x", f"{base}/x.tgz", hashlib.sha512(data).hexdigest())
    manager = AssetManager(tmp_path / "cache")
    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(manager.get, spec, ENTITY)
    assert len(seen) == 1


async def test_downloads_over_the_rate_limit_are_refused(
    tmp_path: Path, served: tuple[str, Path, list[dict[str, str]]]
) -> None:
    base, root, seen = served
    specs = []
    for name in ("a", "b"):
        data = make_tar([file_member(f"bin/{name}")])
        (root / f"{name}.tgz").write_bytes(data)
        specs.append(asset(name, f"{base}/{name}.tgz", hashlib.sha512(data).hexdigest()))
    manager = AssetManager(tmp_path / "cache", limiter=TokenBucket(0.001, 1))
    assert await manager.get(specs[0], ENTITY) is not None
    with pytest.raises(AssetError, match="can't download asset due to rate limit"):
        await manager.get(specs[1], ENTITY)
    assert await manager.get(specs[0], ENTITY) is not None  # installed ones need no download
    assert len(seen) == 1


async def test_builds_are_chosen_by_filters(
    tmp_path: Path, served: tuple[str, Path, list[dict[str, str]]]
) -> None:
    base, root, _ = served
    data = make_tar([file_member("bin/linux")])
    (root / "linux.tgz").write_bytes(data)
    sha = hashlib.sha512(data).hexdigest()
    spec = {
        "metadata": {"name": "multi"},
        "builds": [
            {
                "url": f"{base}/windows.tgz",
                "sha512": "c" * 128,
                "filters": ["entity.system.os == 'windows'"],
            },
            {
                "url": f"{base}/linux.tgz",
                "sha512": sha,
                "filters": ["entity.system.os == 'linux'", "entity.system.arch == 'amd64'"],
            },
        ],
    }
    manager = AssetManager(tmp_path / "cache")
    runtime = await manager.get(spec, ENTITY)
    assert runtime is not None and (runtime.path / "bin/linux").exists()
    only_windows = {**spec, "builds": spec["builds"][:1]}  # type: ignore[index]
    assert await manager.get(only_windows, ENTITY) is None
