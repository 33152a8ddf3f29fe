"""The error a Bot API method answers with, shaped as Telegram shapes it."""

from typing import Any


class BotApiError(Exception):
    """A refusal the bot must see exactly as Telegram would send it (status, text, retry_after)."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends with this error; PTB reads ``retry_after`` from it."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> BotApiError:
    """A 400 whose description starts the way every Telegram 400 does."""
    return BotApiError(400, f"Bad Request: {reason}")
