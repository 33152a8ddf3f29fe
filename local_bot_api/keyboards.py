"""Checking reply_markup as Telegram does and reading the buttons a user would see."""

from dataclasses import dataclass
from typing import Any

from local_bot_api.errors import bad_request

# Telegram's limit on callback_data, in UTF-8 bytes.
CALLBACK_DATA_MAX_BYTES = 64
# Inline button fields that make a button do something; exactly one must be present.
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


@dataclass(slots=True, frozen=True)
class ReplyMarkup:
    """A checked reply_markup: what goes back on the message and what changes the user's keys.

    ``reply_keyboard`` is None when the markup leaves the user's keyboard alone, and an empty
    list when it removes it.
    """

    inline_keyboard: list[list[dict[str, Any]]] | None = None
    reply_keyboard: list[list[str]] | None = None
    one_time: bool = False

    def as_message_field(self) -> dict[str, Any] | None:
        """Telegram echoes only inline keyboards back on the message it returns."""
        if self.inline_keyboard is None:
            return None
        return {"inline_keyboard": self.inline_keyboard}


NO_MARKUP = ReplyMarkup()


def parse_reply_markup(markup: Any) -> ReplyMarkup:
    """Validate one of the four markup kinds, rejecting what Telegram rejects."""
    if markup is None:
        return NO_MARKUP
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return ReplyMarkup(inline_keyboard=_inline_rows(markup["inline_keyboard"]))
    if "keyboard" in markup:
        return ReplyMarkup(
            reply_keyboard=_reply_rows(markup["keyboard"]),
            one_time=bool(markup.get("one_time_keyboard")),
        )
    if markup.get("remove_keyboard") is True:
        return ReplyMarkup(reply_keyboard=[])
    if markup.get("force_reply") is True:
        return NO_MARKUP
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_rows(rows: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            _check_inline_button(button)
    return rows


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed")
    if not button["text"]:
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in _INLINE_ACTIONS if name in button]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request("can't parse inline keyboard button: more than one action")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 0 < len(data.encode()) <= CALLBACK_DATA_MAX_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not str(button["url"]).strip():
        raise bad_request("BUTTON_URL_INVALID")


def _reply_rows(rows: Any) -> list[list[str]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    texts = [[_reply_button_text(button) for button in row] for row in rows]
    if not any(texts):
        raise bad_request("keyboard must be non-empty")
    return texts


def _reply_button_text(button: Any) -> str:
    text = button.get("text") if isinstance(button, dict) else button
    if not isinstance(text, str) or not text:
        raise bad_request("can't parse keyboard button: Text must be non-empty")
    return text
