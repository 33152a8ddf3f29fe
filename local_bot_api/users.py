"""Simulated Telegram users: they send, press buttons and read what the bot sent them."""

import asyncio
import re
from typing import Any

from local_bot_api.bot_methods import BotApi
from local_bot_api.chats import PrivateChat, SentMessage, UploadedDocument

_LEADING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class TelegramUser:
    """One person in a private chat with the bot, driven by a test, the sandbox or a benchmark.

    Everything the user does becomes a Telegram-shaped update in the bot's getUpdates queue;
    everything the bot sends lands in the chat this user reads.
    """

    __slots__ = ("_api", "_chat", "_seen_revision")

    def __init__(self, api: BotApi, chat: PrivateChat) -> None:
        self._api = api
        self._chat = chat
        self._seen_revision = 0

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def first_name(self) -> str:
        return str(self._chat.user["first_name"])

    @property
    def profile(self) -> dict[str, Any]:
        """The Telegram User object the bot sees as ``from``."""
        return self._chat.user

    @property
    def blocked(self) -> bool:
        return self._chat.blocked

    @property
    def last_message(self) -> SentMessage | None:
        """The newest bot message still in the chat, as it currently reads."""
        messages = self._chat.bot_messages
        return messages[next(reversed(messages))] if messages else None

    @property
    def messages(self) -> list[SentMessage]:
        """Every bot message still in the chat, oldest first, as each currently reads."""
        return list(self._chat.bot_messages.values())

    @property
    def history(self) -> list[SentMessage]:
        """Every send, edit and deletion by the bot in this chat, in order."""
        return list(self._chat.activity)

    @property
    def documents(self) -> list[UploadedDocument]:
        return self._chat.documents

    @property
    def callback_answers(self) -> list[str]:
        """Texts of answerCallbackQuery calls for this user's presses ("" for a silent answer)."""
        return self._chat.callback_answers

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard the user has open, or None."""
        return self._chat.reply_keyboard

    async def send(self, text: str, reply_to: int | None = None) -> dict[str, Any]:
        """Send a text message; a leading /command gets its bot_command entity as on Telegram."""
        content: dict[str, Any] = {"text": text}
        command = _LEADING_COMMAND.match(text)
        if command:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command.group(0))}
            ]
        if reply_to is not None:
            if reply_to not in self._chat.messages:
                raise AssertionError(f"There is no message {reply_to} in {self.first_name}'s chat")
            content["reply_to_message"] = self._chat.messages[reply_to]
        if self._chat.reply_keyboard_one_time:
            self._chat.reply_keyboard = None
            self._chat.reply_keyboard_one_time = False
        return await self._send(content)

    async def edit(self, message_id: int, text: str) -> dict[str, Any]:
        """Edit a text message this user sent earlier; the bot hears an edited_message."""
        original = self._chat.messages.get(message_id)
        if original is None or original.get("from") != self._chat.user:
            raise AssertionError(f"{self.first_name} sent no message {message_id} to edit")
        edited = {**original, "text": text, "edit_date": int(self._chat.clock())}
        edited.pop("entities", None)
        self._chat.messages[message_id] = edited
        self._api.updates.push("edited_message", edited)
        await asyncio.sleep(0)
        return edited

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        file_id, unique_id = self._api.new_file_id("CAAC")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self._send({"sticker": sticker})

    async def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        sizes = []
        for width, height in ((90, 67), (320, 240), (800, 600)):
            file_id, unique_id = self._api.new_file_id("AgAC")
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique_id,
                    "width": width,
                    "height": height,
                    "file_size": width * height // 10,
                }
            )
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return await self._send(content)

    async def send_voice(self, duration: int = 3) -> dict[str, Any]:
        file_id, unique_id = self._api.new_file_id("AwAC")
        voice = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": duration * 4000,
        }
        return await self._send({"voice": voice})

    async def press(self, button_text: str) -> str:
        """Press the inline button labelled ``button_text`` on the newest message showing it."""
        for message in reversed(self._chat.bot_messages.values()):
            for row in message.inline_keyboard:
                for button in row:
                    if button["text"] != button_text:
                        continue
                    if "callback_data" not in button:
                        raise AssertionError(
                            f'Button "{button_text}" on message {message.message_id} is not a '
                            f"callback button: {button}"
                        )
                    return await self.press_data(message.message_id, button["callback_data"])
        raise AssertionError(
            f'{self.first_name} sees no button "{button_text}". Buttons in the chat: '
            f"{self._visible_buttons()}"
        )

    async def press_in(self, chat: PrivateChat, button_text: str) -> str:
        """Press a button on the newest message showing it in another chat this user is in, such
        as a staff group; the answer to the press is this user's (``callback_answers``)."""
        for message in reversed(chat.bot_messages.values()):
            for row in message.inline_keyboard:
                for button in row:
                    if button["text"] == button_text and "callback_data" in button:
                        return await self.press_data_in(
                            chat, message.message_id, button["callback_data"]
                        )
        raise AssertionError(f'{self.first_name} sees no button "{button_text}" in {chat.id}')

    async def press_data_in(self, chat: PrivateChat, message_id: int, data: str) -> str:
        """Press a button with this data on one message of another chat this user is in (the
        sandbox page's staff groups, where many posts carry the same labels)."""
        version = chat.bot_messages.get(message_id)
        message = (
            version.raw
            if version is not None
            else {"chat": chat.chat_object, "message_id": message_id, "date": 0}
        )
        query_id = self._api.open_callback_query(self.id)
        self._api.updates.push(
            "callback_query",
            {
                "id": query_id,
                "from": self._chat.user,
                "message": message,
                "chat_instance": str(chat.id),
                "data": data,
            },
        )
        await asyncio.sleep(0)
        return query_id

    async def press_data(self, message_id: int, data: str) -> str:
        """Send a callback query with any data, even forged, for any message id.

        A message no longer in the chat arrives as Telegram's inaccessible message (date 0).
        Returns the callback query id.
        """
        version = self._chat.bot_messages.get(message_id)
        message = (
            version.raw
            if version is not None
            else {"chat": self._chat.chat_object, "message_id": message_id, "date": 0}
        )
        query_id = self._api.open_callback_query(self.id)
        self._api.updates.push(
            "callback_query",
            {
                "id": query_id,
                "from": self._chat.user,
                "message": message,
                "chat_instance": f"-{self.id}",
                "data": data,
            },
        )
        await asyncio.sleep(0)
        return query_id

    async def replies(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the bot gets, not a cancel scope
        settle: float = 0.15,
    ) -> list[SentMessage]:
        """The bot's new sends and edits since the last call, once it has gone quiet.

        Waits up to ``timeout`` for the bot to do anything, then until ``settle`` seconds pass
        without more. Edits come back as the edited message with ``edited`` set; deletions are
        left out (see ``history``). An empty list means the bot stayed silent.
        """
        chat = self._chat
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if await chat.wait_for_activity(self._seen_revision, timeout):
            while (remaining := deadline - loop.time()) > 0:
                if not await chat.wait_for_activity(len(chat.activity), min(settle, remaining)):
                    break
        new = chat.activity[self._seen_revision :]
        self._seen_revision += len(new)
        return [version for version in new if not version.deleted]

    async def block_bot(self) -> None:
        """Block the bot: later sends to this chat get 403 and the bot hears my_chat_member."""
        self._chat.blocked = True
        self._report_membership(old="member", new="kicked")
        await asyncio.sleep(0)

    async def unblock_bot(self) -> None:
        """Unblock the bot, as pressing Restart does (the /start itself is a separate send)."""
        self._chat.blocked = False
        self._report_membership(old="kicked", new="member")
        await asyncio.sleep(0)

    async def _send(self, content: dict[str, Any]) -> dict[str, Any]:
        if self._chat.blocked:
            raise AssertionError(f"{self.first_name} has blocked the bot; unblock_bot() first")
        message = self._chat.new_message(self._chat.user, **content)
        self._api.updates.push("message", message)
        self._chat.notify(message["message_id"])
        # Let a waiting getUpdates hand the update out before the caller carries on.
        await asyncio.sleep(0)
        return message

    def _report_membership(self, old: str, new: str) -> None:
        bot = self._api.bot

        def member(status: str) -> dict[str, Any]:
            return {"user": bot, "status": status} | (
                {"until_date": 0} if status == "kicked" else {}
            )

        self._api.updates.push(
            "my_chat_member",
            {
                "chat": self._chat.chat_object,
                "from": self._chat.user,
                "date": int(self._chat.clock()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    def _visible_buttons(self) -> list[tuple[int, list[list[str]]]]:
        return [
            (message.message_id, message.buttons)
            for message in self._chat.bot_messages.values()
            if message.inline_keyboard
        ]
