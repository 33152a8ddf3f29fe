"""The sandbox's own time: the system's time moved forward by the time machine.

The bot, its database rows and the chat page all read this clock; nothing else on the machine
sees it. Time only moves forward, as it does for families: a jump never undoes one before it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def system_time() -> datetime:
    return datetime.now(UTC)


class SandboxClock:
    """``clock()`` is the sandbox's now (aware, UTC): the system's time plus ``offset``.

    Between jumps it runs at the normal pace, so a family typing in the sandbox sees minutes
    pass as they do; ``move_to`` sets a later moment and the clock runs on from there.
    """

    __slots__ = ("_offset", "_system")

    def __init__(
        self,
        offset: timedelta = timedelta(0),
        system: Callable[[], datetime] = system_time,
    ) -> None:
        self._offset = max(offset, timedelta(0))
        self._system = system

    def __call__(self) -> datetime:
        return self._system() + self._offset

    def timestamp(self) -> float:
        """Now in seconds since the epoch, the unit Telegram dates messages in."""
        return self().timestamp()

    @property
    def offset(self) -> timedelta:
        """How far ahead of the system's time the sandbox is (kept across restarts)."""
        return self._offset

    def move_to(self, moment: datetime) -> None:
        """Make ``moment`` now; a moment already past leaves the clock where it is."""
        if moment.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one")
        self._offset = max(self._offset, moment - self._system())

    def reset(self) -> None:
        """Back to the system's time: only for a sandbox that starts again from nothing."""
        self._offset = timedelta(0)
