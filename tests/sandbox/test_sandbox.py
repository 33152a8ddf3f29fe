"""The sandbox without a browser: its clock reaches the database, it carries on after a restart
(or starts empty with --reset), and a group the bot writes to becomes one more chat."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import load_settings
from sandbox.clock import SandboxClock
from sandbox.feed import FAMILY, GROUP, ChatView
from sandbox.runner import Sandbox
from sandbox.time_machine import CannotJump, months_later
from store.engine import create_engine, session_factory
from store.models import Child, Family
from tests.sandbox.conftest import tomorrow_at_ten


def test_the_clock_only_moves_forward() -> None:
    system = datetime(2027, 3, 1, 12, tzinfo=UTC)
    clock = SandboxClock(system=lambda: system)
    clock.move_to(system + timedelta(days=3))
    clock.move_to(system + timedelta(days=1))
    assert clock() == system + timedelta(days=3)
    assert clock.offset == timedelta(days=3)
    with pytest.raises(ValueError, match="naive"):
        clock.move_to(datetime(2028, 1, 1))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2027, 12, 15), 1, date(2028, 1, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
    ],
)
def test_a_month_forward_keeps_the_day_where_the_month_has_it(
    start: date, months: int, expected: date
) -> None:
    moment = datetime(start.year, start.month, start.day, 10, tzinfo=UTC)
    assert months_later(moment, months).date() == expected


async def test_rows_are_stamped_with_the_engines_clock(database_url: str) -> None:
    """created_at and its kind come from the clock the bot runs on, not the computer's."""
    moved = datetime(2031, 6, 2, 9, 30, tzinfo=UTC)
    engine = create_engine(database_url, clock=lambda: moved)
    try:
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            family = Family(chat_id=990001, locale="en", consented_at=moved, children=[])
            session.add(family)
            await session.flush()
            session.add(Child(family_id=family.id, due_date=date(2031, 9, 1)))
        async with sessions() as session:
            family = (await session.scalars(select(Family).where(Family.chat_id == 990001))).one()
            assert (family.created_at, family.updated_at) == (moved, moved)
            assert family.children[0].created_at == moved
        async with sessions.begin() as session:
            await session.delete(await session.get(Family, family.id))
    finally:
        await engine.dispose()


def families(sandbox: Sandbox) -> list[ChatView]:
    return [view for view in sandbox.feed.chats.values() if view.kind == FAMILY]


async def start_sandbox(folder: Path, *, reset: bool = False) -> Sandbox:
    sandbox = Sandbox(load_settings(), port=0, database=folder / "sandbox.db", reset=reset)
    sandbox.clock.move_to(tomorrow_at_ten())
    await sandbox.start()
    return sandbox


async def test_the_sandbox_carries_on_after_a_restart_and_reset_empties_it(
    tmp_path: Path,
) -> None:
    sandbox = await start_sandbox(tmp_path)
    try:
        view = sandbox.feed.new_family("Ola", "pl")
        family = sandbox.server.user(view.chat_id)
        await family.send("/start")
        [notice] = await family.replies()
        assert sandbox.time_machine is not None
        await sandbox.time_machine.forward(timedelta(days=2))
        moved_to = sandbox.clock()
    finally:
        await sandbox.stop()

    again = await start_sandbox(tmp_path)
    try:
        [restored] = families(again)
        assert (restored.title, restored.language_code) == ("Ola", "pl")
        assert [bubble["from"] for bubble in restored.messages.values()] == ["family", "bot"]
        assert again.clock() >= moved_to
        # The family carries on where they were: the bot still has their consent question open.
        family = again.server.user(restored.chat_id)
        await family.press_data(notice.message_id, notice.inline_keyboard[0][0]["callback_data"])
        assert await family.replies()
        assert max(restored.messages) > notice.message_id  # numbering carried on
    finally:
        await again.stop()

    empty = await start_sandbox(tmp_path, reset=True)
    try:
        assert families(empty) == []
        assert empty.clock() < moved_to
    finally:
        await empty.stop()


async def test_a_group_the_bot_writes_to_is_one_more_chat(tmp_path: Path) -> None:
    """Room for the staff group: whatever group id the bot is set to post to shows up."""
    sandbox = await start_sandbox(tmp_path)
    try:
        assert sandbox.application is not None
        await sandbox.application.bot.send_message(-1001234567, "<b>New request</b>", "HTML")
        group = sandbox.feed.chats[-1001234567]
        assert group.kind == GROUP
        [bubble] = group.messages.values()
        assert bubble["text"] == "New request"
        assert bubble["entities"] == [{"type": "bold", "offset": 0, "length": 11}]
        assert sandbox.feed.family(-1001234567) is None  # nobody types in it as a family
    finally:
        await sandbox.stop()


async def test_to_the_birth_needs_a_family_that_is_expecting(tmp_path: Path) -> None:
    sandbox = await start_sandbox(tmp_path)
    try:
        assert sandbox.time_machine is not None
        with pytest.raises(CannotJump, match="not expecting"):
            await sandbox.time_machine.to_birth(7_000_001)
    finally:
        await sandbox.stop()
