"""The planner: turns the message plan and the children table into outbox rows, day by day.

Each planning day is a handful of INSERT ... SELECT statements (one per plan entry) keyed on an
indexed anchor date, so the cost follows the number of messages due, not the number of
families. The outbox is unique per child and entry: planning twice never sends twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, and_, bindparam, exists, literal, select, true, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import ColumnElement, Select

from resources.message_plan import Anchor, MessagePlan, PlanEntry, Priority, Track
from scheduler.sql_dates import add_days
from store.models import (
    Child,
    ChildStatus,
    Delivery,
    DeliveryStatus,
    Family,
    MutedTopic,
    SchedulerState,
)

HORIZON_DAYS = 2  # rows are planned this many days ahead, so a short outage loses nothing
MAX_CATCH_UP_DAYS = 60  # after a longer outage, older days are not planned at all
PLANNED_THROUGH = "planned_through"
# A campaign's cohort is planned once, on the first planned day it runs; this marks it done.
CAMPAIGN = "campaign:"
PRIORITY = {Priority.CRITICAL: 10, Priority.TIP: 0}


@dataclass(frozen=True)
class PlanReport:
    days: int
    inserted: int
    skipped_stale: int


def _insert(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(Delivery)
    return sqlite_insert(Delivery)


def _entry_rows(index: int, entry: PlanEntry, season_start: bool) -> Select[Any]:
    """The outbox rows one entry adds on a planning day, with the day's dates left as bind
    parameters (`day`, and per entry `e<i>_anchor`, `e<i>_from`, `e<i>_last`), so each shape
    is built and compiled once and reused every day.

    A campaign is only in the day's shape on the day it starts, and then reaches every child
    of its cohort already being planned for (later joiners get it from `plan_child`)."""
    column = Child.birth_date if entry.anchor is Anchor.BIRTH_DATE else Child.due_date
    anchor: ColumnElement[Any] = column.expression
    on_anchor = bindparam(f"e{index}_anchor", type_=Date)
    window: ColumnElement[bool]
    last_day: ColumnElement[Any]
    if entry.offset_days is None or entry.stale_after_days is None:  # a campaign
        assert entry.runs_until is not None
        window = true()
        last_day = literal(entry.runs_until, Date)
    elif season_start:
        # First day of the season: every child whose window is open today gets it now.
        window = anchor.between(bindparam(f"e{index}_from", type_=Date), on_anchor)
        last_day = add_days(anchor, entry.offset_days + entry.stale_after_days)
    else:
        window = anchor == on_anchor
        last_day = bindparam(f"e{index}_last", type_=Date)
    day = bindparam("day", type_=Date)
    conditions = [
        window,
        Child.status == ChildStatus.ACTIVE,
        Family.registered_at.is_not(None),
        Family.blocked.is_(False),
        Child.plan_from <= day,
    ]
    if entry.anchor is Anchor.DUE_DATE:
        conditions.append(Child.birth_date.is_(None))
    if entry.born_from is not None:
        conditions.append(Child.birth_date >= entry.born_from)
    if entry.born_until is not None:
        conditions.append(Child.birth_date <= entry.born_until)
    if entry.track is Track.FATHERS:
        conditions.append(Family.fathers_track.is_(True))
    if entry.priority is Priority.TIP:
        muted = exists().where(
            and_(MutedTopic.family_id == Family.id, MutedTopic.topic == entry.topic.value)
        )
        conditions.append(~muted)
    return (
        select(
            Child.family_id,
            Child.id,
            last_day,
            literal(entry.key),
            literal(entry.topic.value),
            literal(PRIORITY[entry.priority]),
            day,
            literal(DeliveryStatus.PENDING.value),
            literal(0),
        )
        .join(Family, Family.id == Child.family_id)
        .where(*conditions)
    )


def _day_shape(
    plan: MessagePlan, day: date, starting: Collection[str]
) -> tuple[tuple[int, bool], ...]:
    """Which entries can fall on `day`, and whether a seasonal entry's season starts then.

    Campaigns are in it only when `starting` names them."""
    shape = []
    for index, entry in enumerate(plan.entries):
        if entry.is_campaign:
            if entry.key in starting:
                shape.append((index, True))
        elif entry.months is None:
            shape.append((index, False))
        elif day.month in entry.months:
            shape.append((index, (day - timedelta(days=1)).month not in entry.months))
    return tuple(shape)


def _day_params(plan: MessagePlan, day: date) -> dict[str, date]:
    params = {"day": day}
    for index, entry in enumerate(plan.entries):
        if entry.offset_days is None or entry.stale_after_days is None:
            continue  # a campaign: its dates are in the statement
        on_anchor = day - timedelta(days=entry.offset_days)
        params[f"e{index}_anchor"] = on_anchor
        params[f"e{index}_from"] = on_anchor - timedelta(days=entry.stale_after_days)
        params[f"e{index}_last"] = day + timedelta(days=entry.stale_after_days)
    return params


_STATEMENTS: dict[tuple[int, str, tuple[tuple[int, bool], ...]], Any] = {}


def _day_statement(plan: MessagePlan, dialect: str, shape: tuple[tuple[int, bool], ...]) -> Any:
    key = (id(plan), dialect, shape)
    if key not in _STATEMENTS:
        rows = union_all(*(_entry_rows(i, plan.entries[i], season) for i, season in shape))
        insert = pg_insert(Delivery) if dialect == "postgresql" else sqlite_insert(Delivery)
        _STATEMENTS[key] = insert.from_select(
            [
                "family_id",
                "child_id",
                "stale_on",
                "entry_key",
                "topic",
                "priority",
                "due_on",
                "status",
                "attempts",
            ],
            # WHERE true: SQLite would read ON CONFLICT as a join's ON without it.
            rows.subquery().select().where(true()),
        ).on_conflict_do_nothing()
    return _STATEMENTS[key]


async def plan_day(
    sessions: async_sessionmaker[AsyncSession],
    plan: MessagePlan,
    day: date,
    starting: Collection[str] = (),
) -> int:
    """Insert every delivery that falls on `day`; returns how many rows were new.

    One statement (a UNION ALL of one indexed lookup per entry) in one short transaction.
    `starting` names the campaigns to start on this day.
    """
    shape = _day_shape(plan, day, starting)
    if not shape:
        return 0
    async with sessions.begin() as session:
        statement = _day_statement(plan, session.get_bind().dialect.name, shape)
        params = _day_params(plan, day)
        used = {"day"} | {f"e{i}_{part}" for i, _ in shape for part in ("anchor", "from", "last")}
        connection = await session.connection()  # Core execution: the dict holds bind values
        result = await connection.execute(statement, {k: params[k] for k in used & set(params)})
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def skip_stale(session: AsyncSession, today: date) -> int:
    """Tips that could not go out inside their window are skipped, never dumped late."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.stale_on < today)
        .values(status=DeliveryStatus.SKIPPED, last_error="stale")
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def run_planner(
    sessions: async_sessionmaker[AsyncSession], plan: MessagePlan, today: date
) -> PlanReport:
    """Plan every day not yet planned up to today + the horizon (catching up after downtime)."""
    through = today + timedelta(days=HORIZON_DAYS)
    async with sessions() as session:
        state = await session.get(SchedulerState, PLANNED_THROUGH)
        done = date.fromisoformat(state.value) if state else today - timedelta(days=1)
        started = set(
            await session.scalars(
                select(SchedulerState.name).where(SchedulerState.name.startswith(CAMPAIGN))
            )
        )
    first = max(done + timedelta(days=1), today - timedelta(days=MAX_CATCH_UP_DAYS))
    start_on = _campaign_starts(plan, started, earliest=min(first, today), through=through)
    ahead = {first + timedelta(days=n) for n in range((through - first).days + 1)}
    days = sorted(ahead | set(start_on.values()))
    inserted = 0
    for day in days:
        starting = [key for key, on in start_on.items() if on == day]
        inserted += await plan_day(sessions, plan, day, starting)
    async with sessions.begin() as session:
        state = await session.get(SchedulerState, PLANNED_THROUGH)
        if state is None:
            session.add(SchedulerState(name=PLANNED_THROUGH, value=through.isoformat()))
        elif date.fromisoformat(state.value) < through:
            state.value = through.isoformat()
        for key, on in start_on.items():
            session.add(SchedulerState(name=CAMPAIGN + key, value=on.isoformat()))
        skipped = await skip_stale(session, today)
    return PlanReport(days=len(days), inserted=inserted, skipped_stale=skipped)


