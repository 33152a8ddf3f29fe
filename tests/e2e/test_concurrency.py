"""Many families at once: each is answered in the order it wrote, none waits for another, and
a reply never waits behind the dispatcher's scheduled sends.

A `Gate` in the first handler group holds one family's updates until the test lets them go,
so what happens meanwhile can be looked at without timing anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import GrowWellApplication
from bot.context import GrowWellContext
from local_bot_api.server import BotApiServer
from scheduler.dispatcher import Dispatcher
from store.models import ChatDraft
from tests.conftest import Clock
from tests.e2e.transcript import PROGRESS
from tests.scheduler.conftest import local, make_family

Sessions = async_sessionmaker[AsyncSession]
GATE_GROUP = -2  # before the safety group: nothing of the app has run yet
MIDWAY = "midway"  # in a held family's drafts: a handler that has not finished its step


class Gate:
    """Holds every update of one chat until `open` is set; counts how many run at once."""

    def __init__(self, chat_id: int, *, mark_drafts: bool = False) -> None:
        self.chat_id = chat_id
        self.open = asyncio.Event()
        self.held = 0
        self.most_at_once = 0
        self._mark_drafts = mark_drafts

    async def __call__(self, update: Update, context: GrowWellContext) -> None:
        if update.effective_chat is None or update.effective_chat.id != self.chat_id:
            return
        self.held += 1
        self.most_at_once = max(self.most_at_once, self.held)
        if self._mark_drafts:
            context.drafts[MIDWAY] = True
        await self.open.wait()
        self.held -= 1


GateFor = Callable[..., Gate]


@pytest.fixture
def gate(bot_without_jobs: GrowWellApplication) -> Iterator[GateFor]:
    """`gate(chat_id)` holds that chat's updates; every gate opens when the test ends, so the
    bot can stop even after a failed assertion."""
    gates: list[Gate] = []

    def hold(chat_id: int, *, mark_drafts: bool = False) -> Gate:
        held = Gate(chat_id, mark_drafts=mark_drafts)
        bot_without_jobs.add_handler(TypeHandler(Update, held), group=GATE_GROUP)
        gates.append(held)
        return held

    yield hold
    for held in gates:
        held.open.set()


async def until(condition: Callable[[], bool]) -> None:
    """Wait for something another task does (never a fixed time)."""

    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - the bot or the server changes it
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), 20)


async def registered(
    bot: GrowWellApplication, sessions: Sessions, clock: Clock, *chat_ids: int
) -> None:
    plan = bot.bot_data["services"].plan
    for chat_id in chat_ids:
        await make_family(sessions, plan, clock, chat_id, born=date(2026, 9, 2))


async def test_a_familys_messages_are_answered_one_at_a_time_in_the_order_sent(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
    gate: GateFor,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await registered(bot_without_jobs, sessions, clock, 9101)
    held = gate(9101)
    user = bot_api.user(user_id=9101)
    before = PROGRESS.seen(9101)
    for command in ("/help", "/reminders", "/menu", "/library"):
        await user.send(command)
    # All four reached the bot while the first is still being handled.
    await until(lambda: bot_without_jobs.update_processor.current_concurrent_updates == 4)
    held.open.set()
    await PROGRESS.wait_past(9101, before + 3)
    firsts = [m.visible_text.splitlines()[0] for m in user.messages]
    assert len(firsts) == 4
    assert firsts[1].startswith("Coming up")
    assert firsts[2] == "What would you like to do?"
    assert len(set(firsts)) == 4
    assert held.most_at_once == 1
    alone = bot_api.user(user_id=9102)
    await registered(bot_without_jobs, sessions, clock, 9102)
    for command in ("/help", "/reminders", "/menu", "/library"):
        before = PROGRESS.seen(9102)
        await alone.send(command)
        await PROGRESS.wait_past(9102, before)
    assert [m.visible_text.splitlines()[0] for m in alone.messages] == firsts


async def test_a_family_waiting_for_a_slow_answer_does_not_hold_up_another(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
    gate: GateFor,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await registered(bot_without_jobs, sessions, clock, 9111, 9112)
    held = gate(9111)
    slow, quick = bot_api.user(user_id=9111), bot_api.user(user_id=9112)
    await slow.send("/menu")
    await until(lambda: held.held == 1)
    before = PROGRESS.seen(9112)
    await quick.send("/menu")
    await PROGRESS.wait_past(9112, before)
    assert [m.visible_text for m in quick.messages] == ["What would you like to do?"]
    assert slow.messages == []
    held.open.set()
    [answer] = await slow.replies()
    assert answer.visible_text == "What would you like to do?"


async def test_a_reply_goes_out_before_scheduled_sends_already_waiting_their_turn(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    """60 reminders wait for their turns (one every 1/29 s); a family writing meanwhile is
    answered at the next turn, long before the last reminder."""
    services = bot_without_jobs.bot_data["services"]
    clock.now = local(2026, 11, 23, 10)
    backlog = [9200 + n for n in range(60)]
    await registered(bot_without_jobs, sessions, clock, *backlog)
    for chat_id in backlog:
        bot_api.user(user_id=chat_id)
    dispatcher = Dispatcher(  # every reminder waits in the app's limiter at once
        sessions=sessions,
        bot=bot_without_jobs.bot,
        plan=services.plan,
        rules=services.rules,
        zone=services.zone,
        clock=clock,
        batch_size=len(backlog),
        concurrency=len(backlog),
    )
    sending = asyncio.create_task(dispatcher.run_once())
    await until(lambda: bot_api.sent_messages_count >= 1)
    family = bot_api.user(user_id=9199)
    await family.send("hello")
    await until(lambda: bool(family.messages))
    reminders_before_the_reply = bot_api.sent_messages_count - 1
    report = await sending
    assert family.messages[0].visible_text.startswith("Hello! Send /start to sign up.")
    assert report.outcomes["sent"] == len(backlog)
    assert reminders_before_the_reply < len(backlog) // 2


async def test_a_family_midway_through_an_update_is_saved_by_that_update_not_another(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
    gate: GateFor,
) -> None:
    """PTB writes every chat's data when any update flushes; a half-handled chat's copy could
    land after its own step was saved. It is left to its own update."""
    clock.now = local(2026, 11, 23, 10)
    await registered(bot_without_jobs, sessions, clock, 9301, 9302)
    midway, other = bot_api.user(user_id=9301), bot_api.user(user_id=9302)
    before = PROGRESS.seen(9301)
    await midway.send("/menu")  # a finished update: PTB marks the chat to be written again
    await PROGRESS.wait_past(9301, before)
    held = gate(9301, mark_drafts=True)
    await midway.send("/help")
    await until(lambda: held.held == 1)
    before = PROGRESS.seen(9302)
    await other.send("/menu")
    await PROGRESS.wait_past(9302, before)

    async def drafts_on_disk() -> dict[str, object] | None:
        async with sessions() as session:
            return await session.scalar(select(ChatDraft.data).where(ChatDraft.chat_id == 9301))

    assert await drafts_on_disk() is None
    before = PROGRESS.seen(9301)
    held.open.set()
    await PROGRESS.wait_past(9301, before)
    assert await drafts_on_disk() == {MIDWAY: True}
