"""Button latency for a family while the dispatcher sends a backlog at full speed.

    .venv/bin/python bench/interactive_latency.py --db sqlite
    .venv/bin/python bench/interactive_latency.py --db postgresql --backlog 10000 --presses 200
    .venv/bin/python bench/interactive_latency.py --db sqlite --concurrency 8 --batch-size 50

Three processes, so the measurement does not share the bot's event loop:
  * the Bot API server (`python -m local_bot_api`);
  * the real bot (this script with --role bot): `build_application` with a fixed clock (14:00
    London today), started as tests/e2e start it (initialize, post_init, start, polling), plus
    a Dispatcher on the same services and event loop with a plain `telegram.Bot` (rate limiter
    off) that sends the backlog when told to;
  * this process, the family: a registered family (made with the domain functions) opens /menu
    and presses "❓ Help" again and again through the server's control API, timing each press
    from the callback to the bot's help message arriving in the chat (the bot answers the
    callback query first, then sends the help text).
A few presses before the backlog starts give the idle baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from common import (
    PYTHON,
    ROOT,
    TOKEN,
    afternoon,
    bench_database,
    create_users,
    engine_for,
    local_today,
    machine,
    populate_due,
    server_process,
)

DRAIN = timedelta(hours=1)
FAMILY_CHAT = 900_000_001
HELP = "menu:help"


# --- the bot process -------------------------------------------------------------------------


async def run_bot(args: argparse.Namespace) -> None:
    from telegram import Bot

    from bot.aiohttp_request import AiohttpRequest
    from bot.app import build_application
    from config.settings import load_settings
    from scheduler.dispatcher import Dispatcher, batch_size_for
    from store.engine import create_engine, session_factory

    now = datetime.fromisoformat(args.now)
    settings = load_settings(
        telegram_bot_token=TOKEN, telegram_api_base_url=args.server, database_url=args.url
    )
    engine = create_engine(args.url)
    sessions = session_factory(engine)
    application = build_application(settings, sessions, clock=lambda: now, run_jobs=False)
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    services = application.bot_data["services"]
    # The app's transport, without the rate limiter.
    plain = Bot(TOKEN, base_url=args.server, request=AiohttpRequest())
    await plain.initialize()
    dispatcher = Dispatcher(
        budget=DRAIN,  # drain the whole backlog in one run, to time it
        sessions=services.sessions,
        bot=plain,
        plan=services.plan,
        rules=services.rules,
        zone=services.zone,
        clock=lambda: now,
        article_ids=services.article_ids,
        batch_size=args.batch_size or batch_size_for(services.sessions),
        concurrency=args.concurrency,
    )
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.readline()  # "go"
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled", interval=0.001)
        profiler.start()
    print(f"DISPATCH_START {time.time()}", flush=True)
    report = await dispatcher.run_once()
    print(f"DISPATCH_END {time.time()} {json.dumps(dict(report.outcomes))}", flush=True)
    if profiler is not None:
        profiler.stop()
        path = f"/tmp/growwell-bench-interactive-{args.url.split(':')[0]}.txt"
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        await asyncio.to_thread(Path(path).write_text, text)
        print(f"PROFILE {path}", flush=True)
    await reader.readline()  # "stop" or EOF
    await plain.shutdown()
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    await engine.dispose()


# --- the family (this process) ---------------------------------------------------------------


async def make_family(url: str, today: date, now: datetime) -> None:
    """A family registered the way sign-up leaves it (as tests/scheduler/conftest.py does)."""
    from domain import families, life_events
    from resources.message_plan import load_plan
    from store.engine import session_factory
    from store.models import Role, SendTime

    plan = load_plan()
    async with engine_for(url) as engine:
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            family = await families.record_consent(
                session, FAMILY_CHAT, locale="en", source=None, now=now
            )
            families.set_role(family, Role.MUM)
            child = families.add_child(family, born=date(today.year - 1, today.month, 1))
            await life_events.child_added(session, plan, family, child, now, today)
            families.set_area(family, "bootle", in_sefton=True)
            families.set_send_time(family, SendTime.MORNING)
            families.complete_registration(family, now)
            await life_events.registration_completed(session, plan, family, now, today)


class Family:
    """The family's phone: talks to the server's control API over loopback HTTP."""

    def __init__(self, http: object, server_url: str) -> None:
        self.http = http
        self.base = f"{server_url}/control/users/{FAMILY_CHAT}"
        self.last_id = 0

    async def send(self, text: str) -> None:
        async with self.http.post(f"{self.base}/messages", json={"text": text}) as response:  # type: ignore[attr-defined]
            response.raise_for_status()

    async def next_message(self, wait: float = 10.0) -> dict[str, object]:
        async with self.http.get(  # type: ignore[attr-defined]
            f"{self.base}/messages", params={"after": self.last_id, "timeout": wait}
        ) as response:
            found = (await response.json())["result"]
        if not found:
            raise TimeoutError("the bot did not answer")
        self.last_id = max(m["message_id"] for m in found)
        return found[-1]

    async def press(self, message_id: int, data: str) -> float:
        """Seconds from pressing the button to the bot's answer appearing in the chat."""
        started = time.perf_counter()
        async with self.http.post(  # type: ignore[attr-defined]
            f"{self.base}/callback", json={"message_id": message_id, "data": data}
        ) as response:
            response.raise_for_status()
        await self.next_message()
        return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    if not values:
        return "no presses"
    ms = [v * 1000 for v in values]
    return (
        f"n={len(ms)}, p50 {percentile(ms, 50):.0f} ms, p90 {percentile(ms, 90):.0f} ms, "
        f"p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms, mean {statistics.mean(ms):.0f} ms"
    )


