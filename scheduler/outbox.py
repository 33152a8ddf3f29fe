"""Claiming due outbox rows and recording how each send went.

A claim locks the families it picks (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and flips their rows
from pending to sending with a conditional UPDATE, so several dispatchers never send a row twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.life_events import WHERE_YOU_ARE_NOW
from store.models import (
    Appointment,
    Child,
    ConversationState,
    Delivery,
    DeliveryStatus,
    Family,
    SendTime,
)

MAX_ATTEMPTS = 5
STUCK_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Claimed:
    """What the dispatcher needs to render and send one row, read in the claim."""

    delivery_id: int
    entry_key: str
    topic: str
    is_plan_row: bool
    chat_id: int
    family_id: int
    locale: str
    attempts: int
    birth_date: date | None
    due_date: date | None
    appointment_what: str | None
    appointment_at: datetime | None


def _due(now: datetime, today: date, passed_slots: list[SendTime]) -> object:
    """A row is due: plan rows on their day at the family's time, timed rows at their moment.

    A plan row left over from an earlier day also waits for the family's time today.
    """
    plan_row = and_(
        Delivery.send_at.is_(None),
        Delivery.due_on <= today,
        Family.send_time.in_(passed_slots),
        or_(Family.last_sent_on.is_(None), Family.last_sent_on < today),
    )
    timed_row = and_(Delivery.send_at.is_not(None), Delivery.send_at <= now)
    return and_(
        Delivery.status == DeliveryStatus.PENDING,
        Delivery.stale_on >= today,
        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        or_(plan_row, timed_row),
    )


def passed_send_times(send_times: dict[SendTime, time], now_local: time) -> list[SendTime]:
    return [slot for slot, moment in send_times.items() if moment <= now_local]


async def claim_batch(
    session: AsyncSession,
    *,
    now: datetime,
    today: date,
    passed_slots: list[SendTime],
    idle_after: timedelta,
    limit: int,
) -> list[Claimed]:
    """Claim due rows of up to `limit` idle families: all timed rows, and one plan row each."""
    due = _due(now, today, passed_slots)
    in_conversation = exists().where(ConversationState.chat_id == Family.chat_id)
    families = (
        select(Family.id)
        .where(
            Family.paused.is_(False),
            Family.blocked.is_(False),
            Family.registered_at.is_not(None),
            or_(Family.last_seen_at.is_(None), Family.last_seen_at < now - idle_after),
            ~in_conversation,
            exists().where(Delivery.family_id == Family.id, due),  # type: ignore[arg-type]
        )
        .order_by(Family.id)
        .limit(limit)
        .with_for_update(of=Family, skip_locked=True)
    )
    family_ids = list(await session.scalars(families))
    if not family_ids:
        return []
    rows = await session.execute(
        select(Delivery.id, Delivery.family_id, Delivery.send_at, Delivery.entry_key)
        .join(Family, Family.id == Delivery.family_id)
        .where(Delivery.family_id.in_(family_ids), due)  # type: ignore[arg-type]
        .order_by(
            Delivery.family_id,
            Delivery.send_at.is_(None),
            Delivery.priority.desc(),
            Delivery.due_on,
            Delivery.id,
        )
    )
    picked: list[int] = []
    has_plan_row: set[int] = set()
    for delivery_id, family_id, send_at, entry_key in rows:
        # The welcome is the day's message: a plan row due the same day waits for tomorrow.
        if send_at is None or entry_key == WHERE_YOU_ARE_NOW:
            if family_id in has_plan_row:
                continue
            has_plan_row.add(family_id)
        picked.append(delivery_id)
    claimed_ids = list(
        await session.scalars(
            update(Delivery)
            .where(Delivery.id.in_(picked), Delivery.status == DeliveryStatus.PENDING)
            .values(
                status=DeliveryStatus.SENDING,
                claimed_at=now,
                attempts=Delivery.attempts + 1,
            )
            .returning(Delivery.id)
        )
    )
    if not claimed_ids:
        return []
    details = await session.execute(
        select(
            Delivery.id,
            Delivery.entry_key,
            Delivery.topic,
            Delivery.send_at,
            Family.chat_id,
            Family.id,
            Family.locale,
            Delivery.attempts,
            Child.birth_date,
            Child.due_date,
            Appointment.what,
            Appointment.starts_at,
        )
        .join(Family, Family.id == Delivery.family_id)
        .outerjoin(Child, Child.id == Delivery.child_id)
        .outerjoin(Appointment, Appointment.id == Delivery.appointment_id)
        .where(Delivery.id.in_(claimed_ids))
        .order_by(Delivery.id)
    )
    return [
        Claimed(
            delivery_id=row[0],
            entry_key=row[1],
            topic=row[2],
            is_plan_row=row[3] is None,
            chat_id=row[4],
            family_id=row[5],
            locale=row[6],
            attempts=row[7],
            birth_date=row[8],
            due_date=row[9],
            appointment_what=row[10],
            appointment_at=row[11],
        )
        for row in details
    ]


async def recover_stuck(session: AsyncSession, now: datetime) -> int:
    """Rows left 'sending' by a dispatcher that died go back to pending.

    The send may have reached Telegram before the crash, so each recovered row can repeat once:
    at most one claimed batch per dead dispatcher.
    """
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < now - STUCK_AFTER)
        .values(status=DeliveryStatus.PENDING)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def backoff(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min, then an hour: network blips pass, outages are not hammered."""
    return timedelta(seconds=min(30 * 4 ** max(attempts - 1, 0), 3600))


async def mark_sent(
    session: AsyncSession, claimed: list[Claimed], *, now: datetime, today: date
) -> None:
    if not claimed:
        return
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_([c.delivery_id for c in claimed]))
        .values(status=DeliveryStatus.SENT, sent_at=now, last_error=None)
    )
    # The welcome counts as the day's message too: no tip lands on top of it.
    plan_families = [
        c.family_id for c in claimed if c.is_plan_row or c.entry_key == WHERE_YOU_ARE_NOW
    ]
    if plan_families:
        await session.execute(
            update(Family).where(Family.id.in_(plan_families)).values(last_sent_on=today)
        )
    # Twins share their messages: the same one pending for a brother or sister is not repeated.
    twins = sorted({(c.family_id, c.entry_key) for c in claimed if c.is_plan_row})
    if twins:
        await session.execute(
            update(Delivery)
            .where(
                tuple_(Delivery.family_id, Delivery.entry_key).in_(twins),
                Delivery.status == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.SKIPPED, last_error="sent for a twin or sibling")
        )


async def mark_retry(
    session: AsyncSession, row: Claimed, *, at: datetime, error: str, counts: bool = True
) -> None:
    """Back to pending for a later attempt; a 429 does not count as an attempt."""
    values: dict[str, object] = {
        "status": DeliveryStatus.PENDING,
        "next_attempt_at": at,
        "last_error": error[:200],
    }
    if not counts:
        values["attempts"] = Delivery.attempts - 1
    await session.execute(update(Delivery).where(Delivery.id == row.delivery_id).values(values))


async def mark_failed(session: AsyncSession, row: Claimed, error: str) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.id == row.delivery_id)
        .values(status=DeliveryStatus.FAILED, last_error=error[:200])
    )


async def mark_blocked(session: AsyncSession, row: Claimed, error: str) -> None:
    """403: the family blocked the bot. Stop all sends to it until it writes again."""
    await mark_failed(session, row, error)
    await session.execute(update(Family).where(Family.id == row.family_id).values(blocked=True))
