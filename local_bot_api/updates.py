"""The queue of updates getUpdates hands out, with Telegram's offset and long-polling rules."""

import asyncio
from collections import deque
from typing import Any

# Update kinds Telegram leaves out unless the bot asks for them in allowed_updates.
_OPT_IN_KINDS = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Updates not yet confirmed by the bot, oldest first.

    A getUpdates ``offset`` confirms (drops) everything below it; a long poll returns as soon as
    an update arrives. Like Telegram, ``allowed_updates`` persists from one call to the next and
    filters updates as they are created.
    """

    __slots__ = ("_allowed", "_arrived", "_last_update_id", "_pending", "closing")

    def __init__(self) -> None:
        self._pending: deque[dict[str, Any]] = deque()
        self._last_update_id = 0
        self._arrived = asyncio.Event()
        self._allowed: frozenset[str] | None = None
        self.closing = False

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue one update of ``kind``; None when the bot's allowed_updates leave it out."""
        allowed = self._allowed
        if (kind not in allowed) if allowed else (kind in _OPT_IN_KINDS):
            return None
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, kind: payload}
        self._pending.append(update)
        self._wake()
        return update

    def allow(self, kinds: list[str] | None) -> None:
        """Remember allowed_updates; an empty list means Telegram's default set again."""
        if kinds is not None:
            self._allowed = frozenset(kinds) or None

    async def take(
        self, offset: int | None, limit: int, wait_seconds: float
    ) -> list[dict[str, Any]]:
        """Confirm below ``offset``, then return up to ``limit`` updates, waiting if none."""
        self._confirm(offset)
        if not self._pending and wait_seconds > 0 and not self.closing:
            arrived = self._arrived
            try:
                await asyncio.wait_for(arrived.wait(), wait_seconds)
            except TimeoutError:
                return []
        return [self._pending[index] for index in range(min(limit, len(self._pending)))]

    def drop_all(self) -> None:
        """Forget every pending update, as ``drop_pending_updates`` asks."""
        self._pending.clear()

    def close(self) -> None:
        """Release every waiting long poll so the server can stop at once."""
        self.closing = True
        self._wake()

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        pending = self._pending
        if offset < 0:
            # A negative offset keeps only the last -offset updates and forgets the rest.
            while len(pending) > -offset:
                pending.popleft()
            return
        while pending and pending[0]["update_id"] < offset:
            pending.popleft()

    def _wake(self) -> None:
        arrived, self._arrived = self._arrived, asyncio.Event()
        arrived.set()
