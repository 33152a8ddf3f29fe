"""Memory of the real bot process with N registered children (default 1,000,000).

    .venv/bin/python bench/memory.py --db sqlite
    .venv/bin/python bench/memory.py --db postgresql --seconds 40
    .venv/bin/python bench/memory.py --db sqlite --tracemalloc   # where the memory goes

Populates a throw-away database, starts a Bot API server in this process (with users for the
first --users chats, the families the dispatcher serves first), then starts the real bot as a
subprocess, `python -m cli.main run`, pointed at both. The bot migrates, runs the planner at
start and the dispatcher every 5 s by itself. Its VmRSS and VmHWM (peak RSS) are sampled from
/proc/<pid>/status every 0.2 s until --seconds have passed, then it is stopped with SIGTERM.

The bot uses the real clock, so if London is in quiet hours (21:00-08:00) or before the
afternoon send time, TIMEZONE is set to a fixed-offset zone where it is mid-afternoon now, so
the dispatcher has due messages; the population is dated for that zone's today.

With --tracemalloc the bot is started under `python -X tracemalloc=25` through a small
wrapper that prints the top allocation sites (by file and by traceback) when it is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from common import (
    PYTHON,
    ROOT,
    TOKEN,
    bench_database,
    engine_for,
    machine,
    plain_url,
    populate_children,
    proc_memory_kib,
)

from local_bot_api.server import BotApiServer

TARGET_MIB = 120
WRAPPER = """
import signal, sys, tracemalloc, linecache
sys.argv = ["growwell", "run"]
def dump(*_):
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
         tracemalloc.Filter(False, tracemalloc.__file__)])
    current, peak = tracemalloc.get_traced_memory()
    out = open(sys.argv_dump, "w")
    print(f"traced now {current / 2**20:.1f} MiB, traced peak {peak / 2**20:.1f} MiB", file=out)
    print("\\n-- top 25 by file --", file=out)
    for stat in snapshot.statistics("filename")[:25]:
        print(stat, file=out)
    print("\\n-- top 12 by traceback --", file=out)
    for stat in snapshot.statistics("traceback")[:12]:
        print(f"\\n{stat.size / 2**20:.2f} MiB in {stat.count} blocks", file=out)
        for line in stat.traceback.format(limit=8):
            print(line, file=out)
    out.close()
    raise KeyboardInterrupt
