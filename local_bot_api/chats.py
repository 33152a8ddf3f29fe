"""The private chats between simulated users and the bot, with everything the bot put in them."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, frozen=True)
class UploadedDocument:
    """A file the bot sent, kept whole so a test can open it (an export, a leaflet)."""

    file_id: str
    filename: str
    mime_type: str
    content: bytes


@dataclass(slots=True)
class SentMessage:
    """One version of a bot message as the user saw it: a send, an edit or a deletion.

    ``text`` is what the bot sent (markup included, read it with ``parse_mode``);
    ``visible_text`` is what the family reads. ``revision`` orders every change in the chat.
    """

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    visible_text: str
    inline_keyboard: list[list[dict[str, Any]]]
    reply_keyboard: list[list[str]] | None
    raw: dict[str, Any]
    edited: bool = False
    deleted: bool = False
    document: UploadedDocument | None = None
    revision: int = 0

    @property
    def buttons(self) -> list[list[str]]:
        """Inline button labels row by row, the way a transcript shows them."""
        return [[button["text"] for button in row] for row in self.inline_keyboard]

    def as_json(self) -> dict[str, Any]:
        """The snapshot sent to the browser chat page over the control API."""
        document = self.document
        return {
            "revision": self.revision,
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "text": self.text,
            "parse_mode": self.parse_mode,
            "visible_text": self.visible_text,
            "entities": self.raw.get("entities") or self.raw.get("caption_entities") or [],
            "buttons": self.buttons,
            "inline_keyboard": self.inline_keyboard,
            "reply_keyboard": self.reply_keyboard,
            "edited": self.edited,
            "deleted": self.deleted,
            "document": None
            if document is None
            else {
                "filename": document.filename,
                "mime_type": document.mime_type,
                "size": len(document.content),
            },
        }


@dataclass(slots=True)
class PrivateChat:
    """A user's private chat with the bot; its id is the user's id, as on Telegram."""

    user: dict[str, Any]
    blocked: bool = False
    # Every message in the chat as Telegram would return it, by message id.
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The current version of each bot message still in the chat, oldest first.
    bot_messages: dict[int, SentMessage] = field(default_factory=dict)
    # Every send, edit and deletion by the bot, in order; revision n is activity[n - 1].
    activity: list[SentMessage] = field(default_factory=list)
    documents: list[UploadedDocument] = field(default_factory=list)
    callback_answers: list[str] = field(default_factory=list)
    # The reply keyboard the user has open, as rows of button texts.
    reply_keyboard: list[list[str]] | None = None
    reply_keyboard_one_time: bool = False
    # The server's clock, in seconds since the epoch: the date on every message (the sandbox
    # moves it).
    clock: Callable[[], float] = time.time
    # Called with the chat and a message id whenever a message appears or changes (the sandbox
    # page follows chats this way); shared with the server, so watchers added later count.
    watchers: list[Callable[["PrivateChat", int], None]] = field(default_factory=list)
    _last_message_id: int = field(default=0, init=False)
    _changed: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def chat_object(self) -> dict[str, Any]:
        """The Chat object Telegram puts in every message of this chat."""
        chat = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
        for optional in ("last_name", "username"):
            if optional in self.user:
                chat[optional] = self.user[optional]
        return chat

    def new_message(self, sender: dict[str, Any], **content: Any) -> dict[str, Any]:
        """Store a message with the next id in this chat and the current time."""
        self._last_message_id += 1
        message = {
            "message_id": self._last_message_id,
            "date": int(self.clock()),
            "chat": self.chat_object,
            "from": sender,
            **content,
        }
        self.messages[self._last_message_id] = message
        return message

    def record(self, version: SentMessage) -> None:
        """Keep a bot send, edit or deletion and wake whoever waits for the bot."""
        self.activity.append(version)
        version.revision = len(self.activity)
        if version.deleted:
            self.bot_messages.pop(version.message_id, None)
            self.messages.pop(version.message_id, None)
        else:
            self.bot_messages[version.message_id] = version
            self.messages[version.message_id] = version.raw
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        self.notify(version.message_id)

    def notify(self, message_id: int) -> None:
        """Tell the watchers that a message of this chat appeared or changed."""
        for watcher in self.watchers:
            watcher(self, message_id)

    def continue_numbering(self, last_message_id: int) -> None:
        """Number new messages after ``last_message_id`` (a chat restored from a snapshot)."""
        self._last_message_id = max(self._last_message_id, last_message_id)

    async def wait_for_activity(self, revision: int, seconds: float) -> bool:
        """Wait until the bot does something after ``revision``; False if it stays silent."""
        if len(self.activity) > revision:
            return True
        try:
            await asyncio.wait_for(self._changed.wait(), seconds)
        except TimeoutError:
            return len(self.activity) > revision
        return True


@dataclass(slots=True)
class GroupChat(PrivateChat):
    """A group the bot writes to, such as a staff group: ``user`` holds the group's id (negative,
    as on Telegram) and its title. Only the bot posts in it."""

    @property
    def chat_object(self) -> dict[str, Any]:
        return {"id": self.id, "type": "supergroup", "title": self.user["title"]}
