"""The bot's HTTP transport against the in-repo Bot API server: results, and Telegram's and the
network's failures turned into PTB's errors; every PTB timeout, and the proxy from HTTPS_PROXY."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import aiohttp_request
from bot.aiohttp_request import AiohttpRequest
from local_bot_api.server import BotApiServer

TOKEN = "123456789:TEST-token-for-the-local-bot-api"


async def test_messages_documents_and_telegram_errors_go_through() -> None:
    async with BotApiServer(port=0) as server:
        user = server.user(user_id=77, first_name="Zoe")
        async with Bot(TOKEN, base_url=server.base_url, request=AiohttpRequest()) as bot:
            sent = await bot.send_message(77, "<b>Hello</b>", parse_mode="HTML")
            assert sent.text == "Hello"
            await bot.send_document(77, b'{"a": 1}', filename="data.json")
            assert user.documents[-1].content == b'{"a": 1}'
            with pytest.raises(BadRequest, match=r"(?i)message is too long"):
                await bot.send_message(77, "x" * 4097)
            server.inject_fault(method="sendMessage", status=429, retry_after=3, times=1)
            with pytest.raises(RetryAfter):
                await bot.send_message(77, "later")
            server.inject_fault(method="sendMessage", status=0, times=1)
            with pytest.raises(NetworkError):
                await bot.send_message(77, "dropped")
            await user.block_bot()
            with pytest.raises(Forbidden):
                await bot.send_message(77, "blocked")


async def test_a_server_that_is_not_there_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(connect_timeout=2)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    with pytest.raises(NetworkError):
        await bot.initialize()  # asks getMe
    await bot.shutdown()


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A server that accepts connections and then neither reads nor answers."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(60)
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def _timed_out_after(call: Awaitable[object]) -> float:
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await call
    return time.monotonic() - started


async def test_an_answer_that_never_comes_times_out_after_write_and_read_timeouts(
    silent_port: int,
) -> None:
    async with AiohttpRequest(read_timeout=30, write_timeout=30) as request:
        bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{silent_port}/bot", request=request)
        waited = await _timed_out_after(
            bot.send_message(77, "hello", read_timeout=0.3, write_timeout=0.2)
        )
    assert 0.4 < waited < 2


async def test_an_upload_the_server_never_reads_times_out(silent_port: int) -> None:
    async with AiohttpRequest() as request:
        bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{silent_port}/bot", request=request)
        upload = bot.send_document(
            77,
            b"x" * 30_000_000,  # far more than the socket buffers take in
            filename="export.json",
            connect_timeout=0.2,
            write_timeout=0.3,
            read_timeout=0.3,
        )
        assert await _timed_out_after(upload) < 3


async def test_a_connection_that_is_never_accepted_times_out_on_connect() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        queued = [socket.socket() for _ in range(4)]  # fill the backlog; later SYNs are dropped
        for waiting in queued:
            waiting.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                waiting.connect(("127.0.0.1", port))
        try:
            async with AiohttpRequest(read_timeout=30, write_timeout=30) as request:
                bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
                assert await _timed_out_after(bot.get_me(connect_timeout=0.3)) < 2
        finally:
            for waiting in queued:
                waiting.close()


async def test_with_every_connection_busy_a_request_waits_only_the_pool_timeout() -> None:
    async with BotApiServer(port=0) as server:
        server.user(user_id=77)
        server.add_latency(1.5)
        async with AiohttpRequest(connection_pool_size=1, pool_timeout=0.2) as request:
            bot = Bot(TOKEN, base_url=server.base_url, request=request)
            first = asyncio.create_task(bot.send_message(77, "first"))
            await asyncio.sleep(0.1)
            with pytest.raises(TimedOut, match="Pool timeout"):
                await bot.send_message(77, "second")
            assert (await first).text == "first"


async def test_requests_go_through_the_proxy_named_in_https_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        asked.append(await reader.readline())
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        async with AiohttpRequest() as request:
            bot = Bot(TOKEN, base_url="https://api.telegram.org/bot", request=request)
            with pytest.raises(NetworkError):
                await bot.get_me()
    finally:
        server.close()
    assert asked == [b"CONNECT api.telegram.org:443 HTTP/1.1\r\n"]


def test_the_transport_uses_only_public_ptb_api() -> None:
    """PTB's private modules (telegram._...) may change in any release."""
    source = Path(aiohttp_request.__file__).read_text(encoding="utf-8")
    imported = [
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    ]
    assert [m for m in imported if m.startswith("telegram")] == [
        "telegram.error",
        "telegram.request",
    ]


async def test_hosts_in_no_proxy_are_reached_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with BotApiServer(port=0) as server:
        server.user(user_id=77)
        async with Bot(TOKEN, base_url=server.base_url, request=AiohttpRequest()) as bot:
            assert (await bot.send_message(77, "direct")).text == "direct"
