"""The outbox's rules: every status change of a delivery, and the claim that starts a send.

A row goes pending -> sending (claimed) -> sent, back to pending (to try again later) or
failed; pending or sending -> cancelled (a loss) or skipped (stale, muted, sent for a twin).
Each change is one conditional UPDATE guarded by the status it expects, and a change that ends
a send is also guarded by the claim that started it: once a loss has cancelled a row, or a
quiet dispatcher's claim was taken back, that dispatcher finds nothing to mark.

A claim locks the families it picks (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite takes its
write lock at BEGIN) and, in the same transaction, reserves each family's day for its planned
message, so any number of dispatchers send a family at most one planned message a day.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import and_, delete, exists, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain import campaigns
from store.models import (
    Appointment,
    Campaign,
    Child,
    ChildStatus,
    ConversationState,
    Delivery,
    DeliveryStatus,
    Family,
    Referral,
    ReferralEvent,
    ReferralMessage,
    SendTime,
)

MAX_ATTEMPTS = 5
# A claim is over in seconds (a batch at Telegram's 30 a second); one this old was abandoned by
# a dispatcher that died, and its rows go back to pending.
ABANDONED_AFTER = timedelta(minutes=2)
# The message a new child gets instead of a backlog; it is the family's message of the day.
WHERE_YOU_ARE_NOW = "where_you_are_now"
# Rows that still may go out: a loss stops them all, including a send under way.
_OPEN = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class Claimed:
    """What the dispatcher needs to render and send one row, read in the claim, and the claim
    itself: only its holder may end the send."""

    delivery_id: int
    claim: str
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
    # The family's day this row reserved (None if it holds none), and what it was before.
    reserved_on: date | None
    day_before: date | None
    # A notice about the family's request for support (claim_notices), or None.
    notice: ReferralNotice | None = None
    # A targeted campaign's words in the family's language (domain/campaigns.py), or None.
    campaign_text: str | None = None


@dataclass(frozen=True)
class ReferralNotice:
    """What a family is told about its request: the event, and what the words need."""

    event_kind: str
    reference: str
    spoke_id: str
    outcome: str | None
    decline_reason: str | None
    text: str | None  # a staff member's message


def passed_send_times(send_times: dict[SendTime, time], now_local: time) -> list[SendTime]:
    return [slot for slot, moment in send_times.items() if moment <= now_local]


def backoff(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min, then an hour: network blips pass, outages are not hammered."""
    return timedelta(seconds=min(30 * 4 ** max(attempts - 1, 0), 3600))


def next_try(row: Claimed, now: datetime) -> datetime | None:
    """When a send that went wrong is tried again; None once it has had its attempts."""
    if row.attempts >= MAX_ATTEMPTS:
        return None
    return now + backoff(row.attempts)


def _takes_the_day(send_at: datetime | None, entry_key: str) -> bool:
    """A plan row, or the welcome: the family's one planned message of the day."""
    return send_at is None or entry_key == WHERE_YOU_ARE_NOW


def _due(now: datetime, today: date, passed_slots: list[SendTime]) -> Any:
    """A row is due: plan rows on their day at the family's time, timed rows at their moment.

    A plan row left over from an earlier day also waits for the family's time today. A row
    about a child who is no longer active (a loss) is never due, nor a campaign's row for a
    family that opted out or of a campaign that was cancelled.
    """
    plan_row = and_(
        Delivery.send_at.is_(None),
        Delivery.due_on <= today,
        Family.send_time.in_(passed_slots),
        or_(Family.last_sent_on.is_(None), Family.last_sent_on < today),
    )
    timed_row = and_(Delivery.send_at.is_not(None), Delivery.send_at <= now)
    active_child = exists().where(
        Child.id == Delivery.child_id, Child.status == ChildStatus.ACTIVE
    )
    return and_(
        Delivery.status == DeliveryStatus.PENDING,
        Delivery.referral_event_id.is_(None),  # notices go their own way: claim_notices
        Delivery.stale_on >= today,
        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        or_(Delivery.child_id.is_(None), active_child),
        campaigns.wanted_by_family(),
        or_(plan_row, timed_row),
    )


