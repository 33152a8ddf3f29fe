"""Reading a chat as a transcript: what the family sends, and what the bot says back.

Each step waits until the bot has finished handling the update (the e2e fixtures mark every
processed update), so a slow machine never cuts an answer short.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from local_bot_api.chats import SentMessage
from local_bot_api.users import TelegramUser


class Progress:
    """How many updates the bot has finished for each chat (in the running test's loop)."""

    def __init__(self) -> None:
        self.done: Counter[int] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed = asyncio.Condition()

    def _current(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new test: start counting afresh
            self._loop, self._changed, self.done = loop, asyncio.Condition(), Counter()
        return self._changed

    def seen(self, chat_id: int) -> int:
        """Updates finished so far for the chat; read this before sending the next one."""
        self._current()
        return self.done[chat_id]

    async def mark(self, chat_id: int) -> None:
        changed = self._current()
        async with changed:
            self.done[chat_id] += 1
            changed.notify_all()

    async def wait_past(self, chat_id: int, count: int, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        changed = self._current()
        async with changed:
            await asyncio.wait_for(changed.wait_for(lambda: self.done[chat_id] > count), timeout)


PROGRESS = Progress()


async def exchange(
    user: TelegramUser,
    *,
    text: str | None = None,
    button: str | None = None,
    data: tuple[int, str] | None = None,
) -> list[SentMessage]:
    """One step by the family; everything the bot sent or edited in answer, in order."""
    before = PROGRESS.seen(user.id)
    if text is not None:
        await user.send(text)
    elif button is not None:
        await user.press(button)
    else:
        assert data is not None
        await user.press_data(*data)
    await PROGRESS.wait_past(user.id, before)
    return await user.replies(timeout=0.05, settle=0.01)


async def says(user: TelegramUser, text: str) -> list[SentMessage]:
    """The family sends text; the bot's new messages (not edits) come back in order."""
    return [m for m in await exchange(user, text=text) if not m.edited]


async def taps(user: TelegramUser, label: str) -> list[SentMessage]:
    """The family taps a button on the newest message that shows it; new messages back."""
    return [m for m in await exchange(user, button=label) if not m.edited]


async def presses(user: TelegramUser, label: str) -> list[SentMessage]:
    """Like `taps`, but edits of earlier messages are returned too."""
    return await exchange(user, button=label)


async def forges(user: TelegramUser, message_id: int, data: str) -> list[SentMessage]:
    """The family's app sends button data of its own making (or from an old message)."""
    return await exchange(user, data=(message_id, data))


def texts(messages: list[SentMessage]) -> str:
    return "\n---\n".join(m.visible_text for m in messages)


def flat(buttons: list[list[str]]) -> list[str]:
    return [label for row in buttons for label in row]
