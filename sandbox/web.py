"""The sandbox page and its JSON API, served by the Bot API server's own aiohttp app.

The page acts only as Telegram users do: a family's text or button press becomes an update the
bot fetches with getUpdates, exactly as on Telegram. So does the staff member the visitor plays
(sandbox/staff.py): their presses in a team's group and in their own chat, and their replies
to a request's message. The one way into the bot's own machinery
is the time machine, which runs the real reminder jobs. Changes reach the page as server-sent
events (``/sandbox/api/events``).

Only this computer can reach the page (127.0.0.1), and requests must name it as their host and
write JSON, so another web site open in the same browser cannot drive it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from aiohttp import web

from locales import SUPPORTED_LOCALES
from sandbox.time_machine import CannotJump, JumpReport, TimeMachine

if TYPE_CHECKING:
    from sandbox.runner import Sandbox

STATIC = files("sandbox") / "static"
_STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# The languages "New family" offers: the bot's own, and one it does not speak.
LANGUAGES = (
    ("en", "English"),
    ("pl", "Polski"),
    ("pt", "Português"),
    ("ar", "العربية"),
    ("fr", "Français (not supported: the bot chooses for them)"),
)
MAX_NAME = 64
MAX_TEXT = 4096
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_sandbox_routes(app: web.Application, sandbox: Sandbox) -> None:
    page = _SandboxPage(sandbox)
    app.router.add_get("/", page.index)
    app.router.add_get("/static/{name}", page.static)
    app.router.add_get("/sandbox/api/state", page.state)
    app.router.add_get("/sandbox/api/events", page.events)
    app.router.add_post("/sandbox/api/families", page.new_family)
    app.router.add_post("/sandbox/api/chats/{chat_id}/messages", page.send_text)
    app.router.add_post("/sandbox/api/chats/{chat_id}/press", page.press_button)
    app.router.add_get("/sandbox/api/files/{file_id}", page.download)
    app.router.add_post("/sandbox/api/time", page.move_time)
    app.router.add_post("/sandbox/api/start-again", page.start_again)
    app.middlewares.append(_only_this_computer)


@web.middleware
async def _only_this_computer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse page (and dashboard) requests naming another host (a DNS rebinding site)."""
    if request.path == "/" or request.path.startswith(("/sandbox/", "/static/", "/dashboard")):
        host = (request.host or "").rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost", "[::1]"):
            raise _refuse("this page is only for this computer", web.HTTPForbidden)
    return await handler(request)


def _refuse(
    description: str, error: type[web.HTTPException] = web.HTTPBadRequest
) -> web.HTTPException:
    return error(text=json.dumps({"error": description}), content_type="application/json")


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise _refuse("send JSON")
    try:
        body = await request.json()
    except ValueError:
        raise _refuse("body must be JSON") from None
    if not isinstance(body, dict):
        raise _refuse("body must be a JSON object")
    return body


def _report(report: JumpReport) -> dict[str, Any]:
    return {
        "from": report.start.timestamp(),
        "to": report.end.timestamp(),
        "days": report.days,
        "sent": report.sent,
        "seconds": round(report.seconds, 2),
    }


