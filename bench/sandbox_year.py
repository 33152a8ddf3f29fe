"""How long the sandbox's time machine takes to run a family's first year.

Run with `python bench/sandbox_year.py` (`--families 3` for more than one). Starts the whole
sandbox in this process (its own temporary SQLite file, the Bot API server on a free loopback
port, the real bot), signs families up through the Bot API as the chat page does (a baby born
that day, morning messages), then moves time forward one year in one jump: the real planner
every day and the real dispatcher at each moment a message could go. Prints the seconds taken
and the messages delivered. Target: under 10 s for one family.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import load_settings
from local_bot_api.users import TelegramUser
from sandbox.runner import Sandbox
from sandbox.time_machine import months_later


async def sign_up(user: TelegramUser, born: str) -> None:
    """The English sign-up, as tests/e2e/test_onboarding.py's signed_up does it."""

    async def tap(label: str) -> None:
        await user.press(label)
        await user.replies(settle=0.5)

    await user.send("/start")
    await user.replies(settle=0.5)
    for label in ("Yes, that's OK", "English", "Mum", "My baby has been born"):
        await tap(label)
    await user.send(born)
    await user.replies(settle=0.5)
    for label in ("Yes, that's right", "No, that's everyone", "Bootle", "Morning, around 09:30"):
        await tap(label)


async def run(families: int) -> None:
    with tempfile.TemporaryDirectory(prefix="growwell-bench-sandbox-") as folder:
        sandbox = Sandbox(load_settings(), port=0, database=Path(folder) / "sandbox.db")
        zone = load_settings().zone
        tomorrow = datetime.now(zone).date() + timedelta(days=1)
        sandbox.clock.move_to(
            datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, tzinfo=zone)
        )
        await sandbox.start()
        try:
            born = f"{tomorrow.day}/{tomorrow.month}/{tomorrow.year}"
            for number in range(families):
                await sign_up(sandbox.server.user(7_000_001 + number, f"Family {number}"), born)
            machine = sandbox.time_machine
            assert machine is not None
            report = await machine.move_to(months_later(sandbox.clock(), 12))
        finally:
            await sandbox.stop()
    print(f"families: {families}")
    print(f"jumped: {report.days} days, {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}")
    print(f"messages delivered: {report.sent}")
    print(f"one-year jump: {report.seconds:.2f} s (target < 10 s for one family)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=1)
    asyncio.run(run(parser.parse_args().families))


if __name__ == "__main__":
    main()
