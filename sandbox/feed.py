"""The chats as the sandbox page shows them, kept up to date from the Bot API server, streamed
to every open page and saved so the sandbox carries on where it stopped.

The server holds what Telegram holds (users, messages, keyboards); the feed turns each change
into one bubble for the page: the text with Telegram's entities (never HTML: the page builds
the formatting itself, so nothing the bot sends can inject markup), the buttons, the date the
message arrived by the sandbox's clock, and whether it was edited or deleted.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from local_bot_api.chats import GroupChat, PrivateChat, SentMessage, UploadedDocument
from local_bot_api.server import BotApiServer
from local_bot_api.users import TelegramUser
from sandbox.clock import SandboxClock

# Family ids start here, like Telegram user ids; a group's id is negative.
FIRST_FAMILY_ID = 7_000_001
# Changes are written at most this often, and when the sandbox stops.
SAVE_AFTER = 0.5  # seconds
# A family's private chat, a staff group, and the private chat of the staff member the
# visitor plays (sandbox/staff.py).
FAMILY, GROUP, STAFF = "family", "group", "staff"


@dataclass
class ChatView:
    """One chat in the page's list: a family, a group the bot writes to (a team's staff group),
    or the staff member's own chat with the bot."""

    chat_id: int
    kind: str  # FAMILY | GROUP | STAFF
    title: str
    language_code: str | None = None
    # Bubbles by message id, in the order they appeared.
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    reply_keyboard: list[list[str]] | None = None

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data["messages"] = list(self.messages.values())
        return data


