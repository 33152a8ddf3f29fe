"""Reply latency when many families type at once, while scheduled sends drain.

    .venv/bin/python bench/concurrent_replies.py --db sqlite
    .venv/bin/python bench/concurrent_replies.py --db postgresql --families 50 --rounds 5
    .venv/bin/python bench/concurrent_replies.py --db sqlite --backlog 0 --latency 0

Three processes, so the measurement does not share the bot's event loop:
  * the Bot API server (`python -m local_bot_api`), answering 429 beyond 30 sends in any
    rolling second as Telegram does, and holding every bot call `--latency` seconds (the trip
    to Telegram's cloud);
  * the real bot (this script with --role bot): `build_application` as shipped (its update
    processor, rate limiter and persistence) with a fixed clock (14:00 London today), started
    as tests/e2e start it. When told, its own dispatcher (`bot_data["dispatcher"]`, sending
    through the app's rate limiter) runs batch after batch, as its job would, until told to
    stop;
  * this process, the families, through the server's control API.

Steps:
  1. calibration: one family asks candidate questions (article titles and keywords) one at a
     time; a question is kept when its answer is one message whose text and buttons no other
     kept question gets. That answer is what a family asking it must receive.
  2. the backlog starts draining (`--backlog` plan messages due now for other families); after
     `--warm-up` seconds, `--rounds` rounds: every one of `--families` registered families sends
     its question at the same moment, and its latency runs from its send to the answer
     appearing in its chat. The next round starts when every family has its answer.
  3. checks: each family's chat holds exactly its answers, one per question, in the order it
     asked, each the answer to its own question (nothing lost, nothing crossed); and the
     server's count of 429 answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

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

FIRST_FAMILY = 900_000_001
TELEGRAM_PER_SECOND = 30

Signature = tuple[str, tuple[tuple[str, ...], ...]]


# --- the bot process -------------------------------------------------------------------------


async def run_bot(args: argparse.Namespace) -> None:
    from bot.app import build_application
    from config.settings import load_settings
    from store.engine import create_engine, session_factory

    now = datetime.fromisoformat(args.now)
    settings = load_settings(
        telegram_bot_token=TOKEN, telegram_api_base_url=args.server, database_url=args.url
    )
    engine = create_engine(args.url)
    application = build_application(
        settings, session_factory(engine), clock=lambda: now, run_jobs=False
    )
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    print(f"READY {application.update_processor.max_concurrent_updates}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    stopping = asyncio.Event()
    sent: dict[str, int] = {}

    async def drain() -> None:
        """The dispatcher job, back to back: each run sends for at most its budget."""
        dispatcher = application.bot_data["dispatcher"]
        while not stopping.is_set():
            report = await dispatcher.run_once()
            for kind, count in report.outcomes.items():
                sent[kind] = sent.get(kind, 0) + count
            if not report.outcomes:
                await asyncio.sleep(0.2)

    command = (await reader.readline()).strip()  # "go" (with the backlog) or "quiet"
    draining = asyncio.create_task(drain()) if command == b"go" else None
    print(f"STARTED {time.time()}", flush=True)
    await reader.readline()  # "stop" or EOF
    stopping.set()
    if draining is not None:
        await draining
    print(f"DISPATCHED {json.dumps(sent)}", flush=True)
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    await engine.dispose()


# --- the families (this process) -------------------------------------------------------------


async def add_families(url: str, chat_ids: list[int], today: date) -> None:
    """Registered English-speaking mums with a six-month-old and nothing due: the only messages
    in their chats are the bot's answers."""
    from sqlalchemy import insert

    from store.models import Child, Family

    joined = datetime.combine(today - timedelta(days=30), clock_time(10), tzinfo=UTC)
    async with engine_for(url) as engine, engine.begin() as connection:
        result = await connection.execute(
            insert(Family).returning(Family.id),
            [
                {
                    "chat_id": chat_id,
                    "locale": "en",
                    "role": "mum",
                    "area": "bootle",
                    "in_sefton": True,
                    "send_time": "morning",
                    "fathers_track": False,
                    "consented_at": joined,
                    "registered_at": joined,
                    "paused": False,
                    "blocked": False,
                    "created_at": joined,
                    "updated_at": joined,
                }
                for chat_id in chat_ids
            ],
        )
        family_ids = [row[0] for row in result]
        await connection.execute(
            insert(Child),
            [
                {
                    "family_id": family_id,
                    "birth_date": today - timedelta(days=182),
                    "status": "active",
                    "plan_from": today,
                    "created_at": joined,
                }
                for family_id in family_ids
            ],
        )


