"""Planner benchmark: one planning day for a population of N children (default 1,000,000).

    .venv/bin/python bench/planner.py --children 1000000 --db sqlite
    .venv/bin/python bench/planner.py --children 1000000 --db postgresql
    .venv/bin/python bench/planner.py --db both

Builds the population in a throw-away database (bulk INSERT ... SELECT), then times
`plan_day` for one day with the shipped plan (first call, which also compiles the statement),
the next day (statement cached), planning the first day again (nothing new: ON CONFLICT), the
one-off start of the plan's campaigns (every child of the MMRV catch-up cohort at once) and a
`run_planner` call as the bot makes it (horizon of three days plus skipping stale rows).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date, timedelta

from common import (
    bench_database,
    engine_for,
    local_today,
    machine,
    populate_children,
)
from sqlalchemy import func, select

from resources.message_plan import load_plan
from scheduler.planner import CAMPAIGN, plan_day, run_planner
from store.engine import session_factory
from store.models import Delivery, SchedulerState


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
            campaigns = [e.key for e in plan.entries if e.is_campaign]
            started = time.perf_counter()
            result["campaign_rows"] = await plan_day(sessions, plan, day, campaigns)
            result["campaign_s"] = time.perf_counter() - started
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
        f"{result['campaign_s']:.2f} s"
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
