"""Dashboard sessions: what the cookie holds and when it stops being good.

The cookie is aiohttp-session's EncryptedCookieStorage (Fernet: AES-128-CBC and an HMAC, so
it is both secret and signed), HttpOnly, SameSite=Lax, Secure unless WEB_COOKIE_SECURE is off.
It holds only the member's id, the account's `session_version` at sign-in, two times and the
CSRF token. The database decides on every request whether the member may still act (enabled,
same session version), so disabling an account or changing its password ends its sessions.

Lifetimes are measured on the wall clock, not the service clock: the sandbox moves its own
clock a month at a time, and that must not sign its visitor out.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp_session import Session

COOKIE_NAME = "growwell_dashboard"
IDLE_LIMIT_SECONDS = 60 * 60
_TOUCH_EVERY_SECONDS = 60  # `seen` is refreshed at most this often (each write is a new cookie)


@dataclass(frozen=True)
class SessionPolicy:
    lifetime_seconds: int
    idle_seconds: int = IDLE_LIMIT_SECONDS
    wall_clock: Callable[[], float] = field(default=time.time)


def csrf_token(session: Session) -> str:
    """The session's CSRF token, made on first use (anonymous sessions get one too, so the
    sign-in form is protected as well)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def begin(session: Session, staff_id: int, session_version: int, policy: SessionPolicy) -> None:
    """Fill a fresh session (aiohttp_session.new_session) for a member who just signed in."""
    now = policy.wall_clock()
    session["staff_id"] = staff_id
    session["version"] = session_version
    session["issued"] = now
    session["seen"] = now
    session["csrf"] = secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Holder:
    staff_id: int
    session_version: int


def holder(session: Session, policy: SessionPolicy, *, touch: bool = True) -> Holder | None:
    """Who this session is for, if it has not run out; a session that has is emptied. A
    request the member made (`touch`) keeps it from running out for another idle hour."""
    staff_id, version = _int(session.get("staff_id")), _int(session.get("version"))
    issued, seen = _time(session.get("issued")), _time(session.get("seen"))
    if staff_id is None or version is None or issued is None or seen is None:
        return None
    now = policy.wall_clock()
    if now - issued > policy.lifetime_seconds or now - seen > policy.idle_seconds:
        session.invalidate()
        return None
    if touch and now - seen > _TOUCH_EVERY_SECONDS:
        session["seen"] = now
    return Holder(staff_id, version)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
