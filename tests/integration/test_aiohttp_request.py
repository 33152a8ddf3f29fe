"""The bot's HTTP transport against the in-repo Bot API server: results, and Telegram's and the
network's failures turned into PTB's errors."""

from __future__ import annotations

import socket

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

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
