"""Families are answered at the same time, each family's messages one at a time, in order.

PTB's default handles one update at a time, so 50 families typing at once wait for each other
(bench/concurrent_replies.py). Plain `concurrent_updates` would let two updates of one chat run
together, and the conversation, the drafts and their persistence assume a chat's updates come
one after another. `ChatOrderedUpdates` gives both: different chats run together, bounded;
a chat's next update starts only when its last one, persistence flush included, is done.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

ChatKey = int | None

# The chat whose update this task is handling; None outside update handling.
_handling: ContextVar[ChatKey] = ContextVar("handling", default=None)

RUNNING = 64
# Updates let in at once, running or waiting for their chat's turn. PTB's own semaphore bounds
# these, and it is taken before our per-chat wait: if it bounded the running ones, one chat's
# queue could fill every place and hold up all other families.
ADMITTED = 1024


def chat_key(update: object) -> ChatKey:
    """Whose turn an update waits for: its chat's, else its user's (the same id in a private
    chat). Anything else (a poll's results, say) shares the one lane of updates with no chat."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


class ChatOrderedUpdates(BaseUpdateProcessor):
    """Runs up to `running` updates at once, never two of the same chat, each chat's in the
    order they arrived.

    PTB starts a task per update in arrival order and lets them in through a first-come
    first-served semaphore, so `do_process_update` is entered in arrival order; each update
    takes its place behind its chat's previous one there, before anything is awaited. Only
    chats with an update in hand have an entry, removed when their last update is done, so
    memory stays flat however many families there are.
    """

    __slots__ = ("_last_turn", "_running")

    def __init__(self, running: int = RUNNING, admitted: int = ADMITTED) -> None:
        super().__init__(max_concurrent_updates=admitted)
        self._running = asyncio.Semaphore(running)
        # Per chat: set when the chat's newest update in hand is done.
        self._last_turn: dict[ChatKey, asyncio.Event] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        previous = self._last_turn.get(key)
        done = self._last_turn[key] = asyncio.Event()
        started = False
        try:
            if previous is not None:
                await previous.wait()
            async with self._running:
                started = True
                handling = _handling.set(key)
                try:
                    await coroutine
                finally:
                    _handling.reset(handling)
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting: it never ran
            done.set()
            if self._last_turn.get(key) is done:
                del self._last_turn[key]

    def is_handling(self, chat_id: int) -> bool:
        """Whether an update of this chat is being handled or waiting for its turn: a send to
        the chat now is a reply."""
        return chat_id in self._last_turn

    def handled_elsewhere(self, chat_id: int) -> bool:
        """Whether an update of this chat is in hand, and not by the task asking."""
        return chat_id in self._last_turn and _handling.get() != chat_id

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB waits for the updates in hand when it stops."""
