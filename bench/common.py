"""Shared helpers for the benchmarks: throw-away databases, bulk populations, a Bot API server
in its own process, and memory readings from /proc.

Nothing here is imported by the bot; the scripts in this folder put the repository root on
sys.path themselves, so `python bench/<name>.py` works from the repository root.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from resources.message_plan import Anchor, MessagePlan, Priority, Track  # noqa: E402
from store.engine import create_engine  # noqa: E402
from store.migrate import upgrade_sync  # noqa: E402
from store.models import Child, Delivery, Family  # noqa: E402

PYTHON = sys.executable
TOKEN = "123456789:BENCH-token-abcdefghij"
LONDON = ZoneInfo("Europe/London")
PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_USER = os.environ.get("BENCH_PG_USER", "root")
CHILD_YEARS = 5  # born children spread over the last five years
DUE_SPREAD_DAYS = 280  # expected babies due over the next nine months or so
BORN_PERCENT = 85


# --- databases -------------------------------------------------------------------------------


@dataclass
class BenchDatabase:
    """A database of its own for one benchmark run: a temporary SQLite file, or a PostgreSQL
    database created with createdb and dropped at the end. Never touches `test`."""

    kind: str  # sqlite | postgresql
    url: str
    _cleanup: str  # a folder to remove, or a database to drop

    def drop(self) -> None:
        if self.kind == "sqlite":
            shutil.rmtree(self._cleanup, ignore_errors=True)
        else:
            subprocess.run(
                ["dropdb", "-h", PG_HOST, "-U", PG_USER, "--if-exists", "--force", self._cleanup],
                check=False,
            )


def create_database(kind: str, label: str) -> BenchDatabase:
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix=f"growwell-bench-{label}-")
        return BenchDatabase(kind, f"sqlite+aiosqlite:///{folder}/bench.db", folder)
    if kind != "postgresql":
        raise SystemExit(f"--db must be sqlite or postgresql, not {kind!r}")
    name = f"bench_{label}_{os.getpid()}"
    if name == "test":  # belt and braces: the test database is not ours
        raise SystemExit("refusing to use the test database")
    subprocess.run(["createdb", "-h", PG_HOST, "-U", PG_USER, name], check=True)
    return BenchDatabase(kind, f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:5432/{name}", name)


@contextlib.contextmanager
def bench_database(kind: str, label: str) -> Iterator[BenchDatabase]:
    """A migrated database, dropped (or deleted) when the block ends, whatever happens."""
    database = create_database(kind, label)
    try:
        # In a worker thread: Alembic's env starts its own event loop, and we may be in one.
        with ThreadPoolExecutor(1) as worker:
            worker.submit(upgrade_sync, database.url).result()
        yield database
    finally:
        database.drop()


def plain_url(url: str) -> str:
    """The URL as an operator writes it (what the bot's DATABASE_URL accepts)."""
    return url.replace("+aiosqlite", "").replace("+asyncpg", "")


# --- populations -----------------------------------------------------------------------------


def _days(dialect: str, base: str, offset_sql: str) -> str:
    """SQL for the date `base` (YYYY-MM-DD) plus an integer expression of days."""
    if dialect == "postgresql":
        return f"(DATE '{base}' + ({offset_sql})::int)"
    return f"date('{base}', ({offset_sql}) || ' days')"


def _at_ten(dialect: str, day_sql: str) -> str:
    """10:00 on a day, as the app stores naive UTC datetimes."""
    if dialect == "postgresql":
        return f"({day_sql} + TIME '10:00')"
    return f"({day_sql} || ' 10:00:00.000000')"


def _series(dialect: str, count: int) -> tuple[str, str]:
    """(prefix, FROM clause) producing integers i = 1..count."""
    if dialect == "postgresql":
        return "", f"generate_series(1::bigint, {count}) AS s(i)"
    return (
        f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count}) ",
        "s",
    )


def _bool(dialect: str, value: bool) -> str:
    if dialect == "postgresql":
        return "true" if value else "false"
    return "1" if value else "0"