async def run_family(args: argparse.Namespace) -> None:
    import aiohttp

    from resources.library import load_library
    from resources.message_plan import load_plan

    today = local_today()
    now = afternoon(today)
    plan = load_plan(article_ids=load_library().ids)
    print(f"machine: {machine()}")
    with bench_database(args.db, "latency") as database, server_process() as server:
        async with engine_for(database.url) as engine:
            chat_ids = await populate_due(engine, plan, args.backlog, today)
        await make_family(database.url, today, now)
        await create_users(server.url, chat_ids)
        bot = await asyncio.create_subprocess_exec(
            PYTHON, __file__, "--role", "bot", "--url", database.url,
            "--server", server.base_url, "--now", now.isoformat(),
            *(["--batch-size", str(args.batch_size)] if args.batch_size else []),
            "--concurrency", str(args.concurrency),
            *(["--profile"] if args.profile else []),
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert bot.stdin is not None and bot.stdout is not None
        idle: list[float] = []
        busy: list[float] = []
        after: list[float] = []
        lines: dict[str, str] = {}
        try:
            if (await asyncio.wait_for(bot.stdout.readline(), 60)).strip() != b"READY":
                raise SystemExit("the bot did not start")
            async with aiohttp.ClientSession() as http:
                family = Family(http, server.url)
                await family.send("/menu")
                menu = await family.next_message()
                while "inline_keyboard" not in menu or not menu["inline_keyboard"]:
                    menu = await family.next_message()
                menu_id = int(menu["message_id"])  # type: ignore[call-overload]
                await family.press(menu_id, HELP)  # warm-up: first-call costs
                for _ in range(args.idle_presses):
                    idle.append(await family.press(menu_id, HELP))
                    await asyncio.sleep(args.gap)

                async def read_lines() -> None:
                    assert bot.stdout is not None
                    while line := (await bot.stdout.readline()).decode():
                        word, _, rest = line.strip().partition(" ")
                        lines[word] = rest

                reader = asyncio.create_task(read_lines())
                bot.stdin.write(b"go\n")
                await bot.stdin.drain()
                while "DISPATCH_START" not in lines:  # noqa: ASYNC110 - another task fills it
                    await asyncio.sleep(0.005)
                while len(busy) < args.presses:
                    latency = await family.press(menu_id, HELP)
                    (after if "DISPATCH_END" in lines else busy).append(latency)
                    if "DISPATCH_END" in lines:
                        break
                    await asyncio.sleep(args.gap)
                while "DISPATCH_END" not in lines:  # noqa: ASYNC110 - another task fills it
                    await asyncio.sleep(0.05)
                bot.stdin.write(b"stop\n")
                await bot.stdin.drain()
                await asyncio.wait_for(bot.wait(), 30)
                reader.cancel()
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
    start = float(lines["DISPATCH_START"])
    end, _, outcomes = lines["DISPATCH_END"].partition(" ")
    seconds = float(end) - start
    sent = json.loads(outcomes).get("sent", 0)
    print(
        f"\n== interactive latency, {args.db}, backlog {args.backlog:,}, "
        f"dispatcher batch_size {args.batch_size or 'as shipped'}, concurrency {args.concurrency}"
        " =="
    )
    print(f"dispatcher: {json.loads(outcomes)} in {seconds:.1f} s = {sent / seconds:.0f}/s")
    print(f"idle (no backlog):      {summary(idle)}")
    print(f"during the backlog:     {summary(busy)}")
    if after:
        print(f"(one press straddled the end of the backlog: {after[0] * 1000:.0f} ms)")
    if "PROFILE" in lines:
        print(f"profile of the bot process during the backlog: {lines['PROFILE']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=["family", "bot"], default="family")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--idle-presses", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between presses")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="default: the bot's own for the database"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--profile", action="store_true", help="pyinstrument the bot process")
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "bot":
        os.chdir(ROOT)
        asyncio.run(run_bot(args))
    else:
        asyncio.run(run_family(args))


if __name__ == "__main__":
    main()
