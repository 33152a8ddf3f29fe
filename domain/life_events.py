"""What the reminder outbox must do when a family's life changes: a new child, a birth, a loss.

Each function works inside the caller's transaction, so the profile change and the outbox change
commit together (a loss never leaves a pending tip behind).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import families, outbox
from domain.outbox import WHERE_YOU_ARE_NOW
from domain.planning import plan_child, plan_family_questions, replan_child
from resources.message_plan import MessagePlan, Priority, Track
from resources.topics import Topic
from store.models import Child, Delivery, DeliveryStatus, Family, MutedTopic


def _welcome_row(family: Family, child: Child, now: datetime, today: date) -> Delivery:
    """One 'where you are now' message per child, sent as soon as the family is idle."""
    return Delivery(
        family_id=family.id,
        child_id=child.id,
        entry_key=WHERE_YOU_ARE_NOW,
        topic=Topic.REVIEWS.value,
        priority=20,
        due_on=today,
        stale_on=today + timedelta(days=7),
        send_at=now,
        status=DeliveryStatus.PENDING,
        attempts=0,
    )


async def _start_child(
    session: AsyncSession,
    plan: MessagePlan,
    family: Family,
    child: Child,
    now: datetime,
    today: date,
) -> None:
    await session.flush()
    await plan_child(session, plan, family, child, today)
    exists = await session.scalar(
        select(Delivery.id).where(
            Delivery.child_id == child.id, Delivery.entry_key == WHERE_YOU_ARE_NOW
        )
    )
    if exists is None and not _has_twin_before(family, child):
        session.add(_welcome_row(family, child, now, today))


async def registration_completed(
    session: AsyncSession, plan: MessagePlan, family: Family, now: datetime, today: date
) -> None:
    for child in families.active_children(family):
        await _start_child(session, plan, family, child, now, today)
    await plan_family_questions(session, plan, family, today)


def _has_twin_before(family: Family, child: Child) -> bool:
    """Twins share one welcome: it would say the same thing twice."""
    for other in family.children:
        if other is child:
            return False
        same_day = (other.birth_date, other.due_date) == (child.birth_date, child.due_date)
        if same_day and other.status is child.status:
            return True
    return False


async def child_added(
    session: AsyncSession,
    plan: MessagePlan,
    family: Family,
    child: Child,
    now: datetime,
    today: date,
) -> None:
    """A child added in sign-up waits for registration; one added later starts at once."""
    child.plan_from = today
    if family.registered_at is not None:
        await _start_child(session, plan, family, child, now, today)


async def birth_reported(
    session: AsyncSession,
    plan: MessagePlan,
    family: Family,
    child_id: int,
    born: date,
    today: date,
) -> None:
    """Switch the child to the postnatal plan: pending pregnancy messages go, new ones come."""
    child = families.report_birth(family, child_id, born)
    await session.flush()
    await replan_child(session, plan, family, child, today)


async def date_changed(
    session: AsyncSession,
    plan: MessagePlan,
    family: Family,
    child_id: int,
    kind: str,
    day: date,
    today: date,
) -> None:
    """A corrected due date or birthday: pending messages for the old date are replanned."""
    child = families.own_child(family, child_id)
    if kind == "born":
        child.birth_date = day
    else:
        child.due_date = day
    await session.flush()
    await replan_child(session, plan, family, child, today)


async def loss_reported(
    session: AsyncSession, family: Family, child_id: int, now: datetime
) -> int:
    """Stop everything about the child at once, a send under way included; returns how many
    messages were cancelled."""
    child = families.report_loss(family, child_id, now)
    return await outbox.cancel_about_child(session, child, "loss")


async def set_fathers_track(
    session: AsyncSession, plan: MessagePlan, family: Family, on: bool, today: date
) -> None:
    family.fathers_track = on
    if on:
        for child in families.active_children(family):
            await plan_child(session, plan, family, child, today)
        return
    fathers_keys = [e.key for e in plan.entries if e.track is Track.FATHERS]
    await outbox.cancel_entries(session, family, fathers_keys, "fathers track off")


async def mute_topic(session: AsyncSession, family: Family, topic: Topic) -> None:
    """No more tips on this topic; reviews and immunisations are never muted."""
    if await session.get(MutedTopic, (family.id, topic.value)) is None:
        session.add(MutedTopic(family_id=family.id, topic=topic.value))
    await outbox.skip_muted(session, family, topic.value)


async def unmute_topic(
    session: AsyncSession, plan: MessagePlan, family: Family, topic: Topic, today: date
) -> None:
    await session.execute(
        delete(MutedTopic).where(
            MutedTopic.family_id == family.id, MutedTopic.topic == topic.value
        )
    )
    for child in families.active_children(family):
        await plan_child(session, plan, family, child, today)


def mutable_topics(plan: MessagePlan) -> list[Topic]:
    """Topics that have tips (time-critical topics cannot be switched off)."""
    seen: list[Topic] = []
    for entry in plan.entries:
        if entry.priority is Priority.TIP and entry.topic not in seen:
            seen.append(entry.topic)
    return seen
