"""The real `growwell` command meeting the faults of a first start: each is explained in one line,
with no traceback, no token and no "Unclosed client session"; only Telegram out of reach is
waited for."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from local_bot_api.server import BotApiServer
from tests.e2e.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]
SECRET = TOKEN.partition(":")[2]


class Growwell:
    """`python -m cli.main run` with its stderr and stdout read line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, **env: str) -> Growwell:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli.main",
            "run",
            cwd=ROOT,
            env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "LOG_LEVEL": "INFO", **env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process)

    async def next_line(self, timeout: float = 60) -> str:  # noqa: ASYNC109
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert line, f"growwell ended; it said: {self.lines}"
        self.lines.append(line.decode().rstrip("\n"))
        return self.lines[-1]

    async def quiet_for(self, seconds: float) -> bool:
        """True if it printed nothing more in `seconds`."""
        try:
            await self.next_line(timeout=seconds)
        except TimeoutError:
            return True
        return False

    async def exit_status(self, timeout: float = 60) -> int:  # noqa: ASYNC109
        assert self.process.stdout is not None
        rest = await asyncio.wait_for(self.process.stdout.read(), timeout)
        self.lines += rest.decode().splitlines()
        return await self.process.wait()

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.exit_status()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def assert_tidy(output: str) -> None:
    assert "Traceback" not in output
    assert "Unclosed" not in output
    assert SECRET not in output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_telegram_out_of_reach_is_one_line_then_retried_until_it_answers(
    database_url: str,
) -> None:
    port = free_port()
    growwell = await Growwell.start(
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot", DATABASE_URL=database_url
    )
    try:
        first = await growwell.next_line()
        assert f"cannot reach Telegram at 127.0.0.1:{port} (NetworkError)" in first
        # It restarted itself lean (cli/lean.py), keeping its process id.
        cmdline = Path(f"/proc/{growwell.process.pid}/cmdline")
        command = (await asyncio.to_thread(cmdline.read_bytes)).split(b"\0")
        assert command[1:5] == [b"-OO", b"-m", b"cli.main", b"run"]
        environ = Path(f"/proc/{growwell.process.pid}/environ")
        assert b"MALLOC_ARENA_MAX=2" in (await asyncio.to_thread(environ.read_bytes)).split(b"\0")
        # With no web server, PTB runs without the cryptography library (its Rust core is
        # not mapped into the process).
        maps = await asyncio.to_thread(Path(f"/proc/{growwell.process.pid}/maps").read_text)
        assert "/cryptography/" not in maps
        assert await growwell.quiet_for(3.5)  # tries at 1 s and 2 s went by without a word
        async with BotApiServer(port=port) as telegram:
            user = telegram.user(user_id=5101, first_name="Ada")
            await user.send("/start")
            replies = await user.replies(timeout=30)
            assert replies[0].visible_text.startswith("👋 Welcome to Grow Well")
    finally:
        status = await growwell.stop()
    assert status == 0
    assert growwell.lines[0] == first
    # The shipped spokes.yaml has no real staff groups yet: said once, naming the teams.
    [unset] = [line for line in growwell.lines if "no staff group set yet" in line]
    assert "health_visiting, babs" in unset
    assert [line for line in growwell.lines if "Telegram" in line and "reach" in line] == [
        first,
        *[line for line in growwell.lines if "reached Telegram after" in line],
    ]
    assert_tidy(growwell.output)


async def test_a_token_telegram_refuses_stops_with_one_line_and_status_2(
    bot_api: BotApiServer, database_url: str
) -> None:
    bot_api.refuse_token(TOKEN)
    growwell = await Growwell.start(
        TELEGRAM_API_BASE_URL=bot_api.base_url, DATABASE_URL=database_url
    )
    assert await growwell.exit_status() == 2
    assert growwell.lines == [
        "growwell: TELEGRAM_BOT_TOKEN: Telegram refused this token; copy it again from "
        "@BotFather (it changes if the bot's token was revoked)"
    ]
    assert_tidy(growwell.output)


@pytest.mark.parametrize(
    ("database", "says"),
    [
        ("sqlite:///{tmp}/a-file/growwell.db", "DATABASE_URL: cannot create {tmp}/a-file:"),
        ("sqlite:////proc/growwell.db", "DATABASE_URL: cannot use sqlite+aiosqlite:////proc/"),
        (
            "postgresql://root@127.0.0.1:1/test",
            "DATABASE_URL: cannot use postgresql+asyncpg://root@127.0.0.1:1/test: "
            "Connect call failed",
        ),
    ],
    ids=["folder-cannot-be-made", "file-cannot-be-written", "postgresql-not-listening"],
)
async def test_a_database_that_cannot_be_used_stops_with_one_line_and_status_2(
    bot_api: BotApiServer, tmp_path: Path, database: str, says: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    growwell = await Growwell.start(
        TELEGRAM_API_BASE_URL=bot_api.base_url, DATABASE_URL=database.format(tmp=tmp_path)
    )
    assert await growwell.exit_status() == 2
    [line] = growwell.lines
    assert line.startswith("growwell: " + says.format(tmp=tmp_path)), line
    assert_tidy(growwell.output)
    assert bot_api.stats.calls["getMe"] == 0  # it stopped before going to Telegram


async def test_an_unknown_log_level_stops_with_one_line_and_status_2(
    bot_api: BotApiServer, database_url: str
) -> None:
    growwell = await Growwell.start(
        TELEGRAM_API_BASE_URL=bot_api.base_url, DATABASE_URL=database_url, LOG_LEVEL="LOUD"
    )
    assert await growwell.exit_status() == 2
    assert growwell.lines == [
        "growwell: LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    ]
