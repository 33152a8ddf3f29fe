"""Registering a family and keeping its profile: the rules the chat surface must not decide."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain import referrals
from store.models import (
    Appointment,
    ArticleVote,
    ChatDraft,
    Child,
    ChildStatus,
    ConversationState,
    Delivery,
    Family,
    MutedTopic,
    Referral,
    Role,
    SendTime,
)

MAX_CHILDREN = 8


class NotYourChild(LookupError):
    """A button named a child that is not this family's (an old or forged button)."""


async def find_family(session: AsyncSession, chat_id: int) -> Family | None:
    return await session.scalar(select(Family).where(Family.chat_id == chat_id))


async def record_consent(
    session: AsyncSession, chat_id: int, *, locale: str, source: str | None, now: datetime
) -> Family:
    """The first row about a family; before this nothing but the chat id is held."""
    family = await find_family(session, chat_id)
    if family is None:
        family = Family(
            chat_id=chat_id, locale=locale, source=source, consented_at=now, children=[]
        )
        session.add(family)
        await session.flush()
    return family


def set_role(family: Family, role: Role) -> None:
    family.role = role
    # Fathers and partners get their own track by default; anyone can change it in /settings.
    family.fathers_track = role in (Role.DAD, Role.PARTNER)


def has_room_for_child(family: Family) -> bool:
    return len(family.children) < MAX_CHILDREN


def add_child(family: Family, *, due_date: date | None = None, born: date | None = None) -> Child:
    if (due_date is None) == (born is None):
        raise ValueError("a child has either a due date or a date of birth")
    if not has_room_for_child(family):
        raise ValueError("too many children")
    child = Child(due_date=due_date, birth_date=born, status=ChildStatus.ACTIVE)
    family.children.append(child)
    return child


def own_child(family: Family, child_id: int) -> Child:
    child = next((c for c in family.children if c.id == child_id), None)
    if child is None or child.status is ChildStatus.LOSS:
        raise NotYourChild(child_id)
    return child


def active_children(family: Family) -> list[Child]:
    return [c for c in family.children if c.status is ChildStatus.ACTIVE]


def expected_children(family: Family) -> list[Child]:
    return [c for c in active_children(family) if c.birth_date is None]


def report_birth(family: Family, child_id: int, born: date) -> Child:
    """Turn a due date into a date of birth; the due date is kept, it dates the pregnancy."""
    child = own_child(family, child_id)
    child.birth_date = born
    return child


def report_loss(family: Family, child_id: int, now: datetime) -> Child:
    child = own_child(family, child_id)
    child.status = ChildStatus.LOSS
    child.loss_reported_at = now
    return child


def set_area(family: Family, area: str, *, in_sefton: bool) -> None:
    family.area = area
    family.in_sefton = in_sefton


def set_send_time(family: Family, send_time: SendTime) -> None:
    family.send_time = send_time


def complete_registration(family: Family, now: datetime) -> None:
    if family.registered_at is None:
        family.registered_at = now


def next_missing_answer(family: Family) -> str | None:
    """Which onboarding question a consented family still has to answer, in order."""
    if family.role is None:
        return "role"
    if not family.children:
        return "child"
    if family.area is None:
        return "area"
    if family.send_time is None:
        return "time"
    return None