async def populate_children(
    engine: AsyncEngine, children: int, today: date, *, chat_base: int = 0
) -> dict[str, int]:
    """`children` children in realistic families, with a few bulk INSERT ... SELECT statements.

    * families: one per child, but every 20th child is a second child of an earlier family;
      all registered (registered_at = the day they joined, 1-365 days ago), with a send time
      (morning/afternoon/evening in turn), a locale (85% en, pl, pt, ar), mums, dads and
      partners (15% on the fathers' track); 1% muted the "crying" tips.
    * children: 85% born, birth dates spread over the last five years; 15% expected, due dates
      spread over the next 280 days; plan_from = the day the family joined (before today).
    """
    dialect = engine.dialect.name
    families = children - children // 20
    t, f = _bool(dialect, True), _bool(dialect, False)
    joined = _days(dialect, today.isoformat(), "-(1 + i % 365)")
    prefix, series = _series(dialect, families)
    family_sql = f"""
        {prefix}INSERT INTO families (id, chat_id, locale, role, area, in_sefton, send_time,
            fathers_track, source, consented_at, registered_at, paused, blocked, last_seen_at,
            last_sent_on, created_at, updated_at)
        SELECT i, {chat_base} + i,
            CASE WHEN i % 100 < 85 THEN 'en' WHEN i % 100 < 91 THEN 'pl'
                 WHEN i % 100 < 96 THEN 'pt' ELSE 'ar' END,
            CASE WHEN i % 20 < 17 THEN 'mum' WHEN i % 20 < 19 THEN 'dad' ELSE 'partner' END,
            'bootle', {t},
            CASE i % 3 WHEN 0 THEN 'morning' WHEN 1 THEN 'afternoon' ELSE 'evening' END,
            CASE WHEN i % 20 >= 17 THEN {t} ELSE {f} END,
            NULL, {_at_ten(dialect, joined)}, {_at_ten(dialect, joined)}, {f}, {f}, NULL, NULL,
            {_at_ten(dialect, joined)}, {_at_ten(dialect, joined)}
        FROM {series}
    """
    # h: a cheap deterministic hash of i, the same on both databases.
    prefix, series = _series(dialect, children)
    family_of = (
        f"CASE WHEN i <= {families} THEN i ELSE ((i - {families}) * 19) % {families} + 1 END"
    )
    born = f"((i * 40503) % 100) < {BORN_PERCENT}"
    born_days = f"-(h % {CHILD_YEARS * 365 + 1})"
    hashed = "((i * 2654435761) % 1000003)"
    child_joined = _days(dialect, today.isoformat(), "-(1 + fam % 365)")
    child_sql = f"""
        {prefix}INSERT INTO children (id, family_id, due_date, birth_date, status,
            loss_reported_at, plan_from, created_at)
        SELECT i, fam,
            CASE WHEN born THEN NULL
                 ELSE {_days(dialect, today.isoformat(), f"1 + h % {DUE_SPREAD_DAYS}")} END,
            CASE WHEN born THEN {_days(dialect, today.isoformat(), born_days)}
                 ELSE NULL END,
            'active', NULL, {child_joined}, {_at_ten(dialect, child_joined)}
        FROM (SELECT i, {family_of} AS fam, {born} AS born, {hashed} AS h FROM {series}) AS c
    """
    prefix, series = _series(dialect, families)
    muted_sql = f"""
        {prefix}INSERT INTO muted_topics (family_id, topic)
        SELECT i, 'crying' FROM {series} WHERE i % 100 = 7
    """
    async with engine.begin() as connection:
        await connection.execute(text(family_sql))
        await connection.execute(text(child_sql))
        await connection.execute(text(muted_sql))
    await analyze(engine)
    return {"families": families, "children": children}


async def analyze(engine: AsyncEngine) -> None:
    """Fresh statistics after a bulk load (autovacuum / a long-running SQLite would have them);
    on PostgreSQL also move the id sequences past the ids the bulk load wrote."""
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            # Rows were inserted with explicit ids: move the id sequences past them.
            for table in ("families", "children", "deliveries"):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                    )
                )
            # VACUUM as autovacuum would after a bulk load: it also marks the pages all-visible,
            # which index-only scans (the reports' counts) need.
            await connection.execute(text("VACUUM ANALYZE"))
        else:
            await connection.execute(text("ANALYZE"))
            await connection.commit()


def due_entries(plan: MessagePlan, today: date) -> list[tuple[object, date]]:
    """Birth-date entries a child born on (today - offset) gets today, with that birth date."""
    picked = []
    for entry in plan.entries:
        if entry.anchor is not Anchor.BIRTH_DATE or entry.months or entry.offset_days is None:
            continue
        born = today - timedelta(days=entry.offset_days)
        if entry.covers_birth(born):
            picked.append((entry, born))
    return picked