def candidate_questions() -> list[str]:
    """Article titles, then their keywords, in English: each leads the search somewhere."""
    from resources.library import load_library

    library = load_library()
    articles = [library.get(article_id, "en") for article_id in library.ids]
    questions = [article.title for article in articles]
    questions += [keyword for article in articles for keyword in article.keywords]
    return list(dict.fromkeys(questions))


def signature(message: dict[str, Any]) -> Signature:
    buttons = tuple(
        tuple(str(button.get("text", "")) for button in row)
        for row in message.get("inline_keyboard") or []
    )
    return str(message.get("text", "")), buttons


class Phone:
    """One family's chat, through the server's control API."""

    def __init__(self, http: Any, server_url: str, chat_id: int) -> None:
        self.http = http
        self.base = f"{server_url}/control/users/{chat_id}/messages"
        self.last_id = 0

    async def send(self, text: str) -> None:
        async with self.http.post(self.base, json={"text": text}) as response:
            response.raise_for_status()

    async def replies(self, wait: float, after: int | None = None) -> list[dict[str, Any]]:
        """Bot messages after `after` (default: the last one read), waiting up to `wait` s."""
        params = {"after": self.last_id if after is None else after, "timeout": wait}
        async with self.http.get(self.base, params=params) as response:
            found: list[dict[str, Any]] = (await response.json())["result"]
        if found and after is None:
            self.last_id = max(int(message["message_id"]) for message in found)
        return found

    async def ask(self, text: str, wait: float = 30.0) -> tuple[float, list[dict[str, Any]]]:
        """Seconds from sending to the first answer, and the answer (settled a moment)."""
        started = time.perf_counter()
        await self.send(text)
        found = await self.replies(wait)
        latency = time.perf_counter() - started
        if not found:
            raise TimeoutError("the bot did not answer")
        return latency, found


async def ask_together(go: asyncio.Event, phone: Phone, question: str) -> float:
    """Send the question the moment `go` is set; seconds to the answer."""
    await go.wait()
    latency, _ = await phone.ask(question)
    return latency


async def calibrate(phone: Phone, needed: int) -> list[tuple[str, Signature]]:
    """Questions whose answer is one message no other kept question gets."""
    kept: list[tuple[str, Signature]] = []
    seen: set[Signature] = set()
    for question in candidate_questions():
        _, answer = await phone.ask(question)
        answer += await phone.replies(0.3)  # a second message would show up by now
        if len(answer) != 1:
            continue
        found = signature(answer[0])
        if not found[1] or found in seen:
            continue
        seen.add(found)
        kept.append((question, found))
        if len(kept) >= needed:
            break
    return kept


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    if not values:
        return "no answers"
    ms = [v * 1000 for v in values]
    return (
        f"n={len(ms)}, p50 {percentile(ms, 50):.0f} ms, p90 {percentile(ms, 90):.0f} ms, "
        f"p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms, mean {statistics.mean(ms):.0f} ms"
    )


async def stats(http: Any, server_url: str) -> dict[str, Any]:
    async with http.get(f"{server_url}/control/stats") as response:
        result: dict[str, Any] = (await response.json())["result"]
    return result


