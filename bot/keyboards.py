"""Inline keyboards built from (label, callback data) pairs, checked against Telegram's limits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit


def button(label: str, data: str) -> InlineKeyboardButton:
    if not 0 < len(data.encode()) <= CALLBACK_DATA_LIMIT:
        raise ValueError(f"callback data must be 1-{CALLBACK_DATA_LIMIT} bytes: {data!r}")
    return InlineKeyboardButton(label, callback_data=data)


def keyboard(rows: Iterable[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(label, data) for label, data in row] for row in rows])


def column(choices: Iterable[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One button per row: easiest to read and tap on a phone."""
    return keyboard([choice] for choice in choices)


def grid(choices: Sequence[tuple[str, str]], width: int) -> InlineKeyboardMarkup:
    return keyboard(choices[i : i + width] for i in range(0, len(choices), width))
