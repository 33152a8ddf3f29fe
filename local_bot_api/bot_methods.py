"""The Bot API methods the bot calls, answered from in-memory chats the way Telegram answers."""

import re
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from local_bot_api.chats import GroupChat, PrivateChat, SentMessage, UploadedDocument
from local_bot_api.errors import BotApiError, bad_request
from local_bot_api.html_markup import FormattedText, parse_html
from local_bot_api.keyboards import ReplyMarkup, parse_reply_markup
from local_bot_api.params import RequestParams
from local_bot_api.updates import UpdateQueue

MESSAGE_TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)

MethodHandler = Callable[[RequestParams, dict[str, Any]], Awaitable[Any]]


def bot_id_from_token(token: str) -> int:
    """The bot id Telegram encodes before the colon of a token; a stable stand-in otherwise."""
    number = token.split(":", 1)[0]
    return int(number) if number.isdigit() else zlib.crc32(token.encode())


class BotApi:
    """Telegram's side of the conversation: the chats, the update queue and the bot's settings.

    ``call`` runs one method for one token; the HTTP layer only decodes and encodes.
    """

    def __init__(
        self,
        bot_username: str,
        bot_first_name: str,
        clock: Callable[[], float] = time.time,
        open_groups: bool = False,
    ) -> None:
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bot = self._bot_user("0")
        self.clock = clock
        # Whether a send to an unknown group id (negative) makes the group, as if the bot had
        # been added to it: the sandbox shows whatever group the bot is configured to post to.
        self.open_groups = open_groups
        self.chats: dict[int, PrivateChat] = {}
        # Told of every message that appears or changes in any chat (see PrivateChat.watchers).
        self.watchers: list[Callable[[PrivateChat, int], None]] = []
        self.updates = UpdateQueue()
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.files: dict[str, UploadedDocument] = {}
        # Callback queries the bot has not answered yet, with the chat each came from.
        self.open_callback_queries: dict[str, int] = {}
        self.sent_messages_count = 0
        self._bots_by_token: dict[str, dict[str, Any]] = {}
        # Tokens answered as Telegram answers a revoked or mistyped one: 401 on every method.
        self.refused_tokens: set[str] = set()
        self._last_file_number = 0
        self._last_callback_query_number = 0
        self._methods: dict[str, MethodHandler] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self.get_me,
                "logOut": self.log_out,
                "close": self.log_out,
                "getUpdates": self.get_updates,
                "setWebhook": self.set_webhook,
                "deleteWebhook": self.delete_webhook,
                "getWebhookInfo": self.get_webhook_info,
                "sendMessage": self.send_message,
                "editMessageText": self.edit_message_text,
                "editMessageReplyMarkup": self.edit_message_reply_markup,
                "deleteMessage": self.delete_message,
                "answerCallbackQuery": self.answer_callback_query,
                "sendChatAction": self.send_chat_action,
                "setMyCommands": self.set_my_commands,
                "getMyCommands": self.get_my_commands,
                "deleteMyCommands": self.delete_my_commands,
                "sendDocument": self.send_document,
                "getChat": self.get_chat,
            }.items()
        }

    async def call(self, method: str, token: str, params: RequestParams) -> Any:
        """Run ``method`` as the bot owning ``token``; a BotApiError is Telegram's refusal."""
        if token in self.refused_tokens:
            raise BotApiError(401, "Unauthorized")
        handler = self._methods.get(method.lower())
        if handler is None:
            raise BotApiError(404, "Not Found")
        bot = self._bots_by_token.get(token)
        if bot is None:
            bot = self._bots_by_token[token] = self._bot_user(token)
            self.bot = bot
        return await handler(params, bot)

    def open_callback_query(self, chat_id: int) -> str:
        """A new callback query id, remembered until the bot answers it."""
        self._last_callback_query_number += 1
        query_id = f"{chat_id}{self._last_callback_query_number:06d}"
        self.open_callback_queries[query_id] = chat_id
        return query_id

    def new_file_id(self, kind: str) -> tuple[str, str]:
        """A fresh (file_id, file_unique_id) pair in Telegram's opaque style."""
        self._last_file_number += 1
        return f"{kind}-{self._last_file_number:08d}-local", f"u{self._last_file_number:08d}"

    # Bot identity, updates and webhook.

    async def get_me(self, params: RequestParams, bot: dict[str, Any]) -> dict[str, Any]:
        return {
            **bot,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def log_out(self, params: RequestParams, bot: dict[str, Any]) -> bool:
        return True

    async def get_updates(self, params: RequestParams, bot: dict[str, Any]) -> list[Any]:
        if self.webhook["url"]:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self.updates.allow(params.structure("allowed_updates"))
        limit = min(max(params.integer("limit", 100) or 100, 1), 100)
        timeout = max(params.number("timeout", 0.0), 0.0)
        return await self.updates.take(params.integer("offset"), limit, timeout)

    async def set_webhook(self, params: RequestParams, bot: dict[str, Any]) -> bool:
        url = params.text("url", "") or ""
        self.webhook = {"url": url}
        for name in ("secret_token", "ip_address"):
            if name in params:
                self.webhook[name] = params.text(name)
        if "max_connections" in params:
            self.webhook["max_connections"] = params.integer("max_connections")
        if "allowed_updates" in params:
            self.webhook["allowed_updates"] = params.structure("allowed_updates")
            self.updates.allow(self.webhook["allowed_updates"])
        if params.flag("drop_pending_updates"):
            self.updates.drop_all()
        return True

    async def delete_webhook(self, params: RequestParams, bot: dict[str, Any]) -> bool:
        self.webhook = {"url": ""}
        if params.flag("drop_pending_updates"):
            self.updates.drop_all()
        return True

    async def get_webhook_info(self, params: RequestParams, bot: dict[str, Any]) -> dict[str, Any]:
        info = {"has_custom_certificate": False, "pending_update_count": len(self.updates)}
        return {**info, **{k: v for k, v in self.webhook.items() if k != "secret_token"}}

    # Messages.

    async def send_message(self, params: RequestParams, bot: dict[str, Any]) -> dict[str, Any]:
        chat = self._reachable_chat(params)
        text = params.text("text", "") or ""
        parse_mode = params.text("parse_mode")
        formatted = _formatted(text, parse_mode, params)
        if not formatted.text.strip():
            raise bad_request("message text is empty")
        if len(formatted.text) > MESSAGE_TEXT_LIMIT:
            raise bad_request("message is too long")
        markup = parse_reply_markup(params.structure("reply_markup"))
        content: dict[str, Any] = {"text": formatted.text}
        if formatted.entities:
            content["entities"] = formatted.entities
        return self._post(chat, bot, params, content, markup, text, parse_mode, formatted, None)

    async def send_document(self, params: RequestParams, bot: dict[str, Any]) -> dict[str, Any]:
        chat = self._reachable_chat(params)
        caption = params.text("caption", "") or ""
        parse_mode = params.text("parse_mode")
        formatted = _formatted(caption, parse_mode, params, entities_field="caption_entities")
        if len(formatted.text) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        markup = parse_reply_markup(params.structure("reply_markup"))
        document = self._document(params)
        content: dict[str, Any] = {
            "document": {
                "file_id": document.file_id,
                "file_unique_id": "u" + document.file_id,
                "file_name": document.filename,
                "mime_type": document.mime_type,
                "file_size": len(document.content),
            }
        }
        if formatted.text:
            content["caption"] = formatted.text
        if formatted.entities:
            content["caption_entities"] = formatted.entities
        message = self._post(
            chat, bot, params, content, markup, caption, parse_mode, formatted, document
        )
        chat.documents.append(document)
        return message

    async def edit_message_text(
        self, params: RequestParams, bot: dict[str, Any]
    ) -> dict[str, Any]:
        chat, current = self._message_to_edit(params)
        if current.document is not None:
            raise bad_request("there is no text in the message to edit")
        text = params.text("text", "") or ""
        parse_mode = params.text("parse_mode")
        formatted = _formatted(text, parse_mode, params)
        if not formatted.text.strip():
            raise bad_request("message text is empty")
        if len(formatted.text) > MESSAGE_TEXT_LIMIT:
            raise bad_request("message is too long")
        inline_keyboard = _inline_keyboard_for_edit(params)
        if (
            formatted.text == current.visible_text
            and formatted.entities == current.raw.get("entities", [])
            and inline_keyboard == current.inline_keyboard
        ):
            raise bad_request(_NOT_MODIFIED)
        raw = {**current.raw, "text": formatted.text, "edit_date": int(self.clock())}
        raw.pop("entities", None)
        if formatted.entities:
            raw["entities"] = formatted.entities
        return self._record_edit(chat, current, raw, inline_keyboard, text, parse_mode, formatted)

    async def edit_message_reply_markup(
        self, params: RequestParams, bot: dict[str, Any]
    ) -> dict[str, Any]:
        chat, current = self._message_to_edit(params)
        inline_keyboard = _inline_keyboard_for_edit(params)
        if inline_keyboard == current.inline_keyboard:
            raise bad_request(_NOT_MODIFIED)
        raw = {**current.raw, "edit_date": int(self.clock())}
        formatted = FormattedText(current.visible_text)
        return self._record_edit(
            chat, current, raw, inline_keyboard, current.text, current.parse_mode, formatted
        )

    async def delete_message(self, params: RequestParams, bot: dict[str, Any]) -> bool:
        chat = self._known_chat(params)
        message_id = params.integer("message_id")
        current = chat.bot_messages.get(message_id or 0)
        if current is not None:
            chat.record(
                SentMessage(
                    current.message_id,
                    chat.id,
                    current.text,
                    current.parse_mode,
                    current.visible_text,
                    current.inline_keyboard,
                    current.reply_keyboard,
                    current.raw,
                    deleted=True,
                    document=current.document,
                )
            )
        elif chat.messages.pop(message_id or 0, None) is None:
            raise bad_request("message to delete not found")
        return True

    async def answer_callback_query(self, params: RequestParams, bot: dict[str, Any]) -> bool:
        chat_id = self.open_callback_queries.pop(params.text("callback_query_id", "") or "", None)
        if chat_id is None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.chats[chat_id].callback_answers.append(params.text("text", "") or "")
        return True

    async def send_chat_action(self, params: RequestParams, bot: dict[str, Any]) -> bool:
        self._reachable_chat(params)
        if params.text("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def get_chat(self, params: RequestParams, bot: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(params)
        return {
            **chat.chat_object,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    # Commands menu.

    async def set_my_commands(self, params: RequestParams, bot: dict[str, Any]) -> bool:
        commands = params.structure("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_NAME.fullmatch(
                str(command.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        stored = [{"command": c["command"], "description": c["description"]} for c in commands]
        self.commands[_commands_key(params)] = stored
        return True

    async def get_my_commands(
        self, params: RequestParams, bot: dict[str, Any]
    ) -> list[dict[str, str]]:
        return self.commands.get(_commands_key(params), [])

    async def delete_my_commands(self, params: RequestParams, bot: dict[str, Any]) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    # Shared steps.

    def _bot_user(self, token: str) -> dict[str, Any]:
        return {
            "id": bot_id_from_token(token),
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _known_chat(self, params: RequestParams) -> PrivateChat:
        chat_id = params.text("chat_id")
        if not chat_id:
            raise bad_request("chat_id is empty")
        chat = self.chats.get(int(chat_id)) if chat_id.lstrip("-").isdigit() else None
        if chat is None and self.open_groups and chat_id.startswith("-") and chat_id[1:].isdigit():
            chat = self.group(int(chat_id), title=f"Group {chat_id}")
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def group(self, chat_id: int, title: str) -> PrivateChat:
        """The group with this (negative) id, created with ``title`` on first use."""
        existing = self.chats.get(chat_id)
        if existing is not None:
            return existing
        chat = GroupChat({"id": chat_id, "title": title}, clock=self.clock, watchers=self.watchers)
        self.chats[chat_id] = chat
        return chat

    def _reachable_chat(self, params: RequestParams) -> PrivateChat:
        chat = self._known_chat(params)
        if chat.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _message_to_edit(self, params: RequestParams) -> tuple[PrivateChat, SentMessage]:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the local Bot API")
        chat = self._reachable_chat(params)
        message_id = params.integer("message_id") or 0
        current = chat.bot_messages.get(message_id)
        if current is None:
            if message_id in chat.messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return chat, current

    def _document(self, params: RequestParams) -> UploadedDocument:
        upload = params.upload("document")
        if upload is not None:
            file_id, _ = self.new_file_id("BQAC")
            document = UploadedDocument(
                file_id, upload.filename, upload.content_type, upload.file.read()
            )
            self.files[file_id] = document
            return document
        known = self.files.get(params.text("document") or "")
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known

    def _post(
        self,
        chat: PrivateChat,
        bot: dict[str, Any],
        params: RequestParams,
        content: dict[str, Any],
        markup: ReplyMarkup,
        source_text: str,
        parse_mode: str | None,
        formatted: FormattedText,
        document: UploadedDocument | None,
    ) -> dict[str, Any]:
        """Store a new bot message in the chat and return it as Telegram does."""
        reply_to = _reply_target(chat, params)
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        inline = markup.as_message_field()
        if inline is not None:
            content["reply_markup"] = inline
        message = chat.new_message(bot, **content)
        if markup.reply_keyboard is not None:
            chat.reply_keyboard = markup.reply_keyboard or None
            chat.reply_keyboard_one_time = markup.one_time
        chat.record(
            SentMessage(
                message["message_id"],
                chat.id,
                source_text,
                parse_mode,
                formatted.text,
                markup.inline_keyboard or [],
                markup.reply_keyboard,
                message,
                document=document,
            )
        )
        self.sent_messages_count += 1
        return message

    def _record_edit(
        self,
        chat: PrivateChat,
        current: SentMessage,
        raw: dict[str, Any],
        inline_keyboard: list[list[dict[str, Any]]],
        source_text: str,
        parse_mode: str | None,
        formatted: FormattedText,
    ) -> dict[str, Any]:
        raw.pop("reply_markup", None)
        if inline_keyboard:
            raw["reply_markup"] = {"inline_keyboard": inline_keyboard}
        chat.record(
            SentMessage(
                current.message_id,
                chat.id,
                source_text,
                parse_mode,
                formatted.text,
                inline_keyboard,
                current.reply_keyboard,
                raw,
                edited=True,
                document=current.document,
            )
        )
        return raw


def _formatted(
    text: str, parse_mode: str | None, params: RequestParams, entities_field: str = "entities"
) -> FormattedText:
    """Apply parse_mode; only HTML is checked tag by tag, Markdown passes through unchecked."""
    if not parse_mode:
        entities = params.structure(entities_field)
        return FormattedText(text, entities if isinstance(entities, list) else [])
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("markdown", "markdownv2"):
        return FormattedText(text)
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


def _inline_keyboard_for_edit(params: RequestParams) -> list[list[dict[str, Any]]]:
    """The keyboard after an edit: Telegram drops the old one when no reply_markup is sent."""
    markup = parse_reply_markup(params.structure("reply_markup"))
    if markup.reply_keyboard is not None:
        raise bad_request("inline keyboard expected")
    return markup.inline_keyboard or []


def _reply_target(chat: PrivateChat, params: RequestParams) -> dict[str, Any] | None:
    reply = params.structure("reply_parameters")
    if isinstance(reply, dict):
        message_id, lenient = (
            reply.get("message_id"),
            bool(reply.get("allow_sending_without_reply")),
        )
    else:
        message_id, lenient = params.integer("reply_to_message_id"), False
    if message_id is None:
        return None
    target = chat.messages.get(int(message_id))
    if target is None:
        if lenient:
            return None
        raise bad_request("message to be replied not found")
    return {key: value for key, value in target.items() if key != "reply_to_message"}


def _commands_key(params: RequestParams) -> tuple[str, str]:
    return commands_scope_key(params.structure("scope")), params.text("language_code", "") or ""


def commands_scope_key(scope: Any) -> str:
    """A BotCommandScope as a short key: "default", "all_private_chats", "chat:1001"."""
    if scope is None:
        return "default"
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object")
    parts = [
        scope["type"],
        *(str(scope[name]) for name in ("chat_id", "user_id") if name in scope),
    ]
    return ":".join(parts)
