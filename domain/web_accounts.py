"""Dashboard sign-in for staff: e-mail and password, with lock-out after repeated failures.

A password is never printed or sent: `growwell staff add --email` (or `staff password`)
prints a one-time link to a page where the member chooses one. Only argon2 hashes are kept
(argon2-cffi's defaults, RFC 9106's second recommended profile), and the link token only as
SHA-256 (it is 128 random bits, so a fast hash is enough), valid for 24 hours.

Five wrong passwords in a row lock the account for 15 minutes; the count restarts after a
good sign-in. An unknown e-mail costs the same argon2 work as a known one and gets the same
answer (a locked account too), so the sign-in page does not reveal who has an account.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import StaffMember

TOKEN_LIFETIME = timedelta(hours=24)
MAX_FAILED_LOGINS = 5
LOCK_OUT_FOR = timedelta(minutes=15)
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 200
MAX_EMAIL_CHARS = 254

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so both answers take the same time. Made
    at the first sign-in, not at import: an argon2 hash takes 64 MiB for a moment."""
    return _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request about an account that cannot be met; the message says why, in one line."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def checked_email(email: str) -> str:
    """A plausible e-mail address, normalised; deliverability is the service's business."""
    email = normalise_email(email)
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email or len(email) > MAX_EMAIL_CHARS:
        raise AccountError(f"{email!r} is not an e-mail address")
    return email


def password_problem(password: str) -> str | None:
    """Why a new password is not good enough, in words for the page; None if it is."""
    if len(password) < MIN_PASSWORD_CHARS:
        return (
            f"Use at least {MIN_PASSWORD_CHARS} characters. "
            "A few words in a row are easy to remember."
        )
    if len(password) > MAX_PASSWORD_CHARS:
        return f"Use at most {MAX_PASSWORD_CHARS} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    return None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8", "replace")).hexdigest()


