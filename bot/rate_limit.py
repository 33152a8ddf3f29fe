"""Telegram's overall limit for the whole bot, with replies to families ahead of scheduled sends.

Telegram allows about 30 messages a second in all; beyond that it answers 429. Every request
to a chat gets a turn, one every 1/29 s: evenly spaced, never a burst of 30, so a strict
30-per-second server never answers 429 (bench/rate_limited.py). Turns go first to replies, the
sends to a chat whose update is being handled, and only then to scheduled sends, so a family
never waits behind the dispatcher's backlog (bench/concurrent_replies.py). Requests to no chat
(answering a button press) are not messages and take no turn, as in PTB's AIORateLimiter.

A 429 that still comes is retried after Telegram's `retry_after` by PTB's AIORateLimiter, whose
own overall limit is off here: the turns above replace it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter, BaseRateLimiter

Answer = bool | dict[str, Any] | list[dict[str, Any]]  # what the Bot API answered
Callback = Callable[..., Coroutine[Any, Any, Answer]]

MESSAGES_PER_SECOND = 29  # one under Telegram's 30, for the jitter between us and its clock
MAX_RETRIES = 2
# A turn handed out this late (the event loop was busy) does not push the later turns back:
# otherwise every late turn delays all the replies behind it. Any 31 turns still span at least
# 30/29 s - 5 ms, about 30 ms more than a second, so no rolling second holds more than 30 even
# when the sends reach Telegram up to 30 ms unevenly. (Forgiving 10 ms drew one 429 in
# bench/concurrent_replies.py on a busy machine; 5 ms drew none.)
LATENESS_FORGIVEN = 0.005


class Turns:
    """One turn every `interval` seconds, replies first; each lane first come, first served.

    Turns keep to a grid `interval` apart; one handed out more than `LATENESS_FORGIVEN` late
    moves the grid on by the difference. While someone waits, a timer hands out the next turn
    on the loop's own clock, the moment it is due; a lone request when the last turn is past
    takes its turn at once.
    """

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._replies: deque[asyncio.Future[None]] = deque()
        self._scheduled: deque[asyncio.Future[None]] = deque()
        self._next_at = float("-inf")  # loop time of the next turn
        self._timer: asyncio.TimerHandle | None = None

    async def wait(self, *, reply: bool) -> None:
        loop = asyncio.get_running_loop()
        if not self._replies and not self._scheduled and loop.time() >= self._next_at:
            self._taken(loop.time())
            return
        turn = loop.create_future()
        (self._replies if reply else self._scheduled).append(turn)
        self._set_timer(loop)
        await turn  # cancelled with its request: `_hand_out` passes it over

    def _set_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is None and (self._replies or self._scheduled):
            self._timer = loop.call_at(self._next_at, self._hand_out, loop)

    def _hand_out(self, loop: asyncio.AbstractEventLoop) -> None:
        """The next turn, to the first reply waiting, else to the first scheduled send."""
        self._timer = None
        while self._replies or self._scheduled:
            turn = (self._replies or self._scheduled).popleft()
            if not turn.done():  # done: cancelled with its request
                turn.set_result(None)
                self._taken(loop.time())
                break
        self._set_timer(loop)

    def _taken(self, now: float) -> None:
        self._next_at = max(
            self._next_at + self._interval, now + self._interval - LATENESS_FORGIVEN
        )

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class RepliesFirst(BaseRateLimiter[int]):
    """The bot's rate limiter. `is_reply(chat_id)` says whether a send to that chat now answers
    its family (`bot.update_order.ChatOrderedUpdates.is_handling`).

    `rate_limit_args`, as with AIORateLimiter, is the number of retries after a 429 for one
    call; `max_retries` otherwise.
    """

    def __init__(
        self,
        is_reply: Callable[[int], bool],
        *,
        per_second: float = MESSAGES_PER_SECOND,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        self._is_reply = is_reply
        self._turns = Turns(1 / per_second)
        self._retries = AIORateLimiter(overall_max_rate=0, max_retries=max_retries)

    async def initialize(self) -> None:
        await self._retries.initialize()

    async def shutdown(self) -> None:
        self._turns.close()
        await self._retries.shutdown()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Answer:
        target = data.get("chat_id")
        if target is None:
            return await self._retries.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        chat_id = _as_int(target)
        reply = chat_id is not None and self._is_reply(chat_id)

        async def in_turn(*call_args: Any, **call_kwargs: Any) -> Answer:
            await self._turns.wait(reply=reply)  # each retry takes a turn of its own
            return await callback(*call_args, **call_kwargs)

        return await self._retries.process_request(
            in_turn, args, kwargs, endpoint, data, rate_limit_args
        )


def _as_int(target: object) -> int | None:
    """A chat id as a number; None for a channel's @username."""
    try:
        return int(target)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