async def muted_topics(session: AsyncSession, family: Family) -> set[str]:
    """The tip topics the family switched off."""
    return set(
        await session.scalars(select(MutedTopic.topic).where(MutedTopic.family_id == family.id))
    )


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export_family(session: AsyncSession, family: Family) -> dict[str, Any]:
    """Everything stored about a family, for `/mydata`. New tables must add their rows here."""
    deliveries = await session.scalars(
        select(Delivery).where(Delivery.family_id == family.id).order_by(Delivery.id)
    )
    appointments = await session.scalars(
        select(Appointment).where(Appointment.family_id == family.id).order_by(Appointment.id)
    )
    muted = await session.scalars(
        select(MutedTopic.topic).where(MutedTopic.family_id == family.id)
    )
    votes = await session.scalars(select(ArticleVote).where(ArticleVote.family_id == family.id))
    return {
        "chat_id": family.chat_id,
        "language": family.locale,
        "role": family.role.value if family.role else None,
        "area": family.area,
        "in_sefton": family.in_sefton,
        "message_time": family.send_time.value if family.send_time else None,
        "fathers_track": family.fathers_track,
        "health_campaign_messages": not family.campaigns_opt_out,
        "source": family.source,
        "consented_at": _iso(family.consented_at),
        "registered_at": _iso(family.registered_at),
        "paused": family.paused,
        "created_at": _iso(family.created_at),
        "updated_at": _iso(family.updated_at),
        "children": [
            {
                "due_date": _iso(child.due_date),
                "date_of_birth": _iso(child.birth_date),
                "status": child.status.value,
                "loss_reported_at": _iso(child.loss_reported_at),
                "added_at": _iso(child.created_at),
            }
            for child in family.children
        ],
        "messages": [
            {
                "message": d.entry_key,
                "topic": d.topic,
                "day": _iso(d.due_on),
                "status": d.status.value,
                "sent_at": _iso(d.sent_at),
            }
            for d in deliveries
        ],
        "appointments": [
            {"what": a.what, "starts_at": _iso(a.starts_at), "added_at": _iso(a.created_at)}
            for a in appointments
        ],
        "tips_switched_off": sorted(muted),
        "library_votes": [
            {"article": v.article_id, "helpful": v.helpful, "at": _iso(v.voted_at)} for v in votes
        ],
        "last_seen_at": _iso(family.last_seen_at),
        "blocked": family.blocked,
        "requests_for_support": await referrals.export_for_family(session, family.id),
    }


async def erase_family(
    session: AsyncSession, chat_id: int, *, now: datetime | None = None
) -> bool:
    """Delete the family and every row about it; rows keyed by family cascade in the database.

    Requests for support are decided first (domain/referrals.py): while staff hold one, this
    raises `referrals.ErasureRefused` with what the bot tells the family and the team, and
    nothing is erased; otherwise new requests are cancelled and every request keeps only what
    the service counts, with no personal details.
    """
    family = await find_family(session, chat_id)
    if family is not None:
        await referrals.detach_family(session, family.id, now or datetime.now(UTC))
        await session.delete(family)
    # Drafts before states: the order the bot's persistence writes them, so the two never wait
    # for each other (a deadlock on PostgreSQL).
    await session.execute(delete(ChatDraft).where(ChatDraft.chat_id == chat_id))
    await session.execute(delete(ConversationState).where(ConversationState.chat_id == chat_id))
    return family is not None


async def erase_unfinished_sign_ups(session: AsyncSession, *, quiet_since: datetime) -> int:
    """Erase families that agreed to the privacy notice but never finished signing up, and have
    not written since `quiet_since`; returns how many. We keep no details we do not use."""
    last_word = func.coalesce(Family.last_seen_at, Family.consented_at)
    # A request staff hold keeps its family until they close it (never the case before sign-up
    # ends, but the rule is the same for everyone).
    held = exists().where(Referral.family_id == Family.id, Referral.status.in_(referrals.HELD))
    chat_ids = list(
        await session.scalars(
            select(Family.chat_id).where(
                Family.registered_at.is_(None), last_word < quiet_since, ~held
            )
        )
    )
    for chat_id in chat_ids:
        await erase_family(session, chat_id)
    return len(chat_ids)


SEEN_RESOLUTION = timedelta(minutes=1)


async def record_seen(session: AsyncSession, chat_id: int, now: datetime) -> None:
    """The family is active now (reminders wait); writing again unblocks a family that had
    blocked the bot. Written at most once a minute per family."""
    await session.execute(
        update(Family)
        .where(
            Family.chat_id == chat_id,
            or_(
                Family.last_seen_at.is_(None),
                Family.last_seen_at < now - SEEN_RESOLUTION,
                Family.blocked.is_(True),
            ),
        )
        .values(last_seen_at=now, blocked=False)
    )


async def record_blocked(session: AsyncSession, chat_id: int) -> None:
    await session.execute(update(Family).where(Family.chat_id == chat_id).values(blocked=True))
