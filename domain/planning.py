"""Planning one child or one family straight away, when the family's life changes.

The periodic planner (scheduler/planner.py) plans every child day by day with set-based SQL; it
uses the same priorities and horizon from here, and the same guard against a yearly message a
child already had this season.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import outbox
from resources.message_plan import SEASON_MARK, MessagePlan, PlanEntry, Priority
from store.dialects import insert_or_ignore
from store.models import Child, ChildStatus, Delivery, DeliveryStatus, Family, MutedTopic

HORIZON_DAYS = 2  # rows are planned this many days ahead, so a short outage loses nothing
PRIORITY = {Priority.CRITICAL: 10, Priority.TIP: 0}
# A campaign's question to families can wait for a day with no other message: it runs for
# months, while the tips and reminders it would push back have windows of days or weeks.
QUESTION_PRIORITY = -1


def insert_deliveries(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect."""
    return insert_or_ignore(Delivery, session.get_bind().dialect.name)


def had_before_it_was_yearly(entry: PlanEntry, child_id: Any) -> Any:
    """For a yearly entry's season ('key:2026'): the child has had, or is about to get, the
    entry as the one-off it was before it became yearly (outbox key 'key') this season, so the
    season's message would say it again. None for any other entry.

    A row sent counts from the season's first day (UTC midnight: quiet hours cover the hour
    London may be ahead); one still pending or sending is this season's by now.
    """
    plan_key, mark, _year = entry.key.partition(SEASON_MARK)
    if not mark or entry.runs_from is None:
        return None
    season_began = datetime.combine(entry.runs_from, time(), tzinfo=UTC)
    return exists().where(
        Delivery.child_id == child_id,
        Delivery.entry_key == plan_key,
        or_(
            Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
            and_(Delivery.status == DeliveryStatus.SENT, Delivery.sent_at >= season_began),
        ),
    )


async def plan_child(
    session: AsyncSession, plan: MessagePlan, family: Family, child: Child, today: date
) -> int:
    """Plan one child straight away (new, born, or date changed) up to what the planner covered.

    It covers the whole horizon: the periodic planner may be half-way through a day, and the
    outbox's unique key makes any overlap harmless.
    """
    through = today + timedelta(days=HORIZON_DAYS)
    tomorrow = today + timedelta(days=1)
    if child.status is not ChildStatus.ACTIVE or child.plan_from is None:
        return 0
    anchor = child.birth_date or child.due_date
    assert anchor is not None
    muted = set(
        await session.scalars(select(MutedTopic.topic).where(MutedTopic.family_id == family.id))
    )
    values = []
    entries = plan.entries_for(
        born_on=child.birth_date, fathers=family.fathers_track, seasons=(today, through)
    )
    for entry in entries:
        if entry.priority is Priority.TIP and entry.topic.value in muted:
            continue
        late = entry.due_day(anchor) < child.plan_from
        if late and not (entry.is_campaign or entry.time_critical):
            continue  # due before the family joined: covered by the welcome, never a backlog
        # What a late joiner still gets waits for the day after the welcome, never before it.
        day = entry.send_day(anchor, not_before=tomorrow if late else today)
        if day is None or day > through:
            continue
        had = had_before_it_was_yearly(entry, child.id)
        if had is not None and await session.scalar(select(had)):
            continue
        values.append(
            {
                "family_id": family.id,
                "child_id": child.id,
                "entry_key": entry.key,
                "topic": entry.topic.value,
                "priority": PRIORITY[entry.priority],
                "due_on": day,
                "stale_on": entry.last_day(anchor),
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
            }
        )
    if not values:
        return 0
    result = await session.execute(
        insert_deliveries(session).values(values).on_conflict_do_nothing()
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def plan_family_questions(
    session: AsyncSession, plan: MessagePlan, family: Family, today: date
) -> int:
    """Ask a family that has just registered the question of each campaign running today
    (see scheduler/planner.py `_question_rows`), unless it has already added a child of the
    campaign's cohort. It waits for the day after the welcome, like everything a late joiner
    gets."""
    values = []
    for entry in plan.campaigns(today, today):
        if not entry.ask_families:
            continue
        if any(c.birth_date and entry.covers_birth(c.birth_date) for c in family.children):
            continue
        values.append(
            {
                "family_id": family.id,
                "child_id": None,
                "entry_key": entry.question_key,
                "topic": entry.topic.value,
                "priority": QUESTION_PRIORITY,
                "due_on": today + timedelta(days=1),
                "stale_on": entry.runs_until,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
            }
        )
    if not values:
        return 0
    result = await session.execute(
        insert_deliveries(session).values(values).on_conflict_do_nothing()
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def replan_child(
    session: AsyncSession, plan: MessagePlan, family: Family, child: Child, today: date
) -> int:
    """A birth or a changed date: drop what was pending for the old dates and plan again."""
    await outbox.drop_planned(session, child)
    return await plan_child(session, plan, family, child, today)
