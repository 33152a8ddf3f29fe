"""Planner benchmark: one planning day for a population of N children (default 1,000,000).

    .venv/bin/python bench/planner.py --children 1000000 --db sqlite
    .venv/bin/python bench/planner.py --children 1000000 --db postgresql
    .venv/bin/python bench/planner.py --db both

Builds the population in a throw-away database (bulk INSERT ... SELECT), then times
`plan_day` for one day with the shipped plan (first call, which also compiles the statement),
the next day (statement cached), planning the first day again (nothing new: ON CONFLICT), the
one-off start of the plan's campaigns running that day (every child of the MMRV catch-up cohort,
its question to every other family, and a yearly season such as the children's flu vaccine, at
once) and a `run_planner` call as the bot makes it (horizon of three days plus skipping stale
rows).

During the campaign start it also times its longest transaction, and how long a family's own
write (one UPDATE of a family row, every 50 ms, as a reply would make) waited: on SQLite that
is how long the planner held the write lock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from common import (
    bench_database,
    engine_for,
    local_today,
    machine,
    populate_children,
)
from sqlalchemy import Connection, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resources.message_plan import load_plan
from scheduler.planner import CAMPAIGN, campaign_starts, plan_day, run_planner
from store.engine import session_factory
from store.models import Delivery, Family, SchedulerState

PROBE_EVERY = 0.05  # seconds between a family's writes during the campaign start


@dataclass
class Waits:
    """Seconds each transaction on the planner's engine lasted (from taking the lock to its
    end), in order, and the longest a family's write waited meanwhile."""

    transactions: list[float] = field(default_factory=list)
    family_write: float = 0.0


@asynccontextmanager
async def measured_waits(engine: AsyncEngine, url: str) -> AsyncIterator[Waits]:
    """Times every transaction on `engine`, and a family's write every PROBE_EVERY s on an
    engine of its own, while in the block."""
    waits = Waits()

    def began(connection: Connection) -> None:
        connection.info["began"] = time.perf_counter()

    def ended(connection: Connection) -> None:
        began_at = connection.info.pop("began", None)
        if began_at is not None:
            waits.transactions.append(time.perf_counter() - began_at)

    async def family_writes(sessions: async_sessionmaker[AsyncSession]) -> None:
        while True:
            started = time.perf_counter()
            async with sessions.begin() as session:
                await session.execute(
                    update(Family).where(Family.id == 1).values(last_seen_at=datetime.now(UTC))
                )
            waits.family_write = max(waits.family_write, time.perf_counter() - started)
            await asyncio.sleep(PROBE_EVERY)

    listened = [("begin", began), ("commit", ended), ("rollback", ended)]
    for name, listener in listened:
        event.listen(engine.sync_engine, name, listener)
    async with engine_for(url) as own_engine:
        probe = asyncio.create_task(family_writes(session_factory(own_engine)))
        try:
            yield waits
        finally:
            probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probe
            for name, listener in listened:
                event.remove(engine.sync_engine, name, listener)


async def bench(kind: str, children: int, day: date) -> dict[str, object]:
    result: dict[str, object] = {"db": kind, "children": children, "day": day.isoformat()}
    with bench_database(kind, "planner") as database:
        async with engine_for(database.url) as engine:
            started = time.perf_counter()
            sizes = await populate_children(engine, children, day)
            result["build_s"] = time.perf_counter() - started
            result["families"] = sizes["families"]
            sessions = session_factory(engine)
            plan = load_plan()
            for label, when in (("day", day), ("next_day", day + timedelta(days=1))):
                started = time.perf_counter()
                rows = await plan_day(sessions, plan, when)
                result[f"{label}_s"] = time.perf_counter() - started
                result[f"{label}_rows"] = rows
            started = time.perf_counter()
            result["again_rows"] = await plan_day(sessions, plan, day)
            result["again_s"] = time.perf_counter() - started
            campaigns = list(campaign_starts(plan, (), earliest=day, through=day))
            async with measured_waits(engine, database.url) as waits:
                started = time.perf_counter()
                result["campaign_rows"] = await plan_day(sessions, plan, day, campaigns)
                result["campaign_s"] = time.perf_counter() - started
            # The first transaction is the day's own statement (timed above as "again"), unless
            # everything went in one.
            result["campaign_transactions"] = len(waits.transactions)
            result["campaign_longest_chunk_s"] = max(waits.transactions[1:] or waits.transactions)
            result["campaign_longest_transaction_s"] = max(waits.transactions)
            result["campaign_family_write_wait_s"] = waits.family_write
            async with sessions.begin() as session:
                session.add_all(
                    SchedulerState(name=CAMPAIGN + key, value=day.isoformat()) for key in campaigns
                )
            started = time.perf_counter()
            report = await run_planner(sessions, plan, day)
            result["run_planner_s"] = time.perf_counter() - started
            result["run_planner_rows"] = report.inserted
            async with sessions() as session:
                result["outbox_rows"] = await session.scalar(
                    select(func.count()).select_from(Delivery)
                )
    return result


def show(result: dict[str, object]) -> None:
    print(f"\n== planner, {result['db']} ==")
    print(
        f"population: {result['children']:,} children in {result['families']:,} families, "
        f"built in {result['build_s']:.1f} s"
    )
    print(
        f"plan_day {result['day']} (first call): {result['day_rows']:,} rows "
        f"in {result['day_s']:.2f} s"
    )
    print(
        f"plan_day next day (warm):     {result['next_day_rows']:,} rows in "
        f"{result['next_day_s']:.2f} s"
    )
    print(
        f"plan_day same day again:      {result['again_rows']:,} rows in {result['again_s']:.2f} s"
    )
    print(
        f"campaign start (one-off):     {result['campaign_rows']:,} rows in "
        f"{result['campaign_s']:.2f} s in {result['campaign_transactions']} transactions; "
        f"longest {result['campaign_longest_transaction_s']:.2f} s "
        f"(of the campaign's own {result['campaign_longest_chunk_s']:.2f} s); "
        f"a family's write waited at most {result['campaign_family_write_wait_s']:.2f} s"
    )
    print(
        f"run_planner (3-day horizon + stale): {result['run_planner_rows']:,} new rows in "
        f"{result['run_planner_s']:.2f} s; outbox now {result['outbox_rows']:,} rows"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--day",
        type=date.fromisoformat,
        default=None,
        help="the day to plan (default: today in London)",
    )
    args = parser.parse_args()
    day = args.day or local_today()
    print(f"machine: {machine()}")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [asyncio.run(bench(kind, args.children, day)) for kind in kinds]
    for result in results:
        show(result)


if __name__ == "__main__":
    main()