def _campaign_starts(
    plan: MessagePlan, started: Collection[str], *, earliest: date, through: date
) -> dict[str, date]:
    """The day each campaign not yet started is planned for its whole cohort: its first day,
    or today for one added to the plan while it runs (the planner never waits for it)."""
    start_on = {}
    for entry in plan.entries:
        if entry.runs_from is None or entry.runs_until is None or CAMPAIGN + entry.key in started:
            continue
        on = max(entry.runs_from, earliest)
        if on <= min(entry.runs_until, through):
            start_on[entry.key] = on
    return start_on


async def plan_child(
    session: AsyncSession, plan: MessagePlan, family: Family, child: Child, today: date
) -> int:
    """Plan one child straight away (new, born, or date changed) up to what the planner covered.

    It covers the whole horizon: the periodic planner may be half-way through a day, and the
    outbox's unique key makes any overlap harmless.
    """
    through = today + timedelta(days=HORIZON_DAYS)
    if child.status is not ChildStatus.ACTIVE or child.plan_from is None:
        return 0
    anchor = child.birth_date or child.due_date
    assert anchor is not None
    muted = set(
        await session.scalars(select(MutedTopic.topic).where(MutedTopic.family_id == family.id))
    )
    values = []
    for entry in plan.entries_for(born_on=child.birth_date, fathers=family.fathers_track):
        if entry.priority is Priority.TIP and entry.topic.value in muted:
            continue
        if entry.due_day(anchor) < child.plan_from and not entry.is_campaign:
            continue  # due before the family joined: covered by the welcome, never a backlog
        day = entry.send_day(anchor, not_before=today)
        if day is None or day > through:
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
    result = await session.execute(_insert(session).values(values).on_conflict_do_nothing())
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def cancel_pending(session: AsyncSession, child_id: int, reason: str) -> int:
    """Stop every pending message about a child (a loss), in the caller's transaction."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.child_id == child_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error=reason)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def replan_child(
    session: AsyncSession, plan: MessagePlan, family: Family, child: Child, today: date
) -> int:
    """A birth or a changed date: drop what was pending for the old dates and plan again."""
    await session.execute(
        Delivery.__table__.delete().where(  # type: ignore[attr-defined]
            Delivery.child_id == child.id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.send_at.is_(None),
        )
    )
    return await plan_child(session, plan, family, child, today)
