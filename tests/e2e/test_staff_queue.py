"""The staff queue in Telegram, as a health visiting team sees it: a Polish family's request
reaches the BABS group, Ann claims it, opens it, writes to the family and hears back, records
the contact and closes it; the family is told each step in Polish. Also: presses by people who
may not act, the claim race, an outage, restarts, the overdue repost around Christmas, and the
audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import GrowWellApplication
from domain import families, referrals, staff
from domain.referrals import Contact
from local_bot_api.chats import GroupChat, SentMessage
from local_bot_api.server import BotApiServer
from local_bot_api.users import TelegramUser
from resources.spokes import shipped_spokes
from scheduler.jobs import DISPATCHER_KEY, STAFF_QUEUE_KEY
from store.models import ContactMethod, Family, Referral, ReferralStatus, StaffMember
from tests.conftest import Clock
from tests.e2e.conftest import start_bot, stop_bot

Sessions = async_sessionmaker[AsyncSession]
SPOKES = shipped_spokes()
BABS_GROUP = SPOKES.team("babs").group_chat_id


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "the bot did not get there in time"
        await asyncio.sleep(0.02)


async def press(user: TelegramUser, group: GroupChat, label: str) -> str:
    """A member presses a button on the group post; what the bot answered them."""
    answered = len(user.callback_answers)
    await user.press_in(group, label)
    await eventually(lambda: len(user.callback_answers) > answered)
    return user.callback_answers[-1]


def post(group: GroupChat) -> SentMessage:
    return list(group.bot_messages.values())[-1]


async def family(sessions: Sessions, chat_id: int, locale: str, now: datetime) -> Family:
    async with sessions.begin() as session:
        made = await families.record_consent(session, chat_id, locale=locale, source=None, now=now)
        families.complete_registration(made, now)
        return made


async def member(
    sessions: Sessions, user_id: int, name: str, team: str = "babs", now: datetime | None = None
) -> StaffMember:
    at = now or datetime(2026, 11, 20, tzinfo=UTC)
    async with sessions.begin() as session:
        created = await staff.create_staff(
            session, name=name, team_id=team, role=staff.StaffRole.STAFF, teams=SPOKES.teams,
            now=at,
        )  # fmt: skip
        linked = await staff.link_telegram(session, created.code, user_id, at)
        assert isinstance(linked, StaffMember)
        return linked


async def request(sessions: Sessions, family_id: int, now: datetime) -> Referral:
    async with sessions.begin() as session:
        owner = await session.get(Family, family_id)
        assert owner is not None
        created = await referrals.create(
            session,
            family=owner,
            spoke=SPOKES.spoke("babs"),
            answers={"what_is_hard": "bonding", "anything_else": "Nie śpię od tygodni"},
            contact=Contact(ContactMethod.MESSAGE),
            consent_at=now,
            now=now,
            calendar=referrals.calendar_for(SPOKES),
            child_age_band="0-6 months",
        )
        return created.referral


async def cycle(application: GrowWellApplication) -> None:
    """One dispatcher cycle, as the job runs it: the staff queue, then the outbox."""
    await application.bot_data[STAFF_QUEUE_KEY].run_once()
    await application.bot_data[DISPATCHER_KEY].run_once()


async def status_of(sessions: Sessions, referral_id: int) -> Referral:
    async with sessions() as session:
        found = await session.get(Referral, referral_id)
        assert found is not None
        return found


async def test_a_polish_request_is_claimed_messaged_both_ways_and_closed_across_restarts(
    bot_api: BotApiServer, sessions: Sessions, database_url: str, clock: Clock
) -> None:
    group = bot_api.group(BABS_GROUP, "BABS team")
    ola = bot_api.user(7001, first_name="Ola", language_code="pl")
    ann = bot_api.user(7101, first_name="Ann", language_code="en")
    await ann.send("/start")  # Ann has a private chat with the bot, as every linked member has
    ola_family = await family(sessions, ola.id, "pl", clock())
    await member(sessions, ann.id, "Ann")
    made = await request(sessions, ola_family.id, clock())

    async def step(action: Callable[[GrowWellApplication], Awaitable[None]]) -> None:
        """Each step on a freshly started bot: nothing may live only in the last one."""
        application = await start_bot(bot_api, sessions, database_url, clock, run_jobs=False)
        try:
            await action(application)
        finally:
            await stop_bot(application)

    # The request reaches the group within one cycle: only what the whole team may see.
    await step(cycle)
    assert post(group).visible_text == (
        f"{made.reference} · Bonding with your baby (BABS)\n"
        "Child: 0-6 months\n"
        "Target: 5 working days 7 h left (working time)\n"
        "🆕 New: nobody has claimed it yet"
    )
    assert post(group).buttons == [["🙋 Claim", "❌ Decline"], ["📂 Open"]]
    assert "Nie śpię" not in post(group).visible_text

    async def claim(application: GrowWellApplication) -> None:
        assert await press(ann, group, "🙋 Claim") == (
            f"{made.reference} is yours. Press Open for the details."
        )
        await cycle(application)

    await step(claim)
    assert post(group).visible_text.endswith("🙋 Claimed by Ann")
    assert post(group).buttons == [["📞 Contacted", "✅ Close", "❌ Decline"], ["📂 Open"]]
    [told] = await ola.replies(timeout=5)
    assert told.visible_text.startswith(f"✅ Twoje zgłoszenie {made.reference}")

    await ann.replies(timeout=0.2)  # the /start answer, before Ann was linked

    async def open_details(application: GrowWellApplication) -> None:
        assert await press(ann, group, "📂 Open") == "Details sent to you privately."

    await step(open_details)
    [details] = await ann.replies(timeout=5)
    assert details.visible_text.startswith(made.reference)
    assert "What feels hardest at the moment?\n  Bonding with my baby" in details.visible_text
    assert "Nie śpię od tygodni" in details.visible_text
    assert details.visible_text.endswith("To write to the family, reply to this message.")

    async def ann_writes(application: GrowWellApplication) -> None:
        await ann.send("Dzień dobry, zadzwonię jutro o 10.", reply_to=details.message_id)
        [confirmed] = await ann.replies(timeout=5)
        assert confirmed.visible_text == f"✉️ Sent to the family of {made.reference}."
        await cycle(application)

    await step(ann_writes)
    [message] = await ola.replies(timeout=5)
    assert message.visible_text == (
        f"💬 Wiadomość od zespołu w sprawie zgłoszenia {made.reference}:\n\n"
        "Dzień dobry, zadzwonię jutro o 10."
    )

    async with sessions.begin() as session:  # the family answers (their side of the bot)
        owner = await session.get(Family, ola_family.id)
        assert owner is not None
        await referrals.add_family_message(session, made.id, owner, "Dziękuję!", clock())

    await step(cycle)
    [relayed] = await ann.replies(timeout=5)
    assert relayed.visible_text == (
        f"💬 {made.reference}: a message from the family\n\nDziękuję!\n\n"
        "To answer, reply to this message."
    )

    async def ann_answers(application: GrowWellApplication) -> None:
        await ann.send("Do usłyszenia!", reply_to=relayed.message_id)
        await ann.replies(timeout=5)
        await cycle(application)

    await step(ann_answers)
    [answer] = await ola.replies(timeout=5)
    assert answer.visible_text.endswith("Do usłyszenia!")

    async def contacted(application: GrowWellApplication) -> None:
        await press(ann, group, "📞 Contacted")
        await cycle(application)

    await step(contacted)
    assert post(group).visible_text.endswith("📞 Contacted by Ann")
    [told] = await ola.replies(timeout=5)
    assert told.visible_text.startswith("📞 Zespół skontaktował się z tobą")

    async def close(application: GrowWellApplication) -> None:
        await press(ann, group, "✅ Close")
        assert flat_buttons(post(group))[-1] == "↩️ Back"
        assert await press(ann, group, "support has started") == f"{made.reference} is closed."
        await cycle(application)

    await step(close)
    assert post(group).visible_text.endswith("✅ Closed by Ann: support has started")
    assert post(group).buttons == [["📂 Open"]]
    [told] = await ola.replies(timeout=5)
    assert told.visible_text.startswith(f"Twoje zgłoszenie {made.reference}")
    assert "wsparcie się rozpoczęło" in told.visible_text

    # The whole audit trail of the request: who did what, in order.
    async with sessions() as session:
        trail = [(e.kind, e.actor) for e in await referrals.history(session, made.id)]
    assert trail == [
        ("created", "family"),
        ("claimed", "staff"),
        ("viewed", "staff"),
        ("staff_message", "staff"),
        ("family_message", "family"),
        ("staff_message", "staff"),
        ("contacted", "staff"),
        ("closed", "staff"),
    ]


def flat_buttons(message: SentMessage) -> list[str]:
    return [label for row in message.buttons for label in row]


async def test_presses_by_people_who_may_not_act_are_refused_and_change_nothing(
    bot_api: BotApiServer, sessions: Sessions, bot_without_jobs: GrowWellApplication, clock: Clock
) -> None:
    group = bot_api.group(BABS_GROUP, "BABS team")
    eve = bot_api.user(7201, first_name="Eve")  # in the group, but no staff account
    fay = bot_api.user(7202, first_name="Fay")  # staff, of the infant feeding team
    ann = bot_api.user(7203, first_name="Ann")
    bob = bot_api.user(7204, first_name="Bob")
    await member(sessions, fay.id, "Fay", team="infant_feeding")
    await member(sessions, ann.id, "Ann")
    await member(sessions, bob.id, "Bob")
    owner = await family(sessions, 7301, "en", clock())
    made = await request(sessions, owner.id, clock())
    await cycle(bot_without_jobs)

    assert await press(eve, group, "🙋 Claim") == (
        "Link your account first: send /staff <code> to me privately."
    )
    assert await press(fay, group, "🙋 Claim") == (
        "Only the BABS (Building Attachment and Bonds Service) team can act on this."
    )
    assert await press(eve, group, "❌ Decline") == (
        "Link your account first: send /staff <code> to me privately."
    )
    assert (await status_of(sessions, made.id)).status is ReferralStatus.NEW
    assert post(group).buttons == [["🙋 Claim", "❌ Decline"], ["📂 Open"]]

    await press(ann, group, "🙋 Claim")
    await eventually(lambda: post(group).visible_text.endswith("🙋 Claimed by Ann"))
    assert await press(bob, group, "📞 Contacted") == "This request is held by Ann."
    assert (await status_of(sessions, made.id)).status is ReferralStatus.CLAIMED
    async with sessions() as session:
        refused = [
            e.detail for e in await referrals.history(session, made.id) if e.kind == "refused"
        ]
    assert refused == [
        {"action": "claim", "reason": "not_staff"},
        {"action": "claim", "reason": "other_team"},
        {"action": "contacted", "reason": "not_holder"},
    ]


async def test_two_staff_racing_to_claim_one_wins_and_the_other_is_told_who(
    bot_api: BotApiServer, sessions: Sessions, bot_without_jobs: GrowWellApplication, clock: Clock
) -> None:
    group = bot_api.group(BABS_GROUP, "BABS team")
    ann, bob = bot_api.user(7401, first_name="Ann"), bot_api.user(7402, first_name="Bob")
    await member(sessions, ann.id, "Ann")
    await member(sessions, bob.id, "Bob")
    owner = await family(sessions, 7403, "en", clock())
    made = await request(sessions, owner.id, clock())
    await cycle(bot_without_jobs)

    answers = await asyncio.gather(press(ann, group, "🙋 Claim"), press(bob, group, "🙋 Claim"))
    async with sessions() as session:
        holder = await session.get(
            StaffMember, (await status_of(sessions, made.id)).assigned_staff_id
        )
        assert holder is not None
        claims = [e for e in await referrals.history(session, made.id) if e.kind == "claimed"]
    winner = holder.name
    won = f"{made.reference} is yours. Press Open for the details."
    lost = f"This request is held by {winner}."
    assert answers == ([won, lost] if winner == "Ann" else [lost, won])
    assert len(claims) == 1
    await eventually(lambda: post(group).visible_text.endswith(f"🙋 Claimed by {winner}"))


async def test_a_request_made_during_a_telegram_outage_reaches_the_group_after(
    bot_api: BotApiServer, sessions: Sessions, bot_without_jobs: GrowWellApplication, clock: Clock
) -> None:
    group = bot_api.group(BABS_GROUP, "BABS team")
    owner = await family(sessions, 7501, "en", clock())
    bot_api.inject_fault("sendMessage", status=502, times=2, chat_id=BABS_GROUP)
    made = await request(sessions, owner.id, clock())
    await cycle(bot_without_jobs)
    await cycle(bot_without_jobs)
    assert group.bot_messages == {}
    assert (await status_of(sessions, made.id)).posted_version == 0

    await cycle(bot_without_jobs)  # Telegram is back
    assert post(group).visible_text.startswith(made.reference)
    assert (await status_of(sessions, made.id)).posted_version == 1

    ann = bot_api.user(7502, first_name="Ann")
    await member(sessions, ann.id, "Ann")
    bot_api.inject_fault("editMessageText", status=502, times=1, chat_id=BABS_GROUP)
    await press(ann, group, "🙋 Claim")  # the edit right after the press fails
    await eventually(lambda: bot_api.stats.errors[502] == 3)
    assert post(group).visible_text.endswith("🆕 New: nobody has claimed it yet")
    await cycle(bot_without_jobs)
    assert post(group).visible_text.endswith("🙋 Claimed by Ann")
    assert len(group.bot_messages) == 1


async def test_a_member_who_never_wrote_to_the_bot_is_asked_to_before_open(
    bot_api: BotApiServer, sessions: Sessions, bot_without_jobs: GrowWellApplication, clock: Clock
) -> None:
    group = bot_api.group(BABS_GROUP, "BABS team")
    ann = bot_api.user(7601, first_name="Ann")
    await member(sessions, ann.id, "Ann")
    owner = await family(sessions, 7602, "en", clock())
    made = await request(sessions, owner.id, clock())
    await cycle(bot_without_jobs)
    await ann.block_bot()
    assert (await press(ann, group, "📂 Open")).startswith("I cannot write to you privately yet")
    async with sessions() as session:
        kinds = [e.kind for e in await referrals.history(session, made.id)]
    assert kinds == ["created"]


async def test_overdue_requests_are_posted_again_each_working_day_at_nine_not_on_bank_holidays(
    bot_api: BotApiServer, sessions: Sessions, bot_without_jobs: GrowWellApplication, clock: Clock
) -> None:
    group = bot_api.group(BABS_GROUP, "BABS team")
    owner = await family(sessions, 7701, "en", clock())
    clock.now = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)  # Monday; due Monday 21st, 17:00
    made = await request(sessions, owner.id, clock())
    await cycle(bot_without_jobs)
    reposts: list[str] = []

    async def morning(day: int, hour: int = 9, minute: int = 0) -> int:
        clock.now = datetime(2026, 12, day, hour, minute, tzinfo=UTC)
        before = len(group.bot_messages)
        await cycle(bot_without_jobs)
        new = list(group.bot_messages.values())[before:]
        reposts.extend(m.visible_text for m in new)
        return len(new)

    assert await morning(22, 8, 59) == 0  # overdue, but before 09:00
    assert await morning(22) == 1
    assert await morning(22, 15) == 0  # once a day
    assert await morning(24) == 1  # Christmas Eve is a working day
    assert await morning(25) == 0  # Christmas Day
    assert await morning(28) == 0  # Boxing Day's bank holiday (the 26th is a Saturday)
    assert await morning(29) == 1
    assert reposts[0].startswith(
        f"⏰ OVERDUE: posted again, still no first contact\n{made.reference}"
    )
    assert "⚠️ overdue by 3 working days (working time)" in reposts[2]  # 22-24 Dec
    repost = list(group.bot_messages.values())[-1]
    assert repost.buttons == [["📂 Open"]]
    assert repost.raw["reply_to_message"]["message_id"] == next(iter(group.bot_messages))


async def test_a_member_links_with_a_code_and_gets_the_staff_desk_not_the_family_menu(
    bot_api: BotApiServer, sessions: Sessions, bot_without_jobs: GrowWellApplication, clock: Clock
) -> None:
    ann = bot_api.user(7801, first_name="Ann")
    async with sessions.begin() as session:
        created = await staff.create_staff(
            session, name="Ann Lee", team_id="babs", role=staff.StaffRole.STAFF,
            teams=SPOKES.teams, now=clock(),
        )  # fmt: skip
    await ann.send("/staff nonsense")
    [refused] = await ann.replies(timeout=5)
    assert refused.visible_text.startswith("That code does not work")

    await ann.send(f"/staff {created.code}")
    welcome, menu = await ann.replies(timeout=5)
    assert welcome.visible_text == (
        "Welcome, Ann Lee. Your account is linked: this chat is now your staff desk."
    )
    assert menu.buttons == [["📋 Open requests", "🆕 Unassigned"], ["🙋 Mine", "⏰ Overdue"]]

    await ann.send("/start")
    [menu] = await ann.replies(timeout=5)
    assert menu.visible_text.startswith("Staff desk: Ann Lee, BABS")

    owner = await family(sessions, 7802, "en", clock())
    made = await request(sessions, owner.id, clock())
    await ann.press("🆕 Unassigned")
    [listed] = await ann.replies(timeout=5)
    assert listed.visible_text.startswith("Unassigned requests (1):\n" + made.reference)
    assert listed.buttons == [[f"📂 Open {made.reference}"]]
    await ann.press(f"📂 Open {made.reference}")
    [details] = await ann.replies(timeout=5)
    assert details.visible_text.startswith(made.reference)

    await ann.send(f"/staff {created.code}")  # a code works once
    [again] = await ann.replies(timeout=5)
    assert again.visible_text.startswith("That code does not work")


async def test_a_new_request_reaches_the_group_within_one_dispatcher_cycle(
    bot_api: BotApiServer, sessions: Sessions, bot: GrowWellApplication, clock: Clock
) -> None:
    group = bot_api.group(BABS_GROUP, "BABS team")
    owner = await family(sessions, 7901, "pl", clock())
    made = await request(sessions, owner.id, clock())
    # The real timer runs it (first at 3 s, then every 5 s); the wait is generous for a loaded
    # machine. That one cycle is enough is shown step by step in the Polish test above.
    await eventually(lambda: bool(group.bot_messages), timeout=30.0)
    assert post(group).visible_text.startswith(made.reference)