async def claim_batch(
    session: AsyncSession,
    *,
    now: datetime,
    today: date,
    passed_slots: list[SendTime],
    idle_after: timedelta,
    conversation_timeout: timedelta,
    limit: int,
) -> list[Claimed]:
    """Claim due rows of up to `limit` idle families: all timed rows, and one plan row each.

    A family mid-conversation waits, but only for as long as a conversation lasts: a state
    older than `conversation_timeout` was abandoned.
    """
    due = _due(now, today, passed_slots)
    in_conversation = exists().where(
        ConversationState.chat_id == Family.chat_id,
        ConversationState.updated_at >= now - conversation_timeout,
    )
    families = (
        select(Family.id, Family.last_sent_on)
        .where(
            Family.paused.is_(False),
            Family.blocked.is_(False),
            Family.registered_at.is_not(None),
            or_(Family.last_seen_at.is_(None), Family.last_seen_at < now - idle_after),
            ~in_conversation,
            exists().where(Delivery.family_id == Family.id, due),
        )
        .order_by(Family.id)
        .limit(limit)
        .with_for_update(of=Family, skip_locked=True)
    )
    day_before: dict[int, date | None] = {
        family_id: last_sent_on for family_id, last_sent_on in await session.execute(families)
    }
    if not day_before:
        return []
    rows = await session.execute(
        select(Delivery.id, Delivery.family_id, Delivery.send_at, Delivery.entry_key)
        .join(Family, Family.id == Delivery.family_id)
        .where(Delivery.family_id.in_(day_before), due)
        # Most urgent first: timed rows, then critical before tips, the oldest, and of rows
        # as old (a late joiner's catch-up) the one whose window closes first.
        .order_by(
            Delivery.family_id,
            Delivery.send_at.is_(None),
            Delivery.priority.desc(),
            Delivery.due_on,
            Delivery.stale_on,
            Delivery.id,
        )
    )
    timed: list[int] = []
    day_row: dict[int, tuple[int, bool]] = {}  # family: (its row of the day, a plan row?)
    for delivery_id, family_id, send_at, entry_key in rows:
        # The welcome is the day's message: a plan row due the same day waits for tomorrow.
        if not _takes_the_day(send_at, entry_key):
            timed.append(delivery_id)
        elif family_id not in day_row:
            day_row[family_id] = (delivery_id, send_at is None)
    reserved = await _reserve_days(session, list(day_row), today)
    # A plan row goes only with its family's day; the welcome is timed and goes either way.
    picked = timed + [
        delivery_id
        for family_id, (delivery_id, plan_row) in day_row.items()
        if family_id in reserved or not plan_row
    ]
    token, claimed_ids = await _claim(session, picked, now)
    holder = {
        family_id: delivery_id
        for family_id, (delivery_id, _plan_row) in day_row.items()
        if family_id in reserved and delivery_id in claimed_ids
    }
    for family_id in reserved - set(holder):
        await _release_day(session, family_id, today, day_before[family_id])
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
            Campaign.texts,
        )
        .join(Family, Family.id == Delivery.family_id)
        .outerjoin(Campaign, Campaign.id == Delivery.campaign_id)
        .outerjoin(Child, Child.id == Delivery.child_id)
        .outerjoin(Appointment, Appointment.id == Delivery.appointment_id)
        .where(Delivery.id.in_(claimed_ids))
        .order_by(Delivery.id)
    )
    claimed = []
    for row in details:
        family_id = row[5]
        holds_day = holder.get(family_id) == row[0]
        claimed.append(
            Claimed(
                delivery_id=row[0],
                claim=token,
                entry_key=row[1],
                topic=row[2],
                is_plan_row=row[3] is None,
                chat_id=row[4],
                family_id=family_id,
                locale=row[6],
                attempts=row[7],
                birth_date=row[8],
                due_date=row[9],
                appointment_what=row[10],
                appointment_at=row[11],
                reserved_on=today if holds_day else None,
                day_before=day_before[family_id] if holds_day else None,
                campaign_text=None if row[12] is None else campaigns.text_for(row[12], row[6]),
            )
        )
    return claimed


async def _claim(
    session: AsyncSession, picked: Collection[int], now: datetime
) -> tuple[str, set[int]]:
    """Take the picked rows that are still pending under a new claim, counting an attempt;
    only the claim's holder may end their sends."""
    token = uuid4().hex
    claimed = await session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(picked), Delivery.status == DeliveryStatus.PENDING)
        .values(
            status=DeliveryStatus.SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=Delivery.attempts + 1,
        )
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return token, set(claimed)


