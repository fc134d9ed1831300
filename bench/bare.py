"""The baseline: a bare ASGI app on exactly the server stack ``vigil start`` uses.

    python bench/bare.py PORT

uvicorn with uvloop and httptools, no access log, no server header (as ``vigil.server``).
Three routes, each doing the least a real JSON API must do per request:

* ``GET /small``: encode a small JSON object (about the size of one check) and answer it;
* ``GET /list``: encode a list of 100 such objects;
* ``POST /echo`` (and ``PUT``): read the body, decode it into typed structs (msgspec, with
  validation), encode it back and answer 201.

Anything slower than this is the price of Vigil's own work, so every ratio in ``wrk_bench``
is Vigil's rate over this app's rate measured in the same run.
"""

from __future__ import annotations

import sys
from typing import Any

import msgspec
import orjson
import uvicorn
import uvloop


class Meta(msgspec.Struct, omit_defaults=True):
    name: str = ""
    namespace: str = ""
    labels: dict[str, str] | None = None


class Part(msgspec.Struct, omit_defaults=True):
    metadata: Meta = msgspec.field(default_factory=Meta)
    status: int = 0
    output: str = ""
    interval: int = 0
    executed: int = 0
    subscriptions: list[str] = msgspec.field(default_factory=list)
    history: list[dict[str, int]] = msgspec.field(default_factory=list)


class Body(msgspec.Struct, omit_defaults=True):
    entity: Part | None = None
    check: Part | None = None
    metadata: Meta = msgspec.field(default_factory=Meta)
    timestamp: int = 0


def _item(n: int) -> dict[str, Any]:
    return {
        "command": f"check-{n}.sh --warn 80 --crit 90",
        "handlers": ["slack"],
        "interval": 60,
        "subscriptions": ["linux"],
        "publish": True,
        "timeout": 0,
        "ttl": 0,
        "stdin": False,
        "round_robin": False,
        "metadata": {"name": f"check-{n}", "namespace": "default", "created_by": "admin"},
    }


SMALL = _item(0)
LIST = [_item(n) for n in range(100)]
_decoder = msgspec.json.Decoder(Body)
_encoder = msgspec.json.Encoder()
_JSON = [(b"content-type", b"application/json")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":  # lifespan: nothing to start
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
            await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    path, status = scope["path"], 200
    if path == "/small":
        body = orjson.dumps(SMALL)
    elif path == "/list":
        body = orjson.dumps(LIST)
    elif path == "/echo":
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body, status = _encoder.encode(_decoder.decode(b"".join(chunks))), 201
    else:
        body, status = b'{"message":"not found"}', 404
    headers = [*_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="none",
        http="httptools",
        log_config=None,
        access_log=False,
        lifespan="on",
        server_header=False,
    )
    uvloop.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()
