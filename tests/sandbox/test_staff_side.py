"""The sandbox's staff side without a browser: each team has a group on the page that the bot
posts to, Sam is linked once (and again after a reset), and the time machine runs the staff
queue, so an overdue request is posted again at 09:00 on each working day."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from domain import families, referrals
from domain.referrals import Contact
from sandbox.feed import STAFF
from sandbox.runner import Sandbox
from sandbox.staff import SAM_NAME, SAM_USER_ID, staff_groups
from store.models import ContactMethod, Referral, StaffMember, StaffRole
from tests.sandbox.test_sandbox import start_sandbox
from tests.scheduler.conftest import LONDON


async def staff_members(sandbox: Sandbox) -> list[StaffMember]:
    assert sandbox.application is not None
    async with sandbox.application.bot_data["services"].sessions() as session:
        return list(await session.scalars(select(StaffMember)))


def sams_chat_length(sandbox: Sandbox) -> int:
    return len(sandbox.feed.chats[SAM_USER_ID].messages)


async def test_each_team_has_a_group_and_sam_is_linked_once_and_again_after_a_reset(
    tmp_path: Path,
) -> None:
    sandbox = await start_sandbox(tmp_path)
    try:
        assert sandbox.application is not None
        spokes = sandbox.application.bot_data["services"].spokes
        groups = {view.chat_id: view.title for view in sandbox.feed.chats.values()}
        for team in spokes.teams.values():  # the bot posts where the page shows
            assert not team.placeholder
            assert team.group_chat_id < 0
            assert groups[team.group_chat_id] == f"{team.name} · staff group"
        assert sandbox.feed.chats[SAM_USER_ID].kind == STAFF
        [sam] = await staff_members(sandbox)
        assert (sam.name, sam.role, sam.telegram_user_id) == (
            SAM_NAME,
            StaffRole.ADMIN,
            SAM_USER_ID,
        )
        bubbles = list(sandbox.feed.chats[SAM_USER_ID].messages.values())
        assert bubbles[0]["text"].startswith("/staff ")  # linked as a member links
        assert "Your account is linked" in bubbles[1]["text"]
        linked_chat = sams_chat_length(sandbox)
    finally:
        await sandbox.stop()

    again = await start_sandbox(tmp_path)
    try:
        assert [member.id for member in await staff_members(again)] == [sam.id]
        assert sams_chat_length(again) == linked_chat  # not linked a second time
        assert again.feed.chats.keys() == groups.keys()  # the groups and Sam's chat, restored
        await again.start_again()
        [fresh] = await staff_members(again)
        assert fresh.telegram_user_id == SAM_USER_ID
        assert sams_chat_length(again) == linked_chat
    finally:
        await again.stop()


async def test_a_request_reaches_its_group_and_is_posted_again_at_nine_while_overdue(
    tmp_path: Path,
) -> None:
    sandbox = await start_sandbox(tmp_path)
    try:
        assert sandbox.application is not None and sandbox.time_machine is not None
        services = sandbox.application.bot_data["services"]
        spokes = services.spokes
        view = sandbox.feed.new_family("Ola", "en")
        now = sandbox.clock()
        async with services.sessions.begin() as session:
            family = await families.record_consent(
                session, view.chat_id, locale="en", source=None, now=now
            )
            families.complete_registration(family, now)
            made = await referrals.create(
                session, family=family, spoke=spokes.spoke("hub"),
                answers={"help_with": "Sleep"}, contact=Contact(ContactMethod.MESSAGE),
                consent_at=now, now=now, calendar=services.calendar,
            )  # fmt: skip
        reference = made.referral.reference
        await sandbox.time_machine.forward(timedelta(weeks=1))
        [hub] = [g for g in staff_groups(spokes) if g.team_id == "health_visiting"]
        posts = [
            bubble
            for bubble in sandbox.feed.chats[hub.chat_id].messages.values()
            if reference in bubble["text"]
        ]
        first, *reposts = posts
        assert "OVERDUE" not in first["text"]
        arrived = [datetime.fromtimestamp(b["date"], LONDON) for b in reposts]
        assert arrived, "no overdue repost in a week"
        for moment, bubble in zip(arrived, reposts, strict=True):
            assert bubble["text"].startswith("⏰ OVERDUE")
            assert moment.strftime("%H:%M") == "09:00"
            assert services.calendar.is_working_day(moment.date())
        assert len({moment.date() for moment in arrived}) == len(arrived)  # once a day
        async with services.sessions() as session:
            stored = await session.get(Referral, made.referral.id)
            assert stored is not None and stored.group_chat_id == hub.chat_id
    finally:
        await sandbox.stop()