async def claim_notices(session: AsyncSession, *, now: datetime, limit: int) -> list[Claimed]:
    """Claim notices about requests for support (domain/referrals.py) that are due now.

    Unlike planned messages they answer something the family asked for, so they do not wait
    for the family to be idle, out of a conversation or unpaused (only quiet hours, which the
    dispatcher keeps, and a blocked chat hold them). A family gets its notices in order: one
    waits while an older one to the same family is still unsent.
    """
    older = aliased(Delivery)
    earlier_unsent = exists().where(
        older.family_id == Delivery.family_id,
        older.referral_event_id.is_not(None),
        older.status.in_(_OPEN),
        older.id < Delivery.id,
    )
    due = (
        select(Delivery.id)
        .join(Family, Family.id == Delivery.family_id)
        .where(
            Delivery.referral_event_id.is_not(None),
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.send_at <= now,
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
            Family.blocked.is_(False),
            ~earlier_unsent,
        )
        .order_by(Delivery.id)
        .limit(limit)
        .with_for_update(of=Delivery, skip_locked=True)
    )
    picked = list(await session.scalars(due))
    if not picked:
        return []
    token, claimed_ids = await _claim(session, picked, now)
    if not claimed_ids:
        return []
    rows = (
        await session.execute(
            select(Delivery, Family.chat_id, Family.locale, ReferralEvent, Referral)
            .join(Family, Family.id == Delivery.family_id)
            .join(ReferralEvent, ReferralEvent.id == Delivery.referral_event_id)
            .join(Referral, Referral.id == ReferralEvent.referral_id)
            .where(Delivery.id.in_(claimed_ids))
            .order_by(Delivery.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    message_ids = [
        event.detail["message_id"] for _, _, _, event, _ in rows if "message_id" in event.detail
    ]
    texts = dict(
        (
            await session.execute(
                select(ReferralMessage.id, ReferralMessage.text).where(
                    ReferralMessage.id.in_(message_ids)
                )
            )
        ).all()
    )
    return [
        Claimed(
            delivery_id=delivery.id,
            claim=token,
            entry_key=delivery.entry_key,
            topic=delivery.topic,
            is_plan_row=False,
            chat_id=chat_id,
            family_id=delivery.family_id,
            locale=locale,
            attempts=delivery.attempts,
            birth_date=None,
            due_date=None,
            appointment_what=None,
            appointment_at=None,
            reserved_on=None,
            day_before=None,
            notice=ReferralNotice(
                event_kind=event.kind,
                reference=referral.reference,
                spoke_id=referral.spoke_id,
                outcome=referral.outcome,
                decline_reason=referral.decline_reason,
                text=texts.get(event.detail.get("message_id", 0)),
            ),
        )
        for delivery, chat_id, locale, event, referral in rows
    ]


async def _reserve_days(session: AsyncSession, family_ids: list[int], today: date) -> set[int]:
    """Take today for these families' planned message, unless someone already has: the
    condition is checked on the latest row, so two claims can never both take it."""
    if not family_ids:
        return set()
    taken = await session.scalars(
        update(Family)
        .where(
            Family.id.in_(family_ids),
            or_(Family.last_sent_on.is_(None), Family.last_sent_on < today),
        )
        .values(last_sent_on=today)
        .returning(Family.id)
        .execution_options(synchronize_session=False)
    )
    return set(taken)


async def _release_day(
    session: AsyncSession, family_id: int, day: date, day_before: date | None
) -> None:
    """Give a family's day back: its planned message did not go, another may go today."""
    await session.execute(
        update(Family)
        .where(Family.id == family_id, Family.last_sent_on == day)
        .values(last_sent_on=day_before)
        .execution_options(synchronize_session=False)
    )


def _held(row: Claimed) -> Any:
    """This row, while the claim that started its send still holds it."""
    return and_(
        Delivery.id == row.delivery_id,
        Delivery.status == DeliveryStatus.SENDING,
        Delivery.claim_token == row.claim,
    )


async def _end_send(session: AsyncSession, row: Claimed, values: dict[str, Any]) -> bool:
    result = await session.execute(
        update(Delivery)
        .where(_held(row))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_sent(session: AsyncSession, rows: Collection[Claimed], now: datetime) -> int:
    """Telegram took these messages; returns how many were still this claim's to mark."""
    marked: set[int] = set()
    for claim in {row.claim for row in rows}:
        ids = [row.delivery_id for row in rows if row.claim == claim]
        marked |= set(
            await session.scalars(
                update(Delivery)
                .where(
                    Delivery.id.in_(ids),
                    Delivery.status == DeliveryStatus.SENDING,
                    Delivery.claim_token == claim,
                )
                .values(status=DeliveryStatus.SENT, sent_at=now, last_error=None)
                .returning(Delivery.id)
                .execution_options(synchronize_session=False)
            )
        )
    # Twins share their messages: the same one pending for a brother or sister is not repeated.
    twins = sorted(
        {(r.family_id, r.entry_key) for r in rows if r.is_plan_row and r.delivery_id in marked}
    )
    if twins:
        await session.execute(
            update(Delivery)
            .where(
                tuple_(Delivery.family_id, Delivery.entry_key).in_(twins),
                Delivery.status == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.SKIPPED, last_error="sent for a twin or sibling")
            .execution_options(synchronize_session=False)
        )
    return len(marked)


async def mark_retry(
    session: AsyncSession, row: Claimed, *, at: datetime, error: str, counts: bool = True
) -> bool:
    """Back to pending for a later attempt; a 429 does not count as an attempt. The family's
    day goes back too: nothing reached it."""
    values: dict[str, Any] = {
        "status": DeliveryStatus.PENDING,
        "next_attempt_at": at,
        "last_error": error[:200],
    }
    if not counts:
        values["attempts"] = Delivery.attempts - 1
    return await _end_unsent(session, row, values)


async def mark_failed(session: AsyncSession, row: Claimed, error: str) -> bool:
    """No more attempts; the family's day goes back, so another message may go today."""
    values = {"status": DeliveryStatus.FAILED, "last_error": error[:200]}
    return await _end_unsent(session, row, values)


async def mark_blocked(session: AsyncSession, row: Claimed, error: str) -> None:
    """403: the family blocked the bot. Stop all sends to it until it writes again."""
    await mark_failed(session, row, error)
    await session.execute(
        update(Family)
        .where(Family.id == row.family_id)
        .values(blocked=True)
        .execution_options(synchronize_session=False)
    )


async def _end_unsent(session: AsyncSession, row: Claimed, values: dict[str, Any]) -> bool:
    ended = await _end_send(session, row, values)
    if ended and row.reserved_on is not None:
        await _release_day(session, row.family_id, row.reserved_on, row.day_before)
    return ended


async def taken_back(session: AsyncSession, claim: str, delivery_ids: Iterable[int]) -> set[int]:
    """The rows of a claim that are no longer its to send: cancelled by a loss, or reclaimed
    after the claim was thought abandoned."""
    ids = list(delivery_ids)
    if not ids:
        return set()
    lost = await session.scalars(
        select(Delivery.id).where(
            Delivery.id.in_(ids),
            or_(Delivery.status != DeliveryStatus.SENDING, Delivery.claim_token != claim),
        )
    )
    return set(lost)


async def recover_abandoned(session: AsyncSession, now: datetime) -> int:
    """Rows left 'sending' by a dispatcher that died go back to pending, or fail once they
    have had their attempts (a row that kills its dispatcher is not tried for ever).

    The send may have reached Telegram before the crash, so a recovered row can repeat once:
    only the sends in flight at that moment. The family's day stays taken, as the planned
    message may have reached it: a recovered plan row goes tomorrow.
    """
    abandoned = and_(
        Delivery.status == DeliveryStatus.SENDING,
        Delivery.claimed_at < now - ABANDONED_AFTER,
    )
    gave_up = await session.execute(
        update(Delivery)
        .where(abandoned, Delivery.attempts >= MAX_ATTEMPTS)
        .values(status=DeliveryStatus.FAILED, last_error="gave up: abandoned mid-send")
        .execution_options(synchronize_session=False)
    )
    back = await session.execute(
        update(Delivery)
        .where(abandoned)
        .values(status=DeliveryStatus.PENDING, claim_token=None, last_error="abandoned mid-send")
        .execution_options(synchronize_session=False)
    )
    return (gave_up.rowcount or 0) + (back.rowcount or 0)  # type: ignore[attr-defined]


async def cancel_about_child(session: AsyncSession, child: Child, reason: str) -> int:
    """Stop every message about a child (a loss), a send under way included, and any question
    still waiting for the family (nothing but support should follow a loss), in the caller's
    transaction."""
    family_question = and_(
        Delivery.family_id == child.family_id,
        Delivery.child_id.is_(None),
        Delivery.appointment_id.is_(None),
        Delivery.referral_event_id.is_(None),  # a reply about a request for support still goes
    )
    result = await session.execute(
        update(Delivery)
        .where(
            or_(Delivery.child_id == child.id, family_question),
            Delivery.status.in_(_OPEN),
        )
        .values(status=DeliveryStatus.CANCELLED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def cancel_entries(
    session: AsyncSession, family: Family, entry_keys: Collection[str], reason: str
) -> None:
    """Stop a family's pending messages of these plan entries (e.g. the fathers' track)."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.family_id == family.id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.entry_key.in_(entry_keys),
        )
        .values(status=DeliveryStatus.CANCELLED, last_error=reason)
        .execution_options(synchronize_session=False)
    )


async def skip_muted(session: AsyncSession, family: Family, topic: str) -> None:
    """A topic switched off: its pending tips are skipped (critical messages are not tips)."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.family_id == family.id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.topic == topic,
            Delivery.priority == 0,
        )
        .values(status=DeliveryStatus.SKIPPED, last_error="muted")
        .execution_options(synchronize_session=False)
    )


async def skip_stale(session: AsyncSession, today: date) -> int:
    """Tips that could not go out inside their window are skipped, never dumped late."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.stale_on < today)
        .values(status=DeliveryStatus.SKIPPED, last_error="stale")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def drop_planned(session: AsyncSession, child: Child) -> None:
    """A birth or a changed date: the plan rows still pending for the old dates go (a send
    under way finishes; timed rows such as the welcome stay)."""
    await session.execute(
        delete(Delivery).where(
            Delivery.child_id == child.id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.send_at.is_(None),
        )
    )
