"""The HTTP control side under /control/: act as users and inject faults from a browser."""

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from local_bot_api.chats import PrivateChat, SentMessage
from local_bot_api.users import TelegramUser

if TYPE_CHECKING:
    from local_bot_api.server import BotApiServer

# Longest long poll a control client may ask for, in seconds.
_MAX_POLL_SECONDS = 60.0


def add_control_routes(app: web.Application, server: "BotApiServer") -> None:
    """Register the control endpoints on the server's app, all answering JSON."""
    control = _ControlApi(server)
    app.router.add_post("/control/users/{user_id}/messages", control.send_message)
    app.router.add_get("/control/users/{user_id}/messages", control.bot_messages)
    app.router.add_post("/control/users/{user_id}/callback", control.press_button)
    app.router.add_post("/control/users/{user_id}/block", control.block)
    app.router.add_get("/control/users/{user_id}/documents/{index}", control.document)
    app.router.add_post("/control/faults", control.inject_fault)
    app.router.add_post("/control/rate_limit", control.limit_rate)
    app.router.add_get("/control/stats", control.stats)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _refuse(
    description: str, error: type[web.HTTPException] = web.HTTPBadRequest
) -> web.HTTPException:
    body = json.dumps({"ok": False, "description": description})
    return error(text=body, content_type="application/json")


class _ControlApi:
    """Handlers translating control requests into TelegramUser and BotApiServer calls."""

    __slots__ = ("_server",)

    def __init__(self, server: "BotApiServer") -> None:
        self._server = server

    async def send_message(self, request: web.Request) -> web.Response:
        """Body: {"text", "reply_to"?, "first_name"?, "language_code"?}; creates the user."""
        body = await _json_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise _refuse("text must be a non-empty string")
        user = self._user(request, body)
        return _ok(await user.send(text, reply_to=body.get("reply_to")))

    async def press_button(self, request: web.Request) -> web.Response:
        """Body: {"message_id", "data"}; answers with the callback query id."""
        body = await _json_body(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise _refuse("message_id (integer) and data (string) are required")
        query_id = await self._user(request, body).press_data(message_id, data)
        return _ok({"callback_query_id": query_id})

    async def bot_messages(self, request: web.Request) -> web.Response:
        """Bot messages newer than ``after`` (a message id), or every change after ``since``.

        ``since`` is a revision from an earlier answer and also brings edits and deletions.
        Waits up to ``timeout`` seconds for something to return.
        """
        user = self._user(request, {})
        after = _query_int(request, "after")
        since = _query_int(request, "since")
        timeout = min(max(float(request.query.get("timeout", 0)), 0.0), _MAX_POLL_SECONDS)
        chat = self._server.api.chats[user.id]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            revision = len(chat.activity)
            found = chat.activity[since:] if since is not None else _newer(chat, after or 0)
            remaining = deadline - loop.time()
            if found or remaining <= 0:
                break
            await chat.wait_for_activity(revision, remaining)
        return web.json_response(
            {"ok": True, "result": [message.as_json() for message in found], "revision": revision}
        )

    async def block(self, request: web.Request) -> web.Response:
        """Body: {"blocked": true|false}."""
        body = await _json_body(request)
        user = self._user(request, body)
        if body.get("blocked", True):
            await user.block_bot()
        else:
            await user.unblock_bot()
        return _ok(True)

    async def document(self, request: web.Request) -> web.Response:
        """The bytes of the user's n-th received document, for download."""
        user = self._user(request, {})
        try:
            document = user.documents[int(request.match_info["index"])]
        except (ValueError, IndexError):
            raise _refuse("no such document", web.HTTPNotFound) from None
        return web.Response(
            body=document.content,
            content_type=document.mime_type,
            headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
        )

    async def inject_fault(self, request: web.Request) -> web.Response:
        """Body: the keyword arguments of BotApiServer.inject_fault."""
        body = await _json_body(request)
        try:
            self._server.inject_fault(**body)
        except TypeError as error:
            raise _refuse(str(error)) from None
        return _ok(True)

    async def limit_rate(self, request: web.Request) -> web.Response:
        """Body: {"per_second": n} or {"per_second": null} to lift the limit."""
        body = await _json_body(request)
        self._server.limit_rate(body.get("per_second"))
        return _ok(True)

    async def stats(self, request: web.Request) -> web.Response:
        stats = self._server.stats
        return _ok(
            {
                "calls": dict(stats.calls),
                "succeeded": dict(stats.succeeded),
                "errors": {str(status): count for status, count in stats.errors.items()},
                "rate_limited": stats.rate_limited,
                "sent_messages": self._server.sent_messages_count,
            }
        )

    def _user(self, request: web.Request, body: dict[str, Any]) -> TelegramUser:
        try:
            user_id = int(request.match_info["user_id"])
        except ValueError:
            raise _refuse("user id must be an integer") from None
        return self._server.user(
            user_id,
            first_name=str(body.get("first_name", "Sandbox")),
            language_code=body.get("language_code", "en"),
        )


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _refuse("body must be JSON") from None
    if not isinstance(body, dict):
        raise _refuse("body must be a JSON object")
    return body


def _query_int(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise _refuse(f"{name} must be an integer") from None


def _newer(chat: PrivateChat, after: int) -> list[SentMessage]:
    """Current versions of bot messages with an id above ``after``, oldest first."""
    newer: list[SentMessage] = []
    for message in reversed(chat.bot_messages.values()):
        if message.message_id <= after:
            break
        newer.append(message)
    newer.reverse()
    return newer
