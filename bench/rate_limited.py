"""A rate-limited backlog: the app's rate limiter against a server that allows 30 sends a second.

    .venv/bin/python bench/rate_limited.py               # 3,000 messages, SQLite
    .venv/bin/python bench/rate_limited.py --db postgresql --messages 3000
    .venv/bin/python bench/rate_limited.py --limiter aiolimiter   # PTB's, as the app had it

N families each have one plan message due now and a user on an in-process BotApiServer with
`limit_rate(per_second=30)` (429 beyond 30 sends in any rolling second). The Dispatcher sends
through an ExtBot with the app's limiter (`bot.rate_limit.RepliesFirst`, as bot/app.py builds
it: no update is being handled, so every send is a scheduled one), or with PTB's
AIORateLimiter(max_retries=2) and the overall rate given. Reports the
achieved rate from the first to the last send, the 429s the server gave, and whether every
message reached its family exactly once (server side and in the outbox).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from datetime import timedelta

from common import (
    LONDON,
    TOKEN,
    afternoon,
    bench_database,
    engine_for,
    local_today,
    machine,
    moving_clock,
    populate_due,
)
from sqlalchemy import func, select
from telegram.ext import AIORateLimiter, ApplicationBuilder, BaseRateLimiter

from bot.rate_limit import RepliesFirst
from bot.update_order import ChatOrderedUpdates
from local_bot_api.server import BotApiServer
from resources.library import load_library
from resources.message_plan import load_plan
from resources.service import shipped_service_rules
from scheduler.dispatcher import Dispatcher
from store.engine import session_factory
from store.models import Delivery, DeliveryStatus

DRAIN = timedelta(hours=1)


class GaveUp(logging.Handler):
    """Counts PTB's "Rate limit hit after maximum of 2 retries" instead of printing each."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def watch(server: BotApiServer, total: int, marks: dict[str, float]) -> None:
    """Note when the first and the last message reached the server (every 5 ms)."""
    while True:
        count = server.sent_messages_count
        now = time.perf_counter()
        if count and "first" not in marks:
            marks["first"] = now
        if count >= total:
            marks["last"] = now
            return
        await asyncio.sleep(0.005)


async def bench(args: argparse.Namespace) -> dict[str, object]:
    today = local_today()
    now = afternoon(today)
    shelf = load_library()
    plan = load_plan(article_ids=shelf.ids)
    gave_up = GaveUp()
    limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    limiter_log.addHandler(gave_up)
    limiter_log.propagate = False
    limiter_log.setLevel(logging.ERROR)
    with bench_database(args.db, "ratelimited") as database:
        async with engine_for(database.url) as engine, BotApiServer(port=0) as server:
            chat_ids = await populate_due(engine, plan, args.messages, today)
            for chat_id in chat_ids:
                server.user(chat_id)
            server.limit_rate(per_second=args.per_second)
            limiter: BaseRateLimiter[int] = (
                RepliesFirst(is_reply=ChatOrderedUpdates().is_handling)
                if args.limiter == "app"
                else AIORateLimiter(
                    max_retries=2,
                    overall_max_rate=args.overall_max_rate,
                    overall_time_period=args.overall_time_period,
                )
            )
            application = (
                ApplicationBuilder()
                .token(TOKEN)
                .base_url(server.base_url)
                .rate_limiter(limiter)
                .build()
            )
            await application.initialize()
            sessions = session_factory(engine)
            dispatcher = Dispatcher(
                budget=DRAIN,  # drain the whole backlog in one run, to time it
                sessions=sessions,
                bot=application.bot,
                plan=plan,
                rules=shipped_service_rules(),
                zone=LONDON,
                clock=moving_clock(now),
                article_ids=frozenset(shelf.ids),
            )
            marks: dict[str, float] = {}
            watcher = asyncio.create_task(watch(server, args.messages, marks))
            started = time.perf_counter()
            reports = []
            # The bot's job runs the dispatcher every 5 s; rows put back for a retry go out in a
            # later run. Run it until the backlog is gone (or a bounded number of rounds).
            for _ in range(args.rounds):
                reports.append(await dispatcher.run_once())
                async with sessions() as session:
                    pending = await session.scalar(
                        select(func.count())
                        .select_from(Delivery)
                        .where(Delivery.status != DeliveryStatus.SENT)
                    )
                if not pending:
                    break
                await asyncio.sleep(5)
            elapsed = time.perf_counter() - started
            watcher.cancel()
            await application.shutdown()
            per_user = [len(server.user(chat_id).messages) for chat_id in chat_ids]
            async with sessions() as session:
                sent_rows = await session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(Delivery.status == DeliveryStatus.SENT)
                )
            outcomes: dict[str, int] = {}
            for report in reports:
                for kind, count in report.outcomes.items():
                    outcomes[kind] = outcomes.get(kind, 0) + count
            span = marks.get("last", time.perf_counter()) - marks.get("first", started)
            return {
                "db": args.db,
                "messages": args.messages,
                "elapsed": elapsed,
                "span": span,
                "rate": (server.sent_messages_count - 1) / span if span > 0 else 0.0,
                "server_sent": server.sent_messages_count,
                "rate_limited": server.stats.rate_limited,
                "errors": dict(server.stats.errors),
                "calls": server.stats.calls["sendMessage"],
                "once": sum(1 for n in per_user if n == 1),
                "twice": sum(1 for n in per_user if n > 1),
                "none": sum(1 for n in per_user if n == 0),
                "sent_rows": sent_rows,
                "outcomes": outcomes,
                "runs": len(reports),
                "gave_up": gave_up.count,
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--per-second", type=int, default=30)
    parser.add_argument("--limiter", choices=["app", "aiolimiter"], default="app")
    parser.add_argument(
        "--overall-max-rate",
        type=float,
        default=1,
        help="AIORateLimiter overall_max_rate (default 1, as the app had it; PTB's default 30)",
    )
    parser.add_argument(
        "--overall-time-period",
        type=float,
        default=1 / 29,
        help="AIORateLimiter overall_time_period (default 1/29 s, as the app had it)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="dispatcher runs at most")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    r = asyncio.run(bench(args))
    limiter = (
        "the app's RepliesFirst (one message every 1/29 s, max_retries=2)"
        if args.limiter == "app"
        else f"AIORateLimiter(max_retries=2, overall_max_rate={args.overall_max_rate:g}, "
        f"overall_time_period={args.overall_time_period:.4f})"
    )
    print(f"\n== rate-limited backlog, {r['db']}, server limit {args.per_second}/s, {limiter} ==")
    print(
        f"{r['server_sent']:,} of {r['messages']:,} messages delivered; first to last send "
        f"{r['span']:.1f} s = {r['rate']:.1f} messages/s ({r['runs']} dispatcher run(s), "
        f"{r['elapsed']:.1f} s in all)"
    )
    print(
        f"server: {r['calls']:,} sendMessage calls, {r['rate_limited']} answered 429; "
        f"errors {r['errors']}; the limiter gave up after 2 retries {r['gave_up']} times; "
        f"dispatcher outcomes {r['outcomes']}"
    )
    print(
        f"exactly once: {r['once']:,} families got 1 message, {r['twice']} more than one, "
        f"{r['none']} none; outbox rows sent: {r['sent_rows']:,}"
    )


if __name__ == "__main__":
    main()