async def run_families(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    from resources.library import load_library
    from resources.message_plan import load_plan

    today = local_today()
    now = afternoon(today)
    plan = load_plan(article_ids=load_library().ids)
    family_ids = [FIRST_FAMILY + n for n in range(args.families)]
    calibrator = FIRST_FAMILY + args.families
    with (
        bench_database(args.db, "replies") as database,
        server_process(latency=args.latency) as server,
    ):
        async with engine_for(database.url) as engine:
            backlog_chats = await populate_due(engine, plan, args.backlog, today)
        await add_families(database.url, [*family_ids, calibrator], today)
        await create_users(server.url, backlog_chats)
        bot = await asyncio.create_subprocess_exec(
            PYTHON, __file__, "--role", "bot", "--url", database.url,
            "--server", server.base_url, "--now", now.isoformat(),
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert bot.stdin is not None and bot.stdout is not None
        try:
            ready = (await asyncio.wait_for(bot.stdout.readline(), 60)).decode().split()
            if not ready or ready[0] != "READY":
                raise SystemExit("the bot did not start")
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                async with http.post(
                    f"{server.url}/control/rate_limit", json={"per_second": TELEGRAM_PER_SECOND}
                ) as response:
                    response.raise_for_status()
                kept = await calibrate(Phone(http, server.url, calibrator), args.families)
                if len(kept) < args.families:
                    print(
                        f"note: only {len(kept)} questions have answers of their own; "
                        "families asking the same one cannot be told apart"
                    )
                phones = [Phone(http, server.url, chat_id) for chat_id in family_ids]
                bot.stdin.write(b"go\n" if args.backlog else b"quiet\n")
                await bot.stdin.drain()
                await bot.stdout.readline()  # STARTED
                await asyncio.sleep(args.warm_up if args.backlog else 0)
                before = await stats(http, server.url)
                latencies: list[float] = []
                asked: dict[int, list[Signature]] = {chat_id: [] for chat_id in family_ids}
                rounds_started = time.perf_counter()
                for round_number in range(args.rounds):
                    go = asyncio.Event()
                    tasks = []
                    for index, (phone, chat_id) in enumerate(zip(phones, family_ids, strict=True)):
                        question, expected = kept[(index + round_number) % len(kept)]
                        asked[chat_id].append(expected)
                        tasks.append(asyncio.create_task(ask_together(go, phone, question)))
                    await asyncio.sleep(0.05)  # every family ready to send
                    go.set()
                    latencies += await asyncio.gather(*tasks)
                    await asyncio.sleep(args.gap)
                rounds_seconds = time.perf_counter() - rounds_started
                after = await stats(http, server.url)
                bot.stdin.write(b"stop\n")
                await bot.stdin.drain()
                dispatched: dict[str, int] = {}
                while line := (await asyncio.wait_for(bot.stdout.readline(), 60)).decode():
                    word, _, rest = line.strip().partition(" ")
                    if word == "DISPATCHED":
                        dispatched = json.loads(rest)
                await asyncio.wait_for(bot.wait(), 30)
                await asyncio.sleep(0.5)  # anything sent late would show up now
                lost = crossed = extra = 0
                for phone, chat_id in zip(phones, family_ids, strict=True):
                    got = [signature(m) for m in await phone.replies(0, after=0)]
                    wanted = asked[chat_id]
                    lost += max(0, len(wanted) - len(got))
                    extra += max(0, len(got) - len(wanted))
                    crossed += sum(1 for g, w in zip(got, wanted, strict=False) if g != w)
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
    return {
        "latencies": latencies,
        "questions": len(kept),
        "processor": ready[1] if len(ready) > 1 else "?",
        "lost": lost,
        "crossed": crossed,
        "extra": extra,
        "rounds_seconds": rounds_seconds,
        "server_sends": after["sent_messages"] - before["sent_messages"],
        "rate_limited": after["rate_limited"] - before["rate_limited"],
        "dispatched": dispatched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=["families", "bot"], default="families")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--families", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backlog", type=int, default=3000, help="0: no scheduled sends")
    parser.add_argument("--latency", type=float, default=0.05, help="server hold per call, s")
    parser.add_argument("--warm-up", type=float, default=3.0, help="backlog alone first, s")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "bot":
        os.chdir(ROOT)
        asyncio.run(run_bot(args))
        return
    print(f"machine: {machine()}")
    r = asyncio.run(run_families(args))
    print(
        f"\n== concurrent replies, {args.db}, {args.families} families x {args.rounds} rounds, "
        f"backlog {args.backlog:,}, server latency {args.latency * 1000:.0f} ms, "
        f"update processor max_concurrent_updates {r['processor']} =="
    )
    print(f"reply latency:  {summary(r['latencies'])}")
    print(
        f"answers: {r['lost']} lost, {r['crossed']} crossed or out of order, {r['extra']} extra "
        f"({r['questions']} questions with answers of their own)"
    )
    sends = r["server_sends"]
    print(
        f"during the rounds ({r['rounds_seconds']:.1f} s): {sends:,} messages reached the server "
        f"({sends / r['rounds_seconds']:.1f}/s), {r['rate_limited']} answered 429; "
        f"dispatcher outcomes over the whole run {r['dispatched']}"
    )


if __name__ == "__main__":
    main()