sys.argv_dump = DUMP_PATH
signal.signal(signal.SIGUSR1, dump)
from cli.main import main
main()
"""


def pick_zone() -> ZoneInfo:
    """Europe/London if it is between 13:00 and 20:00 there, else a zone where it is ~14:00."""
    london = ZoneInfo("Europe/London")
    if 13 <= datetime.now(london).hour < 20:
        return london
    utc_hour = datetime.now(ZoneInfo("UTC")).hour
    offset = (14 - utc_hour + 12) % 24 - 12  # local = UTC + offset, within -12..+11
    # Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
    name = "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    return ZoneInfo(name)


async def bench(args: argparse.Namespace) -> dict[str, object]:
    zone = pick_zone()
    today = datetime.now(zone).date()
    result: dict[str, object] = {"db": args.db, "zone": zone.key, "children": args.children}
    with bench_database(args.db, "memory") as database:
        async with engine_for(database.url) as engine:
            started = time.perf_counter()
            await populate_children(engine, args.children, today)
            result["build_s"] = time.perf_counter() - started
        async with BotApiServer(port=0) as server:
            for chat_id in range(1, args.users + 1):
                server.user(chat_id)
            log_path = Path(tempfile.mkstemp(prefix="growwell-bench-memory-", suffix=".log")[1])
            dump_path = log_path.with_suffix(".tracemalloc.txt")
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": server.base_url,
                "DATABASE_URL": plain_url(database.url),
                "TIMEZONE": zone.key,
                "LOG_LEVEL": "DEBUG",  # the planner and dispatcher lines read below
            }
            if args.tracemalloc:
                command = [
                    PYTHON,
                    "-X",
                    "tracemalloc=25",
                    "-c",
                    WRAPPER.replace("DUMP_PATH", repr(str(dump_path))),
                ]
            else:
                command = [PYTHON, "-m", "cli.main", "run"]
            with log_path.open("wb") as log:  # noqa: ASYNC230 - once, before the bot starts
                bot = await asyncio.create_subprocess_exec(
                    *command, cwd=ROOT, env=env, stdout=log, stderr=log
                )
                samples: list[tuple[float, int, int]] = []
                sends: list[tuple[float, int]] = []
                began = time.monotonic()
                try:
                    while time.monotonic() - began < args.seconds and bot.returncode is None:
                        try:
                            memory = proc_memory_kib(bot.pid)
                        except (FileNotFoundError, ProcessLookupError):
                            break
                        if "VmRSS" in memory:
                            samples.append(
                                (time.monotonic() - began, memory["VmRSS"], memory["VmHWM"])
                            )
                        sends.append((time.monotonic() - began, server.stats.calls["sendMessage"]))
                        await asyncio.sleep(0.2)
                finally:
                    calls_at_stop = server.stats.calls["sendMessage"]
                    if bot.returncode is None:
                        bot.send_signal(signal.SIGUSR1 if args.tracemalloc else signal.SIGTERM)
                        stopping = time.monotonic()
                        try:
                            await asyncio.wait_for(bot.wait(), args.stop_wait)
                            result["exit_s"] = time.monotonic() - stopping
                        except TimeoutError:
                            bot.kill()
                            await bot.wait()
                            result["exit_s"] = None
            result["sends_after_stop"] = server.stats.calls["sendMessage"] - calls_at_stop
            result["sent"] = server.sent_messages_count
            active = [(t, n) for t, n in sends if n]
            if len(active) > 1:
                (t0, n0), (t1, n1) = active[0], active[-1]
                result["send_rate"] = (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0
                result["first_send_s"] = t0
                result["sends_at"] = {
                    f"{t:.0f}s": n
                    for t, n in sends
                    if abs(t - round(t)) < 0.11 and round(t) % 10 == 0
                }
            result["calls"] = dict(server.stats.calls)
        logs = await asyncio.to_thread(log_path.read_text, errors="replace")
        await asyncio.to_thread(log_path.unlink)
    if not samples:
        raise SystemExit(f"the bot did not run:\n{logs[-3000:]}")
    result["peak_hwm_mib"] = max(s[2] for s in samples) / 1024
    result["peak_rss_mib"] = max(s[1] for s in samples) / 1024
    result["last_rss_mib"] = samples[-1][1] / 1024
    result["rss_at"] = {
        f"{t:.0f}s": round(rss / 1024, 1)
        for t, rss, _ in samples
        if abs(t - round(t)) < 0.11 and round(t) % 5 == 0
    }
    result["planner_lines"] = re.findall(r"planner: .*", logs)
    result["dispatcher_lines"] = re.findall(r"dispatcher: .*", logs)
    result["errors"] = [line for line in logs.splitlines() if " ERROR " in line][:5]
    if args.tracemalloc and dump_path.exists():
        result["tracemalloc"] = dump_path.read_text()
        dump_path.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument(
        "--users",
        type=int,
        default=100_000,
        help="server-side users for chat ids 1..N (default 100,000)",
    )
    parser.add_argument(
        "--stop-wait",
        type=float,
        default=15.0,
        help="seconds to wait for the bot to exit after SIGTERM before killing it",
    )
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    r = asyncio.run(bench(args))
    if "tracemalloc" in r:
        print(r["tracemalloc"])
    print(f"\n== bot memory, {r['db']}, {r['children']:,} children, TIMEZONE={r['zone']} ==")
    print(f"population built in {r['build_s']:.1f} s")
    print(f"RSS over time (MiB): {r['rss_at']}")
    print(f"planner: {r['planner_lines']}")
    print(
        f"dispatcher: {r['dispatcher_lines'][:3]}"
        f"{' ...' if len(r['dispatcher_lines']) > 3 else ''}"
    )
    print(f"server: {r['sent']:,} messages delivered; calls {r['calls']}")
    print(f"sendMessage calls so far: {r.get('sends_at')}")
    if "send_rate" in r:
        print(
            f"first sendMessage {r['first_send_s']:.1f} s after start, then "
            f"{r['send_rate']:.1f} sendMessage calls/s"
        )
    if r.get("exit_s") is None:
        print(
            f"after SIGTERM the bot had not exited within {args.stop_wait:.0f} s (killed); it "
            f"sent {r['sends_after_stop']:,} more messages while stopping"
        )
    else:
        print(
            f"after SIGTERM the bot exited in {r['exit_s']:.1f} s, sending "
            f"{r['sends_after_stop']:,} more messages while stopping"
        )
    if r["errors"]:
        print(f"bot errors: {r['errors']}")
    print(
        f"peak RSS (VmHWM) {r['peak_hwm_mib']:.1f} MiB, last RSS {r['last_rss_mib']:.1f} MiB "
        f"(target < {TARGET_MIB} MiB{', tracemalloc adds overhead' if 'tracemalloc' in r else ''})"
    )


if __name__ == "__main__":
    main()