class Feed:
    """Follows every chat of ``server`` (through its watchers) and saves to ``path``.

    ``bot`` is the bot's Telegram user (the sandbox keeps its id across restarts): messages
    restored from ``path`` are put back in the server as the bot's, so the bot can edit them,
    their buttons can be pressed and a staff member can reply to them after a restart.
    """

    def __init__(
        self, server: BotApiServer, path: Path, clock: SandboxClock, bot: dict[str, Any]
    ) -> None:
        self._server = server
        self._clock = clock
        self._bot = bot
        self._path = path
        self.chats: dict[int, ChatView] = {}
        self._files: dict[str, UploadedDocument] = {}
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self._save_pending: asyncio.TimerHandle | None = None
        server.api.watchers.append(self._changed)

    # Saving and restoring.

    def restore(self) -> bool:
        """Load the saved chats into the server and move the clock to where it was; False if
        there was nothing saved."""
        try:
            saved = json.loads(self._path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):  # none, or cut short: start from nothing
            return False
        offset = timedelta(seconds=float(saved.get("clock_offset_seconds", 0.0)))
        self._clock.move_to(self._clock() + offset)
        for data in saved.get("chats", []):
            view = ChatView(
                chat_id=int(data["chat_id"]),
                kind=data["kind"],
                title=data["title"],
                language_code=data.get("language_code"),
                messages={int(bubble["id"]): bubble for bubble in data["messages"]},
                reply_keyboard=data.get("reply_keyboard"),
            )
            self.chats[view.chat_id] = view
            chat = self._server_chat(view)
            chat.continue_numbering(max(view.messages, default=0))
            chat.reply_keyboard = view.reply_keyboard
            for bubble in view.messages.values():
                if not bubble.get("deleted"):
                    self._put_back(chat, bubble)
        for file_id, data in saved.get("files", {}).items():
            self._files[file_id] = UploadedDocument(
                file_id, data["filename"], data["mime_type"], base64.b64decode(data["content"])
            )
        return True

    def _server_chat(self, view: ChatView) -> PrivateChat:
        if view.kind == GROUP:
            return self._server.api.group(view.chat_id, view.title)
        first_name, _, last_name = view.title.partition(" ") if view.kind == STAFF else (
            view.title, "", ""
        )  # fmt: skip
        self._server.user(
            view.chat_id, first_name, language_code=view.language_code, last_name=last_name or None
        )
        return self._server.api.chats[view.chat_id]

    def _put_back(self, chat: PrivateChat, bubble: dict[str, Any]) -> None:
        """A saved message back in the server's chat, as Telegram still holds it (quietly: the
        page has it already)."""
        raw: dict[str, Any] = {
            "message_id": bubble["id"],
            "date": bubble.get("date", 0),
            "chat": chat.chat_object,
            "text": bubble.get("text", ""),
        }
        if bubble.get("from") != "bot":
            chat.messages[bubble["id"]] = raw | {"from": chat.user}
            return
        raw |= {"from": self._bot, "entities": bubble.get("entities", [])}
        buttons = bubble.get("buttons") or []
        if buttons:
            raw["reply_markup"] = {"inline_keyboard": buttons}
        if bubble.get("edit_date"):
            raw["edit_date"] = bubble["edit_date"]
        chat.messages[bubble["id"]] = raw
        chat.bot_messages[bubble["id"]] = SentMessage(
            bubble["id"], chat.id, raw["text"], None, raw["text"], buttons, None, raw,
            edited=bool(bubble.get("edited")),
        )  # fmt: skip

    def save(self) -> None:
        """Write everything now (atomically: a crash never leaves half a file)."""
        self._save_pending = None
        data = {
            "clock_offset_seconds": self._clock.offset.total_seconds(),
            "chats": [view.summary() for view in self.chats.values()],
            "files": {
                file_id: {
                    "filename": document.filename,
                    "mime_type": document.mime_type,
                    "content": base64.b64encode(document.content).decode(),
                }
                for file_id, document in self._files.items()
            },
        }
        partial = self._path.with_suffix(".partial")
        partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self._path)

    def save_soon(self) -> None:
        if self._save_pending is None:
            loop = asyncio.get_running_loop()
            self._save_pending = loop.call_later(SAVE_AFTER, self.save)

    def clear(self) -> None:
        """Forget every chat (the server has forgotten them too)."""
        self.chats.clear()
        self._files.clear()

    def close(self) -> None:
        """Write what is pending and let every page's stream end."""
        if self._save_pending is not None:
            self._save_pending.cancel()
        self.save()
        for listener in self._listeners:
            listener.put_nowait({"type": "closing"})

    # Families and what they do.

    def new_family(self, first_name: str, language_code: str | None) -> ChatView:
        """A Telegram user who has just found the bot: an empty chat with a Start button."""
        ids = [view.chat_id for view in self.chats.values() if view.kind == FAMILY]
        chat_id = max(ids, default=FIRST_FAMILY_ID - 1) + 1
        view = ChatView(chat_id, FAMILY, first_name, language_code)
        self._add(view)
        return view

    def family(self, chat_id: int) -> TelegramUser | None:
        view = self.chats.get(chat_id)
        if view is None or view.kind != FAMILY:
            return None
        return self._server.user(chat_id)

    def person(self, chat_id: int) -> TelegramUser | None:
        """Whoever the visitor plays in this private chat: a family, or the staff member."""
        view = self.chats.get(chat_id)
        if view is None or view.kind == GROUP:
            return None
        return self._server.user(chat_id)

    def group(self, chat_id: int) -> PrivateChat | None:
        view = self.chats.get(chat_id)
        if view is None or view.kind != GROUP:
            return None
        return self._server.api.chats[chat_id]

    def staff_member(self) -> TelegramUser | None:
        """The staff member the visitor plays in the groups."""
        found = next((view for view in self.chats.values() if view.kind == STAFF), None)
        return None if found is None else self._server.user(found.chat_id)

    def add_group(self, chat_id: int, title: str) -> None:
        """A staff group the bot is in, shown before anything is posted to it."""
        if chat_id not in self.chats:
            self._add(ChatView(chat_id, GROUP, title))

    def add_staff(self, user_id: int, first_name: str, last_name: str) -> TelegramUser:
        """The staff member's private chat with the bot (their staff desk)."""
        if user_id not in self.chats:
            self._add(ChatView(user_id, STAFF, f"{first_name} {last_name}", "en"))
        return self._server.user(user_id)

    def _add(self, view: ChatView) -> None:
        self.chats[view.chat_id] = view
        self._server_chat(view)
        self.publish({"type": "chat", "chat": view.summary()})
        self.save_soon()

    def document(self, file_id: str) -> UploadedDocument | None:
        return self._files.get(file_id)

    # Following the server.

    def _changed(self, chat: PrivateChat, message_id: int) -> None:
        view = self.chats.get(chat.id)
        if view is None:  # a group the bot has just written to
            view = self.chats[chat.id] = ChatView(chat.id, GROUP, _group_title(chat))
            self.publish({"type": "chat", "chat": view.summary()})
        bubble = self._bubble(chat, message_id, view.messages.get(message_id))
        view.messages[message_id] = bubble
        view.reply_keyboard = chat.reply_keyboard
        self.publish(
            {
                "type": "message",
                "chat_id": chat.id,
                "message": bubble,
                "reply_keyboard": view.reply_keyboard,
            }
        )
        self.save_soon()

    def _bubble(
        self, chat: PrivateChat, message_id: int, before: dict[str, Any] | None
    ) -> dict[str, Any]:
        version = chat.bot_messages.get(message_id)
        if version is not None:
            return self._bot_bubble(version)
        raw = chat.messages.get(message_id)
        if raw is not None:
            return {
                "id": message_id,
                "from": "family",  # the person the visitor plays: a family or a staff member
                "date": raw["date"],
                "text": raw.get("text", ""),
                "reply_to": (raw.get("reply_to_message") or {}).get("message_id"),
                "entities": [],
                "buttons": [],
                "edited": False,
                "deleted": False,
                "document": None,
            }
        return {**(before or {"id": message_id, "from": "bot", "date": 0}), "deleted": True}

    def _bot_bubble(self, version: SentMessage) -> dict[str, Any]:
        snapshot = version.as_json()
        document = version.document
        if document is not None:
            self._files[document.file_id] = document
        return {
            "id": version.message_id,
            "from": "bot",
            "date": version.raw.get("date", 0),
            "edit_date": version.raw.get("edit_date"),
            "text": snapshot["visible_text"],
            "entities": snapshot["entities"],
            "buttons": [
                [
                    {key: button[key] for key in ("text", "callback_data", "url") if key in button}
                    for button in row
                ]
                for row in version.inline_keyboard
            ],
            "edited": version.edited,
            "deleted": version.deleted,
            "document": None
            if document is None
            else {
                "file_id": document.file_id,
                "filename": document.filename,
                "size": len(document.content),
            },
        }

    # Streaming to pages.

    def publish(self, event: dict[str, Any]) -> None:
        for listener in self._listeners:
            listener.put_nowait(event)

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Every event from now on, until the sandbox stops."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            while True:
                event = await queue.get()
                if event["type"] == "closing":
                    return
                yield event
        finally:
            self._listeners.discard(queue)


def _group_title(chat: PrivateChat) -> str:
    return str(chat.user.get("title")) if isinstance(chat, GroupChat) else f"Chat {chat.id}"