async def populate_due(
    engine: AsyncEngine,
    plan: MessagePlan,
    count: int,
    today: date,
    *,
    first_chat_id: int = 1,
) -> list[int]:
    """`count` registered families, each with one child and one plan message due today.

    The messages cycle through the shipped plan's birth-date entries (tips with their
    buttons, immunisations, reviews), in four locales. Returns the chat ids.
    """
    entries = due_entries(plan, today)
    joined = datetime.combine(today - timedelta(days=30), clock_time(10), tzinfo=UTC)
    locales = ["en"] * 17 + ["pl", "pt", "ar"]
    families, children, deliveries = [], [], []
    for n in range(count):
        entry, born = entries[n % len(entries)]
        chat_id = first_chat_id + n
        families.append(
            {
                "id": n + 1,
                "chat_id": chat_id,
                "locale": locales[n % len(locales)],
                "role": "dad" if entry.track is Track.FATHERS else "mum",
                "area": "bootle",
                "in_sefton": True,
                "send_time": "morning" if n % 2 else "afternoon",
                "fathers_track": entry.track is Track.FATHERS,
                "consented_at": joined,
                "registered_at": joined,
                "paused": False,
                "blocked": False,
                "created_at": joined,
                "updated_at": joined,
            }
        )
        children.append(
            {
                "id": n + 1,
                "family_id": n + 1,
                "birth_date": born,
                "status": "active",
                "plan_from": joined.date(),
                "created_at": joined,
            }
        )
        deliveries.append(
            {
                "family_id": n + 1,
                "child_id": n + 1,
                "entry_key": entry.key,
                "topic": entry.topic.value,
                "priority": 10 if entry.priority is Priority.CRITICAL else 0,
                "due_on": today,
                "stale_on": today + timedelta(days=entry.stale_after_days),
                "status": "pending",
                "attempts": 0,
                "created_at": joined,
            }
        )
    async with engine.begin() as connection:
        for table, rows in (
            (Family.__table__, families),
            (Child.__table__, children),
            (Delivery.__table__, deliveries),
        ):
            for start in range(0, len(rows), 5000):
                await connection.execute(insert(table), rows[start : start + 5000])
    await analyze(engine)
    return [f["chat_id"] for f in families]


async def reset_backlog(engine: AsyncEngine) -> None:
    """Every delivery pending again and no family served today: the same backlog once more."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE deliveries SET status = 'pending', attempts = 0, claimed_at = NULL, "
                "sent_at = NULL, next_attempt_at = NULL, last_error = NULL"
            )
        )
        await connection.execute(text("UPDATE families SET last_sent_on = NULL"))


def afternoon(today: date, zone: ZoneInfo = LONDON) -> datetime:
    """14:00 local on `today`: morning and afternoon send times have passed, no quiet hours."""
    return datetime.combine(today, clock_time(14), tzinfo=zone).astimezone(UTC)


def moving_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at `start` and runs at real speed (retry times then come due)."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def local_today(zone: ZoneInfo = LONDON) -> date:
    return datetime.now(zone).date()


# --- the Bot API server in its own process ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"


@contextlib.contextmanager
def server_process(latency: float = 0.0) -> Iterator[ServerProcess]:
    """`python -m local_bot_api` on a free loopback port, stopped at the end; `latency` holds
    every bot call that long, as the trip to Telegram does."""
    port = free_port()
    where = ["--port", str(port), "--host", "127.0.0.1", "--latency", str(latency)]
    process = subprocess.Popen(
        [PYTHON, "-m", "local_bot_api", *where],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Bot API server did not start")
            time.sleep(0.05)
        yield ServerProcess(process, port)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()


async def create_users(server_url: str, chat_ids: list[int], concurrency: int = 32) -> None:
    """Make the server know each chat (a user who has opened the bot) through its control API:
    reading a user's messages creates the user, without sending the bot any update."""
    import aiohttp

    queue: asyncio.Queue[int] = asyncio.Queue()
    for chat_id in chat_ids:
        queue.put_nowait(chat_id)

    async def worker(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            chat_id = queue.get_nowait()
            async with http.get(f"{server_url}/control/users/{chat_id}/messages") as response:
                response.raise_for_status()
                await response.read()

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))


async def server_stats(server_url: str) -> dict[str, object]:
    import aiohttp

    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server_url}/control/stats") as response,
    ):
        body = await response.json()
    return dict(body["result"])


# --- memory ----------------------------------------------------------------------------------


def proc_memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB, from /proc/<pid>/status."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


@contextlib.asynccontextmanager
async def engine_for(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load average {load[0]:.2f} at start"
    )