async def set_email(session: AsyncSession, staff_id: int, email: str) -> None:
    """Give a member their sign-in e-mail; another member's address is refused."""
    email = checked_email(email)
    taken = await session.scalar(
        select(StaffMember.id).where(StaffMember.email == email, StaffMember.id != staff_id)
    )
    if taken is not None:
        raise AccountError(f"{email} is already the e-mail of staff member {taken}")
    result = await session.execute(
        update(StaffMember)
        .where(StaffMember.id == staff_id)
        .values(email=email)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise AccountError(f"no staff member with id {staff_id}")


async def new_password_token(session: AsyncSession, staff_id: int, now: datetime) -> str:
    """A one-time token for the set-password page (a newer one replaces it)."""
    token = secrets.token_urlsafe(24)
    result = await session.execute(
        update(StaffMember)
        .where(
            StaffMember.id == staff_id,
            StaffMember.enabled.is_(True),
            StaffMember.email.is_not(None),
        )
        .values(
            password_token_hash=token_hash(token),
            password_token_expires_at=now + TOKEN_LIFETIME,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise AccountError(
            f"no enabled staff member with id {staff_id} and an e-mail (give one with --email)"
        )
    return token


async def member_for_token(session: AsyncSession, token: str, now: datetime) -> StaffMember | None:
    """The enabled member a set-password link is for, while it is valid."""
    member = await session.scalar(
        select(StaffMember).where(StaffMember.password_token_hash == token_hash(token))
    )
    expires = None if member is None else member.password_token_expires_at
    if member is None or not member.enabled or expires is None or expires <= now:
        return None
    return member


async def set_password_with_token(
    session: AsyncSession, token: str, password: str, now: datetime
) -> StaffMember | None:
    """Use a link once: the new password replaces any old one and ends every session."""
    if (problem := password_problem(password)) is not None:
        raise AccountError(problem)
    member = await member_for_token(session, token, now)
    if member is None:
        return None
    new_hash = await hash_password(password)
    digest = token_hash(token)
    # Guarded by the token itself: of two uses at once, one wins.
    result = await session.execute(
        update(StaffMember)
        .where(StaffMember.id == member.id, StaffMember.password_token_hash == digest)
        .values(
            password_hash=new_hash,
            password_token_hash=None,
            password_token_expires_at=None,
            failed_logins=0,
            locked_until=None,
            session_version=StaffMember.session_version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    await session.refresh(member)
    return member


async def set_password(session: AsyncSession, staff_id: int, password: str) -> None:
    """Set a password directly: for the sandbox's demo admin, whose password is printed."""
    if (problem := password_problem(password)) is not None:
        raise AccountError(problem)
    new_hash = await hash_password(password)
    await session.execute(
        update(StaffMember)
        .where(StaffMember.id == staff_id)
        .values(
            password_hash=new_hash,
            failed_logins=0,
            locked_until=None,
            session_version=StaffMember.session_version + 1,
        )
        .execution_options(synchronize_session=False)
    )


async def end_sessions(session: AsyncSession, staff_id: int) -> None:
    """Sign a member out everywhere (their own "Sign out"): a copied cookie stops working."""
    await session.execute(
        update(StaffMember)
        .where(StaffMember.id == staff_id)
        .values(session_version=StaffMember.session_version + 1)
        .execution_options(synchronize_session=False)
    )


class SignInRefused(StrEnum):
    WRONG = "wrong"  # unknown e-mail, no password yet, or a wrong password: one answer
    LOCKED = "locked"  # five tries went wrong (or are being checked): told as WRONG is
    DISABLED = "disabled"


@dataclass(frozen=True)
class SignedIn:
    member: StaffMember


@dataclass(frozen=True)
class Refused:
    reason: SignInRefused
    staff_id: int | None = None  # for the audit log; never shown


async def sign_in(
    sessions: async_sessionmaker[AsyncSession], email: str, password: str, now: datetime
) -> SignedIn | Refused:
    """Check an e-mail and password, counting tries towards a lock-out.

    A try is counted before the password is checked, in a transaction of its own: of many
    tries sent at once only five are checked, and the rest are refused as locked. The slow
    argon2 check runs in a worker thread with no transaction open, so it neither holds up the
    bot's event loop nor keeps the database locked.
    """
    async with sessions.begin() as session:
        member = await session.scalar(
            select(StaffMember).where(StaffMember.email == normalise_email(email))
        )
        counted = False
        if member is not None and member.password_hash is not None:
            counted = await _count_try(session, member.id, now)
    if member is None or member.password_hash is None:
        await verify_password(_dummy_hash(), password)
        return Refused(SignInRefused.WRONG, None if member is None else member.id)
    if not counted:
        await verify_password(_dummy_hash(), password)
        return Refused(SignInRefused.LOCKED, member.id)
    if not await verify_password(member.password_hash, password):
        async with sessions.begin() as session:
            return await _failed(session, member.id, now)
    rehash = _hasher.check_needs_rehash(member.password_hash)
    new_hash = await hash_password(password) if rehash else None
    async with sessions.begin() as session:
        values: dict[str, object] = {"failed_logins": 0}
        if new_hash is not None:
            values["password_hash"] = new_hash
        await session.execute(
            update(StaffMember)
            .where(StaffMember.id == member.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        fresh = await session.get(StaffMember, member.id, populate_existing=True)
        assert fresh is not None
        session.expunge(fresh)
    if not fresh.enabled:
        return Refused(SignInRefused.DISABLED, fresh.id)
    return SignedIn(fresh)


async def _count_try(session: AsyncSession, staff_id: int, now: datetime) -> bool:
    """Count one try if the account may have one: fewer than five tries counted and not
    locked. If not, lock it (a lock that is not already running starts now)."""
    counted = await session.execute(
        update(StaffMember)
        .where(
            StaffMember.id == staff_id,
            StaffMember.failed_logins < MAX_FAILED_LOGINS,
            or_(StaffMember.locked_until.is_(None), StaffMember.locked_until <= now),
        )
        .values(failed_logins=StaffMember.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount:  # type: ignore[attr-defined]
        return True
    await session.execute(
        update(StaffMember)
        .where(
            StaffMember.id == staff_id,
            or_(StaffMember.locked_until.is_(None), StaffMember.locked_until <= now),
        )
        .values(failed_logins=0, locked_until=now + LOCK_OUT_FOR)
        .execution_options(synchronize_session=False)
    )
    return False


async def _failed(session: AsyncSession, staff_id: int, now: datetime) -> Refused:
    """A counted try was wrong: the fifth locks the account."""
    locked = await session.execute(
        update(StaffMember)
        .where(StaffMember.id == staff_id, StaffMember.failed_logins >= MAX_FAILED_LOGINS)
        .values(failed_logins=0, locked_until=now + LOCK_OUT_FOR)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount:  # type: ignore[attr-defined]
        return Refused(SignInRefused.LOCKED, staff_id)
    return Refused(SignInRefused.WRONG, staff_id)


# Two threads for argon2 (about 0.1 s and 64 MiB each): sign-ins queue behind each other
# rather than stall the bot, however many arrive at once.
_ARGON2 = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")


async def verify_password(password_hash: str, password: str) -> bool:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_ARGON2, _verify, password_hash, password)


async def hash_password(password: str) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_ARGON2, _hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def session_member(
    session: AsyncSession, staff_id: int, session_version: int
) -> StaffMember | None:
    """The member a session cookie names, if that session is still good: the account is
    enabled and its password has not changed (nor the account been disabled) since."""
    return await session.scalar(
        select(StaffMember).where(
            StaffMember.id == staff_id,
            StaffMember.enabled.is_(True),
            StaffMember.session_version == session_version,
            StaffMember.password_hash.is_not(None),
        )
    )
