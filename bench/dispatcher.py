"""Dispatcher throughput, rate limiter off, against the in-repo Bot API server in its own process.

    .venv/bin/python bench/dispatcher.py --db sqlite
    .venv/bin/python bench/dispatcher.py --db postgresql --deliveries 10000 \
        --batch-sizes 200,500 --concurrency 32,64
    .venv/bin/python bench/dispatcher.py --db sqlite --profile   # pyinstrument, first setting

N families each have one plan message due now and a user on the server (created through the
server's control API). One `Dispatcher` in this process, with a plain `telegram.Bot` (no rate
limiter), runs `run_once()` until the backlog is empty: claim, render, send over HTTP, mark
sent. The server runs as `python -m local_bot_api` so it does not share this process's CPU.
Each batch-size/concurrency setting sends the same backlog again (rows reset in between).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path

from common import (
    LONDON,
    TOKEN,
    afternoon,
    bench_database,
    create_users,
    engine_for,
    local_today,
    machine,
    populate_due,
    reset_backlog,
    server_process,
    server_stats,
)
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot.aiohttp_request import AiohttpRequest
from resources.library import load_library
from resources.message_plan import load_plan
from resources.service import shipped_service_rules
from scheduler.dispatcher import Dispatcher
from store.engine import session_factory

DRAIN = timedelta(hours=1)

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def make_request(kind: str, concurrency: int) -> BaseRequest | None:
    """The Bot's transport: the app's (bot/aiohttp_request.py), PTB's default (httpx, pool of
    256 connections), or httpx with a pool as large as the dispatcher's concurrency."""
    if kind == "httpx":
        return None
    if kind == "httpx-pool":
        return HTTPXRequest(connection_pool_size=concurrency)
    if kind == "aiohttp":
        return AiohttpRequest(connection_pool_size=concurrency)
    raise SystemExit(f"unknown --requests kind {kind!r}")


def parse_ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


async def bench(args: argparse.Namespace) -> list[dict[str, object]]:
    today = local_today()
    now = afternoon(today)
    shelf = load_library()
    plan = load_plan(article_ids=shelf.ids)
    rules = shipped_service_rules()
    results = []
    with bench_database(args.db, "dispatcher") as database, server_process() as server:
        async with engine_for(database.url) as engine:
            started = time.perf_counter()
            chat_ids = await populate_due(engine, plan, args.deliveries, today)
            await create_users(server.url, chat_ids)
            print(
                f"setup: {args.deliveries:,} due deliveries and server users in "
                f"{time.perf_counter() - started:.1f} s"
            )
            sessions = session_factory(engine)
            settings = [
                (r, b, c)
                for r in args.requests.split(",")
                for b in parse_ints(args.batch_sizes)
                for c in parse_ints(args.concurrency)
            ]
            for index, (request_kind, batch_size, concurrency) in enumerate(settings):
                await reset_backlog(engine)
                async with Bot(
                    TOKEN,
                    base_url=server.base_url,
                    request=make_request(request_kind, concurrency),
                ) as bot:
                    dispatcher = Dispatcher(
                        budget=DRAIN,  # drain the whole backlog in one run, to time it
                        sessions=sessions,
                        bot=bot,
                        plan=plan,
                        rules=rules,
                        zone=LONDON,
                        clock=lambda: now,
                        article_ids=frozenset(shelf.ids),
                        batch_size=batch_size,
                        concurrency=concurrency,
                    )
                    before = await server_stats(server.url)
                    server_cpu, own_cpu = cpu_seconds(server.process.pid), time.process_time()
                    profiler = None
                    if args.profile and index == 0:
                        from pyinstrument import Profiler

                        profiler = Profiler(async_mode="enabled", interval=0.001)
                        profiler.start()
                    started = time.perf_counter()
                    report = await dispatcher.run_once()
                    elapsed = time.perf_counter() - started
                    if profiler is not None:
                        profiler.stop()
                    server_cpu = cpu_seconds(server.process.pid) - server_cpu
                    own_cpu = time.process_time() - own_cpu
                    after = await server_stats(server.url)
                sent = report.outcomes["sent"]
                delivered = int(after["sent_messages"]) - int(before["sent_messages"])  # type: ignore[call-overload]
                result = {
                    "request": request_kind,
                    "batch_size": batch_size,
                    "concurrency": concurrency,
                    "seconds": elapsed,
                    "sent": sent,
                    "delivered": delivered,
                    "outcomes": dict(report.outcomes),
                    "rate": sent / elapsed,
                    "own_cpu": own_cpu,
                    "server_cpu": server_cpu,
                }
                results.append(result)
                print(
                    f"{request_kind:<10} batch_size={batch_size:<5} concurrency={concurrency:<4} "
                    f"{sent:,} sent ({delivered:,} reached the server) in {elapsed:.2f} s = "
                    f"{result['rate']:.0f}/s; CPU: dispatcher {own_cpu:.1f} s, "
                    f"server {server_cpu:.1f} s; outcomes {dict(report.outcomes)}",
                    flush=True,
                )
                if profiler is not None:
                    path = f"/tmp/growwell-bench-dispatcher-{args.db}.txt"
                    text = profiler.output_text(unicode=True, color=False, show_all=False)
                    await asyncio.to_thread(Path(path).write_text, text)
                    print(f"profile written to {path}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--batch-sizes", default="50,200")
    parser.add_argument("--concurrency", default="4,8")
    parser.add_argument(
        "--requests",
        default="aiohttp",
        help="comma list of transports: aiohttp (the app's), httpx (PTB's default), httpx-pool",
    )
    parser.add_argument("--profile", action="store_true", help="pyinstrument the first setting")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    results = asyncio.run(bench(args))
    best = max(results, key=lambda r: float(r["rate"]))  # type: ignore[arg-type]
    print(f"\n== dispatcher, {args.db}, {args.deliveries:,} deliveries, rate limiter off ==")
    for r in results:
        print(
            f"  {r['request']:<10} batch_size {r['batch_size']:>5}, "
            f"concurrency {r['concurrency']:>4}: "
            f"{r['rate']:7.0f} deliveries/s ({r['seconds']:.2f} s)"
        )
    print(
        f"best: {best['request']}, batch_size {best['batch_size']}, "
        f"concurrency {best['concurrency']}: "
        f"{best['rate']:.0f} deliveries/s end to end"
    )


if __name__ == "__main__":
    main()
