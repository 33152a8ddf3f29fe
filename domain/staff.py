"""Staff accounts: created from the command line, linked to Telegram with a one-time code.

`growwell staff add` creates a member and prints a code once. The code is a 128-bit random
value; only its SHA-256 is stored (a code that random needs no slow hash), and it expires after
24 hours. The member sends `/staff <code>` to the bot in a private chat: `link_telegram` takes
the code (it works once) and records the member's Telegram user id. Members are never deleted,
only disabled, so the action log of every request always names who acted.

`staff_can_act` is the one permission rule for the staff queue, in Telegram and at the
dashboard: an enabled member of the request's team, or an admin.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Referral, StaffMember, StaffRole

CODE_LIFETIME = timedelta(hours=24)
MAX_NAME_CHARS = 100


class StaffError(ValueError):
    """A staff command that cannot be done; the message says why, in one line."""


@dataclass(frozen=True)
class NewStaff:
    member: StaffMember
    code: str  # shown once; only its hash is kept


def new_link_code() -> str:
    """128 random bits as 26 lower-case letters and digits: easy to copy, impossible to guess."""
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode("ascii", "replace")).hexdigest()


async def create_staff(
    session: AsyncSession,
    *,
    name: str,
    team_id: str | None,
    role: StaffRole,
    teams: Collection[str],
    now: datetime,
) -> NewStaff:
    """A new member with a one-time link code. Staff must belong to a team in `teams`; an
    admin may name a team or none."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_CHARS:
        raise StaffError(f"the name must be 1 to {MAX_NAME_CHARS} characters")
    if team_id is None and role is StaffRole.STAFF:
        raise StaffError("staff need a team (--team); only an admin may have none")
    if team_id is not None and team_id not in teams:
        raise StaffError(f"unknown team {team_id!r} (teams: {', '.join(sorted(teams))})")
    code = new_link_code()
    member = StaffMember(
        name=name,
        team_id=team_id,
        role=role,
        enabled=True,
        link_code_hash=code_hash(code),
        link_code_expires_at=now + CODE_LIFETIME,
        created_at=now,
    )
    session.add(member)
    await session.flush()
    return NewStaff(member, code)


async def renew_link_code(session: AsyncSession, staff_id: int, now: datetime) -> str:
    """A fresh one-time code for a member (the first expired, or they changed phone); linking
    with it moves the member to the Telegram account that sends it."""
    code = new_link_code()
    result = await session.execute(
        update(StaffMember)
        .where(StaffMember.id == staff_id, StaffMember.enabled.is_(True))
        .values(link_code_hash=code_hash(code), link_code_expires_at=now + CODE_LIFETIME)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise StaffError(f"no enabled staff member with id {staff_id}")
    return code


class LinkRefused(StrEnum):
    """Why `/staff <code>` did not link: the bot says so in plain words."""

    UNKNOWN_CODE = "unknown_code"  # wrong, already used, or replaced by a newer code
    EXPIRED = "expired"
    DISABLED = "disabled"
    ACCOUNT_TAKEN = "account_taken"  # this Telegram account is another member's


async def link_telegram(
    session: AsyncSession, code: str, telegram_user_id: int, now: datetime
) -> StaffMember | LinkRefused:
    """Link the member whose code this is to `telegram_user_id`; the code works once."""
    digest = code_hash(code)
    member = await session.scalar(select(StaffMember).where(StaffMember.link_code_hash == digest))
    if member is None:
        return LinkRefused.UNKNOWN_CODE
    if not member.enabled:
        return LinkRefused.DISABLED
    expires = member.link_code_expires_at
    if expires is None or expires <= now:
        return LinkRefused.EXPIRED
    other = await session.scalar(
        select(StaffMember.id).where(
            StaffMember.telegram_user_id == telegram_user_id, StaffMember.id != member.id
        )
    )
    if other is not None:
        return LinkRefused.ACCOUNT_TAKEN
    # Guarded by the code itself: of two uses at once, one links and the other finds no code.
    result = await session.execute(
        update(StaffMember)
        .where(StaffMember.id == member.id, StaffMember.link_code_hash == digest)
        .values(
            telegram_user_id=telegram_user_id,
            linked_at=now,
            link_code_hash=None,
            link_code_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return LinkRefused.UNKNOWN_CODE
    await session.refresh(member)
    return member


async def list_staff(session: AsyncSession) -> list[StaffMember]:
    return list(await session.scalars(select(StaffMember).order_by(StaffMember.id)))


async def disable_staff(session: AsyncSession, staff_id: int) -> bool:
    """Stop a member acting at once (any unused code dies too, and every dashboard session
    ends at its next request); False if there is no such member. The row stays, so the
    action log keeps their name."""
    result = await session.execute(
        update(StaffMember)
        .where(StaffMember.id == staff_id)
        .values(
            enabled=False,
            link_code_hash=None,
            link_code_expires_at=None,
            password_token_hash=None,
            password_token_expires_at=None,
            session_version=StaffMember.session_version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def staff_by_telegram(session: AsyncSession, telegram_user_id: int) -> StaffMember | None:
    """The enabled member linked to this Telegram account: who gets the staff menu."""
    return await session.scalar(
        select(StaffMember).where(
            StaffMember.telegram_user_id == telegram_user_id, StaffMember.enabled.is_(True)
        )
    )


async def colleagues(session: AsyncSession, team_id: str) -> list[StaffMember]:
    """Who may work a team's requests, by name: its enabled members, and the admins (the
    people a request can be handed to)."""
    return list(
        await session.scalars(
            select(StaffMember)
            .where(
                StaffMember.enabled.is_(True),
                or_(StaffMember.team_id == team_id, StaffMember.role == StaffRole.ADMIN),
            )
            .order_by(StaffMember.name, StaffMember.id)
        )
    )


class Permission(StrEnum):
    ALLOWED = "allowed"
    NOT_STAFF = "not_staff"  # nobody linked to this Telegram account, or not signed in
    DISABLED = "disabled"
    OTHER_TEAM = "other_team"


def staff_can_act(staff: StaffMember | None, referral: Referral) -> Permission:
    """Whether this member may act on this request at all: enabled, and of its team (an admin
    is of every team). Which action fits the request's state is referrals'. How the member
    proved who they are (a linked Telegram account, a dashboard sign-in) is the caller's."""
    if staff is None:
        return Permission.NOT_STAFF
    if not staff.enabled:
        return Permission.DISABLED
    if staff.role is StaffRole.ADMIN or staff.team_id == referral.team_id:
        return Permission.ALLOWED
    return Permission.OTHER_TEAM
