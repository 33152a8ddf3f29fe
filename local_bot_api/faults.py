"""Telegram's bad days on demand: injected failures, a send rate limit and the counts of both."""

import math
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from local_bot_api.errors import BotApiError
from local_bot_api.params import RequestParams

# Status 0 asks for the connection to be dropped with no response at all.
DROPPED_CONNECTION = 0

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ConnectionDropped(Exception):
    """Raised to make the HTTP layer close the socket instead of answering."""


@dataclass(slots=True)
class Fault:
    """One planned failure of a method, for ``times`` calls, optionally only for one chat.

    With ``after_effect`` the call takes effect before it fails, as when Telegram delivered a
    message but the response was lost; a sender that retries then sends it twice.
    """

    method: str
    status: int
    retry_after: int | None
    times: int
    chat_id: int | None
    description: str | None
    after_effect: bool

    def error(self) -> BotApiError | ConnectionDropped:
        """The failure this fault produces when it fires."""
        if self.status == DROPPED_CONNECTION:
            return ConnectionDropped()
        if self.status == 429:
            retry_after = self.retry_after or 1
            description = self.description or f"Too Many Requests: retry after {retry_after}"
            return BotApiError(429, description, retry_after)
        description = self.description or _DEFAULT_DESCRIPTIONS.get(
            self.status, f"Error {self.status}"
        )
        return BotApiError(self.status, description)


class FaultPlan:
    """Faults waiting to fire, looked up by method so calls without faults pay one dict lookup."""

    __slots__ = ("_by_method",)

    def __init__(self) -> None:
        self._by_method: dict[str, list[Fault]] = {}

    def add(self, fault: Fault) -> None:
        self._by_method.setdefault(fault.method, []).append(fault)

    def clear(self) -> None:
        self._by_method.clear()

    def take(self, method: str, params: RequestParams) -> Fault | None:
        """The first fault that matches this call, counting it as used."""
        faults = self._by_method.get(method)
        if not faults:
            return None
        chat_id = params.text("chat_id")
        for fault in faults:
            if fault.chat_id is None or str(fault.chat_id) == chat_id:
                fault.times -= 1
                if fault.times <= 0:
                    faults.remove(fault)
                return fault
        return None


class SendRateLimit:
    """At most ``per_second`` messages in any rolling second, answering 429 beyond that."""

    __slots__ = ("_sent_at", "per_second")

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._sent_at: deque[float] = deque()

    def admit(self) -> BotApiError | None:
        """Count one send, or return the 429 Telegram would give if it is one too many."""
        now = time.monotonic()
        sent_at = self._sent_at
        while sent_at and sent_at[0] <= now - 1.0:
            sent_at.popleft()
        if len(sent_at) >= self.per_second:
            retry_after = max(1, math.ceil(sent_at[0] + 1.0 - now))
            return BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        sent_at.append(now)
        return None


@dataclass(slots=True)
class ServerStats:
    """Counts for tests and benchmarks: calls received, calls that worked, errors given."""

    calls: Counter[str] = field(default_factory=Counter)
    succeeded: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    rate_limited: int = 0
