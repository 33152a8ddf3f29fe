"""The local Bot API server: PTB talks to it over HTTP, tests and the sandbox act as users."""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from local_bot_api.bot_methods import BotApi
from local_bot_api.chats import GroupChat, PrivateChat
from local_bot_api.control_api import add_control_routes
from local_bot_api.errors import BotApiError, bad_request
from local_bot_api.faults import ConnectionDropped, Fault, FaultPlan, SendRateLimit, ServerStats
from local_bot_api.params import RequestParams
from local_bot_api.users import TelegramUser

# Methods that put a message in a chat, and so count against limit_rate.
_SENDING_METHODS = frozenset({"sendMessage", "sendDocument"})
# Uploads such as exports must fit; Telegram's own bot upload limit is 50 MB.
_MAX_BODY_BYTES = 50 * 1024 * 1024

_LOGGER = logging.getLogger(__name__)


class BotApiServer:
    """An in-memory Telegram for one bot, reached at ``base_url`` like api.telegram.org/bot.

    Use as ``async with BotApiServer() as server`` or call ``start``/``stop``; the HTTP control
    side under ``/control/`` offers the same user actions to a browser.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        bot_username: str = "growwell_test_bot",
        bot_first_name: str = "Grow Well",
        clock: Callable[[], float] = time.time,
        open_groups: bool = False,
    ) -> None:
        """``clock`` dates every message (seconds since the epoch); ``open_groups`` lets the bot
        post to any group id, which then exists, instead of answering "chat not found"."""
        self.api = BotApi(bot_username, bot_first_name, clock=clock, open_groups=open_groups)
        self.stats = ServerStats()
        self._faults = FaultPlan()
        self._rate_limit: SendRateLimit | None = None
        self._latency = 0.0
        self._users: dict[int, TelegramUser] = {}
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=_MAX_BODY_BYTES)
        self.app.router.add_route("*", "/bot{token}/{method}", self._answer_bot_call)
        add_control_routes(self.app, self)

    async def __aenter__(self) -> "BotApiServer":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on the configured port; port 0 picks a free one, read back from ``url``."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError:  # the port is taken: free what was set up before saying so
            await runner.cleanup()
            raise
        self._port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Release long polls and close the listener."""
        self.api.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """What to give PTB as ``base_url``; it appends the token and method name."""
        return f"{self.url}/bot"

    @property
    def sent_messages_count(self) -> int:
        """Messages the bot has successfully put in chats (sendMessage and sendDocument)."""
        return self.api.sent_messages_count

    @property
    def users(self) -> list[TelegramUser]:
        return list(self._users.values())

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "en",
        last_name: str | None = None,
        username: str | None = None,
    ) -> TelegramUser:
        """The user with this id, created on first use with a private chat of the same id."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        profile: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        for name, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                profile[name] = value
        chat = self.api.chats[user_id] = PrivateChat(
            profile, clock=self.api.clock, watchers=self.api.watchers
        )
        user = self._users[user_id] = TelegramUser(self.api, chat)
        return user

    def group(self, chat_id: int, title: str = "Staff group") -> GroupChat:
        """The group with this (negative) id, as if the bot had been added to it; its members
        press its buttons with ``TelegramUser.press_in``."""
        chat = self.api.group(chat_id, title)
        assert isinstance(chat, GroupChat)
        return chat

    def clear_chats(self) -> None:
        """Forget every user, chat, file and pending update, as a fresh Telegram would have
        them (the sandbox's "Start again"); the bot's commands stay."""
        self._users.clear()
        self.api.chats.clear()
        self.api.files.clear()
        self.api.open_callback_queries.clear()
        self.api.updates.drop_all()

    def commands(
        self, language_code: str | None = None, scope: str = "default"
    ) -> list[dict[str, str]]:
        """The command menu setMyCommands stored for a scope key and language ("" or None: all)."""
        return self.api.commands.get((scope, language_code or ""), [])

    def inject_fault(
        self,
        method: str = "sendMessage",
        status: int = 429,
        retry_after: int | None = 2,
        times: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
        after_effect: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``status``.

        Status 0 drops the connection without answering. ``chat_id`` limits the fault to calls
        for one chat; ``after_effect`` lets the call take effect before it fails.
        """
        self._faults.add(
            Fault(method, status, retry_after, times, chat_id, description, after_effect)
        )

    def refuse_token(self, token: str) -> None:
        """Answer every call with this token 401 Unauthorized, as Telegram does once a token is
        revoked in @BotFather."""
        self.api.refused_tokens.add(token)

    def clear_faults(self) -> None:
        self._faults.clear()

    def limit_rate(self, per_second: int | None = 30) -> None:
        """Answer 429 to sends beyond ``per_second`` in any rolling second; None lifts it."""
        self._rate_limit = SendRateLimit(per_second) if per_second else None

    def add_latency(self, seconds: float) -> None:
        """Hold every bot call this long before answering, as the trip to Telegram's cloud does.

        Concurrency tests need it: with instant answers one worker can finish before another
        has even connected, and the test would prove nothing about sharing the work.
        """
        self._latency = seconds

    async def _answer_bot_call(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        stats = self.stats
        if self._latency:
            await asyncio.sleep(self._latency)
        stats.calls[method] += 1
        try:
            params = await _read_params(request)
            fault = self._faults.take(method, params)
            if fault is not None and not fault.after_effect:
                raise fault.error()
            if self._rate_limit is not None and method in _SENDING_METHODS:
                refusal = self._rate_limit.admit()
                if refusal is not None:
                    stats.rate_limited += 1
                    raise refusal
            result = await self.api.call(method, request.match_info["token"], params)
            if fault is not None:
                raise fault.error()
        except BotApiError as error:
            stats.errors[error.status] += 1
            return web.json_response(error.payload(), status=error.status)
        except ConnectionDropped:
            stats.errors[0] += 1
            return _drop_connection(request)
        stats.succeeded[method] += 1
        return web.json_response({"ok": True, "result": result})


async def _read_params(request: web.Request) -> RequestParams:
    """Parameters from the query string and a JSON, url-encoded or multipart body."""
    if not request.body_exists:
        return RequestParams(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad_request("parameters must be a JSON object")
    else:
        body = dict(await request.post())
    return RequestParams({**request.query, **body} if request.query else body)


def _drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the socket so the client sees a connection lost mid-request, with no response."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response()
