"""Handlers against real processes and real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.pipeline.contexts import run_context
from vigil.pipeline import handlers
from vigil.pipeline.adapters import HandlerError, HandlerResult, Ref, RunContext

Doc = dict[str, Any]
PY = shlex.quote(sys.executable)
EVENT: Doc = {
    "entity": {"metadata": {"name": "web1", "namespace": "default"}},
    "check": {"metadata": {"name": "disk", "namespace": "default"}, "status": 2},
}
PAYLOAD = orjson.dumps(EVENT)


def context(stored: dict[str, Doc] | None = None) -> RunContext:
    return run_context("handlers", stored, js_timeout=1.0)


async def handle(name: str, stored: dict[str, Doc], payload: bytes = PAYLOAD) -> HandlerResult:
    ref = Ref(name=name, type="Handler")
    return await handlers.StoredHandler().run(ref, EVENT, payload, context(stored))


def test_pipe_handler_receives_the_payload_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "received.json"
    stored = {"file": {"type": "pipe", "command": f"cat > {shlex.quote(str(out))}", "timeout": 10}}
    result = asyncio.run(handle("file", stored))
    assert result == HandlerResult("pipe", True)
    assert orjson.loads(out.read_bytes()) == EVENT


def test_pipe_handler_env_vars(tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    script = "import os; open(os.environ['OUT'], 'w').write(os.environ['GREETING'])"
    stored = {
        "env": {
            "type": "pipe",
            "command": f'{PY} -c "{script}"',
            "env_vars": ["OUT=" + str(out), "GREETING=hello=world", "IGNORED"],
        }
    }
    assert asyncio.run(handle("env", stored)).ok
    assert out.read_text() == "hello=world"


def test_pipe_handler_non_zero_exit_is_reported_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stored = {"fail": {"type": "pipe", "command": "cat >/dev/null; echo nope; exit 4"}}
    with caplog.at_level(logging.INFO):
        assert asyncio.run(handle("fail", stored)) == HandlerResult("pipe", False)
    assert "non ok status code" in caplog.text and "nope" in caplog.text


def test_pipe_handler_that_ignores_a_large_payload() -> None:
    stored = {"quiet": {"type": "pipe", "command": "exit 0"}}
    assert asyncio.run(handle("quiet", stored, b"x" * 1_000_000)).ok


def test_run_command_timeout_kills_the_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "survivor"
    command = f"echo started; (sleep 1; touch {shlex.quote(str(marker))}) & sleep 5"

    async def main() -> handlers.CommandResult:
        result = await handlers.run_command(command, b"", timeout=0.3)
        await asyncio.sleep(1.2)  # the background child would have touched the file by now
        return result

    result = asyncio.run(main())
    assert result.timed_out and result.status == 2
    assert result.output == b"Execution timed out\nstarted\n"
    assert not marker.exists()


def test_run_command_status_and_combined_output() -> None:
    result = asyncio.run(handlers.run_command("cat; echo err >&2; exit 7", b"in\n"))
    assert result.status == 7
    assert sorted(result.output.splitlines()) == [b"err", b"in"]


def test_tcp_handler_sends_the_payload() -> None:
    async def main() -> bytes:
        received: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            received.set_result(await reader.read())
            writer.close()

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        stored = {"tcp": {"type": "tcp", "socket": {"host": "127.0.0.1", "port": port}}}
        async with server:
            assert await handle("tcp", stored) == HandlerResult("tcp", True)
            return await asyncio.wait_for(received, 5)

    assert orjson.loads(asyncio.run(main())) == EVENT


def test_udp_handler_sends_one_datagram() -> None:
    class Receiver(asyncio.DatagramProtocol):
        def __init__(self, got: asyncio.Future[bytes]) -> None:
            self.got = got

        def datagram_received(self, data: bytes, addr: Any) -> None:
            self.got.set_result(data)

    async def main() -> bytes:
        loop = asyncio.get_running_loop()
        got: asyncio.Future[bytes] = loop.create_future()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: Receiver(got), local_addr=("127.0.0.1", 0)
        )
        port = transport.get_extra_info("sockname")[1]
        stored = {
            "udp": {"type": "udp", "socket": {"host": "127.0.0.1", "port": port}, "timeout": 5}
        }
        try:
            assert await handle("udp", stored) == HandlerResult("udp", True)
            return await asyncio.wait_for(got, 5)
        finally:
            transport.close()

    assert orjson.loads(asyncio.run(main())) == EVENT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (
            {"type": "tcp", "socket": {"host": "127.0.0.1", "port": free_port()}, "timeout": 2},
            "tcp",
        ),
        ({"type": "tcp", "socket": {"host": "127.0.0.1"}}, "host and port"),
        ({"type": "pipe", "command": " "}, "no command"),
        ({"type": "set", "handlers": ["a"]}, "cannot be run directly"),
        ({"type": "carrier-pigeon"}, "unknown handler type"),
    ],
)
def test_handler_errors(handler: Doc, message: str) -> None:
    with pytest.raises(HandlerError, match=message):
        asyncio.run(handle("h", {"h": handler}))


def test_missing_handler_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    assert asyncio.run(handle("ghost", {})) == HandlerResult("unknown", False)
    assert "handler not found" in caplog.text
