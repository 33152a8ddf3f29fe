"""A local stand-in for Telegram's Bot API, so the real PTB bot can be run and tested offline."""

from local_bot_api.chats import SentMessage, UploadedDocument
from local_bot_api.faults import ServerStats
from local_bot_api.server import BotApiServer
from local_bot_api.users import TelegramUser

__all__ = ["BotApiServer", "SentMessage", "ServerStats", "TelegramUser", "UploadedDocument"]
