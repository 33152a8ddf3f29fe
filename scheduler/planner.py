"""The planner: turns the message plan and the children table into outbox rows, day by day.

Each planning day is a handful of INSERT ... SELECT statements (one per plan entry) keyed on an
indexed anchor date, so the cost follows the number of messages due, not the number of
families. The outbox is unique per child and entry (per family for a campaign's question to
families): planning twice never sends twice.

What opens on a day for everyone at once (a campaign, a yearly season, a question to families,
the first day of a seasonal entry) goes in chunks of ids, one short transaction each, so the
families' own writes never wait long behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import ColumnElement, Select

from domain import campaigns, outbox
from domain.planning import HORIZON_DAYS, PRIORITY, QUESTION_PRIORITY, had_before_it_was_yearly
from resources.message_plan import Anchor, MessagePlan, PlanEntry, Priority, Track
from scheduler.sql_dates import add_days
from store.dialects import insert_or_ignore
from store.models import (
    Child,
    ChildStatus,
    Delivery,
    DeliveryStatus,
    Family,
    MutedTopic,
    SchedulerState,
)

MAX_CATCH_UP_DAYS = 60  # after a longer outage, older days are not planned at all
PLANNED_THROUGH = "planned_through"
# A campaign's cohort is planned once, on the first planned day it runs; this marks it done.
CAMPAIGN = "campaign:"
# Children (or families, for a question) per transaction when something opens for everyone:
# under 0.1 s of writing on SQLite and 0.5 s on PostgreSQL at the bench's scale.
CHUNK_IDS = 8_000
# SQLite has one writer at a time, and a write waiting for it looks again every 100 ms at
# most: a pause that long between chunks lets every waiting write (a family's reply) in.
SQLITE_PAUSE = 0.1  # seconds
# A day's statement is a UNION ALL of parts: (index in the plan, whether the entry's season
# starts that day) for a timed entry, (key, True) for a campaign, season or question starting.
Shape = tuple[tuple[int | str, bool], ...]


@dataclass(frozen=True)
class PlanReport:
    days: int
    inserted: int
    skipped_stale: int


def _entry_rows(index: int | str, entry: PlanEntry, season_start: bool) -> Select[Any]:
    """The outbox rows one entry adds on a planning day, with the day's dates left as bind
    parameters (`day`, and per entry `e<i>_anchor`, `e<i>_from`, `e<i>_last`), so each shape
    is built and compiled once and reused every day.

    A campaign (or a yearly entry's season) is only in the day's shape on the day it starts,
    and then reaches every child of its cohort already being planned for (later joiners get it
    from `plan_child`)."""
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
    had = had_before_it_was_yearly(entry, Child.id)
    if had is not None:
        conditions.append(~had)
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


def _question_rows(entry: PlanEntry) -> Select[Any]:
    """A campaign's question (see `ask_families`) to every registered family with no child of
    its cohort added: one row per family, with no child, sent once and kept as "asked". A
    family with no active child (after a loss) is not asked."""
    has_child = exists().where(Child.family_id == Family.id, Child.status == ChildStatus.ACTIVE)
    in_cohort = [Child.family_id == Family.id]
    if entry.born_from is not None:
        in_cohort.append(Child.birth_date >= entry.born_from)
    if entry.born_until is not None:
        in_cohort.append(Child.birth_date <= entry.born_until)
    last_day: ColumnElement[Any] = literal(entry.runs_until, Date)
    return select(
        Family.id,
        cast(null(), Integer),
        last_day,
        literal(entry.question_key),
        literal(entry.topic.value),
        literal(QUESTION_PRIORITY),
        bindparam("day", type_=Date),
        literal(DeliveryStatus.PENDING.value),
        literal(0),
    ).where(
        Family.registered_at.is_not(None),
        Family.blocked.is_(False),
        has_child,
        ~exists().where(*in_cohort),
    )


def _part_rows(plan: MessagePlan, ref: int | str, season_start: bool) -> Select[Any]:
    """One part of a day's statement: a timed entry by its index, or what starts by its key.

    A part that opens for everyone (`season_start`) covers only the ids from `lo` up to `hi`:
    children's, or families' for a question."""
    if isinstance(ref, int):
        rows, ids = _entry_rows(ref, plan.entries[ref], season_start), Child.id
    elif (question := plan.asking(ref)) is not None:
        rows, ids = _question_rows(question), Family.id
    else:
        rows, ids = _entry_rows(ref, plan.entry(ref), season_start), Child.id
    if not season_start:
        return rows
    return rows.where(ids >= bindparam("lo", type_=Integer), ids < bindparam("hi", type_=Integer))


def _day_shape(plan: MessagePlan, day: date, starting: Collection[str]) -> Shape:
    """Which entries can fall on `day`, and whether a seasonal entry's season starts then.

    Campaigns, yearly seasons and questions to families are in it only when `starting` names
    them."""
    shape: list[tuple[int | str, bool]] = []
    for index, entry in enumerate(plan.entries):
        if entry.is_campaign or entry.is_yearly:
            continue
        if entry.months is None:
            shape.append((index, False))
        elif day.month in entry.months:
            shape.append((index, (day - timedelta(days=1)).month not in entry.months))
    shape += [(key, True) for key in sorted(starting)]
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


_STATEMENTS: dict[tuple[int, str, Shape], Any] = {}


def _day_statement(plan: MessagePlan, dialect: str, shape: Shape) -> Any:
    key = (id(plan), dialect, shape)
    if key not in _STATEMENTS:
        rows = union_all(*(_part_rows(plan, ref, season) for ref, season in shape))
        insert = insert_or_ignore(Delivery, dialect)
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

    The day's own entries are one statement (a UNION ALL of one indexed lookup per entry) in
    one short transaction. What opens that day for everyone is one statement per chunk of ids,
    committed chunk by chunk: stopped half-way, it is simply run again (nothing is planned
    twice), and its campaigns are marked started only once every chunk is in (`run_planner`).
    `starting` names the campaigns (seasons, questions) to start on this day.
    """
    shape = _day_shape(plan, day, starting)
    daily = tuple(part for part in shape if not part[1])
    opening = tuple(part for part in shape if part[1])
    inserted = 0
    if daily:
        inserted += await _insert_rows(sessions, plan, day, daily, {})
    if opening:
        async with sessions() as session:
            last_child = await session.scalar(select(func.max(Child.id)))
            last_family = await session.scalar(select(func.max(Family.id)))
            pause = SQLITE_PAUSE if session.get_bind().dialect.name == "sqlite" else 0.0
        for lo in range(0, max(last_child or 0, last_family or 0) + 1, CHUNK_IDS):
            if lo:
                await asyncio.sleep(pause)
            chunk = {"lo": lo, "hi": lo + CHUNK_IDS}
            inserted += await _insert_rows(sessions, plan, day, opening, chunk)
    return inserted


async def _insert_rows(
    sessions: async_sessionmaker[AsyncSession],
    plan: MessagePlan,
    day: date,
    shape: Shape,
    chunk: dict[str, int],
) -> int:
    """One statement of the day in its own transaction; `chunk` bounds an opening's ids."""
    async with sessions.begin() as session:
        statement = _day_statement(plan, session.get_bind().dialect.name, shape)
        params = _day_params(plan, day)
        used = {"day"} | {f"e{i}_{part}" for i, _ in shape for part in ("anchor", "from", "last")}
        values: dict[str, object] = {k: params[k] for k in used & set(params)}
        connection = await session.connection()  # Core execution: the dict holds bind values
        result = await connection.execute(statement, values | chunk)
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


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
    start_on = campaign_starts(plan, started, earliest=min(first, today), through=through)
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
        skipped = await outbox.skip_stale(session, today)
        await campaigns.settle(session, today)  # stale rows may have ended a campaign
    return PlanReport(days=len(days), inserted=inserted, skipped_stale=skipped)


def campaign_starts(
    plan: MessagePlan, started: Collection[str], *, earliest: date, through: date
) -> dict[str, date]:
    """The day each campaign, yearly season and question to families not yet started is
    planned for everyone it reaches: its first day, or `earliest` for one added to the plan
    while it runs (the planner never waits for it). `started` holds the markers made so far."""
    start_on = {}
    for entry in plan.campaigns(earliest, through):
        assert entry.runs_from is not None
        keys = (entry.key, entry.question_key) if entry.ask_families else (entry.key,)
        for key in keys:
            if CAMPAIGN + key not in started:
                start_on[key] = max(entry.runs_from, earliest)
    return start_on