class _SandboxPage:
    __slots__ = ("_sandbox",)

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    async def index(self, request: web.Request) -> web.Response:
        return web.Response(
            text=(STATIC / "index.html").read_text(encoding="utf-8"),
            content_type="text/html",
            headers={"Cache-Control": "no-store"},
        )

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        kind = _STATIC_TYPES.get(name[name.rfind(".") :]) if "." in name else None
        resource = STATIC / name
        if kind is None or "/" in name or not resource.is_file():
            raise web.HTTPNotFound()
        return web.Response(
            body=resource.read_bytes(), content_type=kind, headers={"Cache-Control": "no-store"}
        )

    async def state(self, request: web.Request) -> web.Response:
        sandbox = self._sandbox
        server = sandbox.server
        commands = {"": server.commands()} | {
            locale: server.commands(locale) for locale in SUPPORTED_LOCALES
        }
        return web.json_response(
            {
                "now": sandbox.clock.timestamp(),
                "zone": sandbox.zone_name,
                "moving": self._time_machine().moving,
                "bot": {"name": server.api.bot_first_name, "username": server.api.bot_username},
                "languages": [{"code": code, "name": name} for code, name in LANGUAGES],
                "commands": commands,
                "chats": [view.summary() for view in sandbox.feed.chats.values()],
            }
        )

    async def events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        try:
            async for event in self._sandbox.feed.events():
                await response.write(f"data: {json.dumps(event)}\n\n".encode())
        except ConnectionResetError:
            pass  # the page was closed
        return response

    async def new_family(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        name = str(body.get("first_name", "")).strip()[:MAX_NAME]
        language = body.get("language_code")
        if not name:
            raise _refuse("a first name is needed")
        if language is not None and not (isinstance(language, str) and 2 <= len(language) <= 8):
            raise _refuse("language_code must be a language code such as en")
        view = self._sandbox.feed.new_family(name, language)
        return web.json_response(view.summary())

    async def send_text(self, request: web.Request) -> web.Response:
        """Text from a family or the staff member, optionally as a reply to a message."""
        body = await _json_body(request)
        text, reply_to = body.get("text"), body.get("reply_to")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise _refuse("text must be 1 to 4096 characters")
        if reply_to is not None and not isinstance(reply_to, int):
            raise _refuse("reply_to must be a message id")
        chat_id = self._chat_id(request)
        user = self._sandbox.feed.person(chat_id)
        if user is None:
            raise _refuse("no such chat to write in", web.HTTPNotFound)
        if (
            reply_to is not None
            and reply_to not in self._sandbox.server.api.chats[chat_id].messages
        ):
            raise _refuse("that message is no longer in the chat", web.HTTPConflict)
        message = await user.send(text, reply_to=reply_to)
        return web.json_response({"message_id": message["message_id"]})

    async def press_button(self, request: web.Request) -> web.Response:
        """A press in a private chat by its person, or in a staff group by the staff member."""
        body = await _json_body(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise _refuse("message_id (integer) and data (string) are needed")
        chat_id = self._chat_id(request)
        feed = self._sandbox.feed
        group, person = feed.group(chat_id), feed.person(chat_id)
        if group is not None and (member := feed.staff_member()) is not None:
            await member.press_data_in(group, message_id, data)
        elif person is not None:
            await person.press_data(message_id, data)
        else:
            raise _refuse("no such chat", web.HTTPNotFound)
        return web.json_response({"pressed": True})

    async def download(self, request: web.Request) -> web.Response:
        document = self._sandbox.feed.document(request.match_info["file_id"])
        if document is None:
            raise _refuse("no such file", web.HTTPNotFound)
        return web.Response(
            body=document.content,
            content_type=document.mime_type,
            headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
        )

    async def move_time(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        machine = self._time_machine()
        jump = body.get("jump")
        feed = self._sandbox.feed
        feed.publish({"type": "clock", "moving": True})
        try:
            if jump == "hour":
                report = await machine.forward(timedelta(hours=1))
            elif jump == "day":
                report = await machine.forward(timedelta(days=1))
            elif jump == "week":
                report = await machine.forward(timedelta(weeks=1))
            elif jump == "month":
                report = await machine.forward_months(1)
            elif jump == "birth":
                chat_id = body.get("chat_id")
                if not isinstance(chat_id, int):
                    raise _refuse("chat_id (integer) is needed")
                report = await machine.to_birth(chat_id)
            else:
                raise _refuse("jump must be hour, day, week, month or birth")
        except CannotJump as error:
            raise _refuse(str(error), web.HTTPConflict) from None
        finally:
            now = self._sandbox.clock.timestamp()
            feed.publish({"type": "clock", "moving": False, "now": now})
            feed.save_soon()
        return web.json_response(_report(report))

    async def start_again(self, request: web.Request) -> web.Response:
        await _json_body(request)
        await self._sandbox.start_again()
        return web.json_response({"started_again": True})

    def _chat_id(self, request: web.Request) -> int:
        """The chat a visitor acts in, while time stands still."""
        try:
            chat_id = int(request.match_info["chat_id"])
        except ValueError:
            raise _refuse("chat id must be an integer") from None
        if self._time_machine().moving:
            raise _refuse("time is moving; wait for it to stop", web.HTTPConflict)
        return chat_id

    def _time_machine(self) -> TimeMachine:
        machine = self._sandbox.time_machine
        if machine is None:
            raise _refuse("the sandbox is starting again; try in a moment", web.HTTPConflict)
        return machine
