"""Summarise a py-spy raw (collapsed) profile of the dispatcher into where the time goes.

    .venv/bin/py-spy record -r 250 --format raw -o /tmp/spy.txt -- \
        .venv/bin/python bench/dispatcher.py --db sqlite --deliveries 5000
    .venv/bin/python bench/spy_summary.py /tmp/spy.txt

Samples from the benchmark's own setup (population, server users) are left out; the rest is
split by the first matching category, innermost-first for the library buckets.
"""

from __future__ import annotations

import sys
from collections import Counter

SETUP = (
    "populate_due",
    "create_users",
    "bench_database",
    "upgrade_sync",
    "analyze",
    "reset_backlog",
)
CATEGORIES = [
    ("render (scheduler/rendering.py)", ("scheduler/rendering.py",)),
    ("mark_sent / _record", ("mark_sent", "_record (scheduler/dispatcher.py")),
    ("claim_batch", ("claim_batch",)),
    ("PTB Bot.send_message (telegram, httpx, httpcore)", ("telegram/", "httpx/", "httpcore/")),
    ("SQLAlchemy / driver, other", ("sqlalchemy/", "aiosqlite/", "asyncpg/")),
    ("asyncio event loop", ("asyncio/",)),
]


def category(stack: str) -> str:
    for name, needles in CATEGORIES:
        if any(needle in stack for needle in needles):
            return name
    return "other"


def main() -> None:
    totals: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    with open(sys.argv[1]) as raw:
        lines = raw.readlines()
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not count.isdigit() or any(s in stack for s in SETUP):
            continue
        n = int(count)
        thread = "driver thread" if "aiosqlite/core.py" in stack and "run (" in stack else "main"
        threads[thread] += n
        totals[category(stack) if thread == "main" else "SQLite in aiosqlite's thread"] += n
    all_samples = sum(totals.values()) or 1
    for name, n in totals.most_common():
        print(f"{n / all_samples:6.1%}  {name}")
    print(f"threads: {dict(threads)}")


if __name__ == "__main__":
    main()
