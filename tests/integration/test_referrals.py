"""Requests for support on a real database: every transition and its guards, the claim race,
duplicates, staff accounts, erasure and export, and the notices that reach the family."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import families, referrals, staff
from domain.outbox import claim_notices
from domain.referrals import Contact, Done, EventKind, Lost, Refusal, Refused
from domain.working_days import WorkingCalendar
from resources.spokes import Spokes, load_spokes
from scheduler.rendering import referral_notice
from store.models import (
    ContactMethod,
    Delivery,
    Family,
    Referral,
    ReferralPriority,
    ReferralStatus,
    StaffMember,
    StaffRole,
)

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
SPOKES = load_spokes()
CALENDAR = referrals.calendar_for(SPOKES, WorkingCalendar())
BABS_ANSWERS = {"what_is_hard": "bonding"}


async def make_family(sessions: Sessions, chat_id: int, locale: str = "en") -> int:
    async with sessions.begin() as session:
        family = await families.record_consent(
            session, chat_id, locale=locale, source=None, now=NOW
        )
        families.complete_registration(family, NOW)
        await session.flush()
        return family.id


async def make_staff(
    sessions: Sessions,
    user_id: int,
    team: str | None = "babs",
    role: StaffRole = StaffRole.STAFF,
    name: str = "Ann",
) -> StaffMember:
    async with sessions.begin() as session:
        created = await staff.create_staff(
            session, name=name, team_id=team, role=role, teams=SPOKES.teams, now=NOW
        )
        linked = await staff.link_telegram(session, created.code, user_id, NOW)
        assert isinstance(linked, StaffMember)
        return linked


async def request(
    sessions: Sessions,
    family_id: int,
    spoke: str = "babs",
    answers: dict[str, object] | None = None,
    **options: object,
) -> referrals.Created:
    async with sessions.begin() as session:
        family = await session.get(Family, family_id)
        assert family is not None
        return await referrals.create(
            session,
            family=family,
            spoke=SPOKES.spoke(spoke),
            answers=BABS_ANSWERS if answers is None else answers,
            contact=Contact(ContactMethod.MESSAGE),
            consent_at=NOW,
            now=NOW,
            calendar=CALENDAR,
            child_age_band="0-3 months",
            **options,  # type: ignore[arg-type]
        )


async def act(sessions: Sessions, action: str, referral_id: int, member: StaffMember | None,
              *args: object) -> referrals.ActionResult:  # fmt: skip
    async with sessions.begin() as session:
        if action == "claim":
            return await referrals.claim(session, referral_id, member, NOW)
        if action == "contacted":
            return await referrals.mark_contacted(session, referral_id, member, NOW)
        if action == "close":
            return await referrals.close(session, referral_id, member, str(args[0]), SPOKES, NOW)
        if action == "decline":
            return await referrals.decline(session, referral_id, member, str(args[0]), SPOKES, NOW)
        raise AssertionError(action)


async def kinds(sessions: Sessions, referral_id: int) -> list[str]:
    async with sessions() as session:
        return [event.kind for event in await referrals.history(session, referral_id)]


async def test_a_request_gets_a_reference_a_target_and_a_pending_group_post(
    sessions: Sessions,
) -> None:
    family_id = await make_family(sessions, 1001)
    created = await request(sessions, family_id)
    referral = created.referral
    assert created.created
    assert referral.reference.startswith("GW-") and len(referral.reference) == 8
    assert not set(referral.reference[3:]) & set("0O1IL2Z5S8B")
    assert referral.status is ReferralStatus.NEW and referral.team_id == "babs"
    # BABS's target is 5 working days: Tue 1 Dec -> Tue 8 Dec at the end of the day.
    assert referral.due_by == datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
    async with sessions() as session:
        due = await referrals.posts_due(session)
        assert [r.id for r in due] == [referral.id]
        assert await referrals.record_post(session, referral.id, 1, -100, 7)
        assert not await referrals.record_post(session, referral.id, 1, -100, 8)
        await session.commit()
        assert await referrals.posts_due(session) == []
    assert await kinds(sessions, referral.id) == ["created"]


async def test_a_second_open_request_to_the_same_spoke_is_the_first_one(
    sessions: Sessions,
) -> None:
    family_id = await make_family(sessions, 1002)
    first = await request(sessions, family_id)
    again = await request(sessions, family_id, answers={"what_is_hard": "past"})
    assert not again.created and again.referral.id == first.referral.id
    other = await request(sessions, family_id, "hub", {"help_with": "Sleep"})
    assert other.created
    # Two requests at the same moment: the database's unique index keeps one.
    raced = await asyncio.gather(
        request(sessions, family_id, "safe_sleep", {"question": "Cot?"}),
        request(sessions, family_id, "safe_sleep", {"question": "Cot?"}),
    )
    assert raced[0].referral.id == raced[1].referral.id
    assert sorted(r.created for r in raced) == [False, True]


async def test_bad_answers_or_phone_are_refused_before_anything_is_stored(
    sessions: Sessions,
) -> None:
    family_id = await make_family(sessions, 1003)
    with pytest.raises(referrals.InvalidRequest, match="must be answered"):
        await request(sessions, family_id, answers={})
    async with sessions.begin() as session:
        family = await session.get(Family, family_id)
        assert family is not None
        abroad = Contact(ContactMethod.PHONE, "+48 601 234 567", "morning")
        with pytest.raises(referrals.InvalidRequest, match="UK phone"):
            await referrals.create(
                session,
                family=family,
                spoke=SPOKES.spoke("babs"),
                answers=BABS_ANSWERS,
                contact=abroad,
                consent_at=NOW,
                now=NOW,
                calendar=CALENDAR,
            )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Referral)) == 0


async def test_the_whole_path_is_logged_and_the_family_told_at_each_step(
    sessions: Sessions,
) -> None:
    family_id = await make_family(sessions, 1004, locale="pl")
    ann = await make_staff(sessions, 501)
    referral = (await request(sessions, family_id)).referral
    assert isinstance(await act(sessions, "claim", referral.id, ann), Done)
    async with sessions.begin() as session:
        family = await session.get(Family, family_id)
        assert family is not None
        assert isinstance(
            await referrals.add_family_message(session, referral.id, family, "Hi", NOW), Done
        )
        assert isinstance(
            await referrals.add_staff_message(session, referral.id, ann, "Hello <you>", NOW),
            Done,
        )
        assert isinstance(await referrals.record_view(session, referral.id, ann, NOW), Done)
        relay = await referrals.messages_to_relay(session)
        assert [m.text for m in relay] == ["Hi"]
        assert await referrals.mark_relayed(session, relay[0].id, NOW)
    contacted = await act(sessions, "contacted", referral.id, ann)
    assert isinstance(contacted, Done)
    assert contacted.referral.first_contact_at == NOW
    closed = await act(sessions, "close", referral.id, ann, "advice_given")
    assert isinstance(closed, Done)
    assert (closed.referral.status, closed.referral.outcome) == (
        ReferralStatus.CLOSED,
        "advice_given",
    )
    assert await kinds(sessions, referral.id) == [
        "created",
        "claimed",
        "family_message",
        "staff_message",
        "viewed",
        "contacted",
        "closed",
    ]
    async with sessions.begin() as session:
        notices = await claim_notices(session, now=NOW, limit=10)
    # One at a time per family, in order: the claim first.
    assert [n.notice.event_kind for n in notices if n.notice] == ["claimed"]
    texts = []
    for _ in range(4):
        async with sessions.begin() as session:
            await session.execute(
                Delivery.__table__.update()
                .where(Delivery.status == "sending")
                .values(status="sent")
            )
            batch = await claim_notices(session, now=NOW, limit=10)
        texts += [
            referral_notice(row.notice, SPOKES, row.locale).text for row in batch if row.notice
        ]
    assert texts[0] == (
        f"💬 Wiadomość od zespołu w sprawie zgłoszenia {referral.reference}:\n\nHello &lt;you&gt;"
    )
    assert texts[1].startswith(
        f"📞 Zespół skontaktował się z tobą w sprawie zgłoszenia {referral.reference}"
    )
    assert "jest zamknięte: udzielono porady" in texts[2]


async def test_only_one_of_two_staff_pressing_claim_at_once_wins(
    sessions: Sessions, database_url: str
) -> None:
    from store.engine import create_engine, session_factory

    family_id = await make_family(sessions, 1005)
    ann = await make_staff(sessions, 502, name="Ann")
    bea = await make_staff(sessions, 503, name="Bea")
    referral = (await request(sessions, family_id)).referral
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        results = await asyncio.gather(
            act(session_factory(engines[0]), "claim", referral.id, ann),
            act(session_factory(engines[1]), "claim", referral.id, bea),
        )
    finally:
        for engine in engines:
            await engine.dispose()
    won = [r for r in results if isinstance(r, Done)]
    lost = [r for r in results if isinstance(r, Lost)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].holder is not None
    assert lost[0].holder.id == won[0].referral.assigned_staff_id
    assert (await kinds(sessions, referral.id)).count("claimed") == 1


async def test_staff_of_another_team_disabled_or_not_holding_change_nothing(
    sessions: Sessions,
) -> None:
    family_id = await make_family(sessions, 1006)
    ann = await make_staff(sessions, 504, name="Ann")
    bea = await make_staff(sessions, 505, name="Bea")
    hv = await make_staff(sessions, 506, team="health_visiting", name="Cat")
    admin = await make_staff(sessions, 507, team=None, role=StaffRole.ADMIN, name="Dee")
    referral = (await request(sessions, family_id)).referral
    refused = await act(sessions, "claim", referral.id, hv)
    assert isinstance(refused, Refused) and refused.reason is Refusal.OTHER_TEAM
    nobody = await act(sessions, "claim", referral.id, None)
    assert isinstance(nobody, Refused) and nobody.reason is Refusal.NOT_STAFF
    assert isinstance(await act(sessions, "contacted", referral.id, ann), Refused)  # not claimed
    assert isinstance(await act(sessions, "claim", referral.id, ann), Done)
    not_holder = await act(sessions, "contacted", referral.id, bea)
    assert isinstance(not_holder, Refused) and not_holder.reason is Refusal.NOT_HOLDER
    assert not_holder.holder is not None and not_holder.holder.name == "Ann"
    async with sessions.begin() as session:
        assert await staff.disable_staff(session, ann.id)
        ann = await session.get(StaffMember, ann.id, populate_existing=True)  # type: ignore[assignment]
    disabled = await act(sessions, "contacted", referral.id, ann)
    assert isinstance(disabled, Refused) and disabled.reason is Refusal.DISABLED
    # An admin covers for her, and an unknown outcome is refused before anything else.
    assert isinstance(await act(sessions, "close", referral.id, admin, "made_up"), Refused)
    assert isinstance(await act(sessions, "close", referral.id, admin, "no_reply"), Done)
    again = await act(sessions, "decline", referral.id, admin, "duplicate")
    assert isinstance(again, Refused) and again.reason is Refusal.WRONG_STATUS
    log = await kinds(sessions, referral.id)
    # Other team, nobody, not claimed yet, not the holder, disabled, already closed.
    assert log.count("refused") == 6 and log[-2:] == ["closed", "refused"]


async def test_decline_cancel_and_urgent(sessions: Sessions) -> None:
    family_id = await make_family(sessions, 1007)
    bea = await make_staff(sessions, 508, name="Bea")
    first = (await request(sessions, family_id)).referral
    declined = await act(sessions, "decline", first.id, bea, "not_eligible")
    assert isinstance(declined, Done) and declined.referral.decline_reason == "not_eligible"
    second = (await request(sessions, family_id, urgent_reason="emergency words")).referral
    assert second.priority is ReferralPriority.URGENT
    other_id = await make_family(sessions, 1008)
    async with sessions.begin() as session:
        family = await session.get(Family, family_id)
        other = await session.get(Family, other_id)
        assert family is not None and other is not None
        not_theirs = await referrals.cancel_by_family(session, second.id, other, NOW)
        assert isinstance(not_theirs, Refused) and not_theirs.reason is Refusal.NOT_YOURS
        cancelled = await referrals.cancel_by_family(session, second.id, family, NOW)
        assert isinstance(cancelled, Done)
        assert cancelled.referral.status is ReferralStatus.CANCELLED
        late = await referrals.mark_urgent(session, second.id, "too late", NOW)
        assert isinstance(late, Refused) and late.reason is Refusal.WRONG_STATUS
        assert await referrals.open_requests_of_family(session, family_id) == []
        assert len(await referrals.requests_of_family(session, family_id)) == 2


async def test_queue_views_and_the_overdue_repost(sessions: Sessions) -> None:
    family_id = await make_family(sessions, 1009)
    ann = await make_staff(sessions, 509, name="Ann")
    hv = await make_staff(sessions, 510, team="health_visiting", name="Cat")
    babs = (await request(sessions, family_id)).referral
    hub = (await request(sessions, family_id, "hub", {"help_with": "Help"})).referral
    await act(sessions, "claim", babs.id, ann)
    later = babs.due_by + timedelta(hours=1)
    async with sessions.begin() as session:
        assert [
            r.id for r in await referrals.queue(session, ann, referrals.QueueView.MINE, NOW)
        ] == [babs.id]
        assert await referrals.queue(session, ann, referrals.QueueView.UNASSIGNED, NOW) == []
        assert [
            r.id for r in await referrals.queue(session, hv, referrals.QueueView.OPEN, NOW)
        ] == [hub.id]
        overdue = await referrals.queue(session, ann, referrals.QueueView.OVERDUE, later)
        assert [r.id for r in overdue] == [babs.id]
        today = later.date()
        reposts = await referrals.overdue_to_repost(session, later, today)
        assert {r.id for r in reposts} == {babs.id, hub.id}
        assert await referrals.mark_overdue_posted(session, babs.id, today)
        assert not await referrals.mark_overdue_posted(session, babs.id, today)


async def test_staff_codes_work_once_and_expire(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        created = await staff.create_staff(
            session, name=" Eve  Smith ", team_id="fathers", role=StaffRole.STAFF,
            teams=SPOKES.teams, now=NOW,
        )  # fmt: skip
        assert created.member.name == "Eve Smith"
        assert created.member.link_code_hash != created.code
        late = await staff.link_telegram(session, created.code, 601, NOW + timedelta(hours=24))
        assert late is staff.LinkRefused.EXPIRED
        linked = await staff.link_telegram(session, created.code.upper(), 601, NOW)
        assert isinstance(linked, StaffMember) and linked.telegram_user_id == 601
        reused = await staff.link_telegram(session, created.code, 602, NOW)
        assert reused is staff.LinkRefused.UNKNOWN_CODE
        with pytest.raises(staff.StaffError, match="need a team"):
            await staff.create_staff(
                session, name="F", team_id=None, role=StaffRole.STAFF, teams=SPOKES.teams, now=NOW
            )
        other = await staff.create_staff(
            session, name="G", team_id="babs", role=StaffRole.STAFF, teams=SPOKES.teams, now=NOW
        )
        taken = await staff.link_telegram(session, other.code, 601, NOW)
        assert taken is staff.LinkRefused.ACCOUNT_TAKEN
        assert await staff.disable_staff(session, other.member.id)
        code = await staff.renew_link_code(session, created.member.id, NOW)
        assert await staff.staff_by_telegram(session, 601) is not None
    async with sessions.begin() as session:
        assert (
            await staff.link_telegram(session, other.code, 603, NOW)
            is staff.LinkRefused.UNKNOWN_CODE
        )
        assert isinstance(await staff.link_telegram(session, code, 604, NOW), StaffMember)


async def test_erasure_is_refused_while_staff_hold_a_request_and_strips_it_after(
    sessions: Sessions,
) -> None:
    family_id = await make_family(sessions, 1010)
    ann = await make_staff(sessions, 511)
    held = (await request(sessions, family_id)).referral
    waiting = (await request(sessions, family_id, "hub", {"help_with": "My words"})).referral
    await act(sessions, "claim", held.id, ann)
    async with sessions.begin() as session:
        family = await session.get(Family, family_id)
        assert family is not None
        await referrals.add_family_message(session, held.id, family, "Private words", NOW)
        exported = await families.export_family(session, family)
    requests = {r["reference"]: r for r in exported["requests_for_support"]}
    assert requests[held.reference]["messages"][0]["text"] == "Private words"
    assert requests[waiting.reference]["answers"] == {"help_with": "My words"}
    with pytest.raises(referrals.ErasureRefused) as refused:
        async with sessions.begin() as session:
            await families.erase_family(session, 1010, now=NOW)
    assert [h.reference for h in refused.value.held] == [held.reference]
    assert refused.value.held[0].team_id == "babs"
    async with sessions() as session:
        assert await families.find_family(session, 1010) is not None  # nothing was erased
    assert isinstance(await act(sessions, "close", held.id, ann, "support_started"), Done)
    async with sessions.begin() as session:
        assert await families.erase_family(session, 1010, now=NOW)
    async with sessions() as session:
        kept = list(await session.scalars(select(Referral).order_by(Referral.id)))
        assert [(r.status, r.family_id, r.answers, r.erased_at) for r in kept] == [
            (ReferralStatus.CLOSED, None, {}, NOW),
            (ReferralStatus.CANCELLED, None, {}, NOW),
        ]
        assert await referrals.thread(session, held.id) == []
        assert (await referrals.history(session, waiting.id))[-1].kind == EventKind.FAMILY_ERASED


async def test_a_staff_note_stays_with_the_team_and_goes_with_the_family(
    sessions: Sessions,
) -> None:
    family_id = await make_family(sessions, 1011)
    ann = await make_staff(sessions, 512)
    other_team = await make_staff(sessions, 513, team="infant_feeding", name="Bea")
    made = (await request(sessions, family_id)).referral
    async with sessions.begin() as session:
        noted = await referrals.add_staff_note(session, made.id, ann, "Rang twice", NOW)
        refused = await referrals.add_staff_note(session, made.id, other_team, "Hi", NOW)
    assert isinstance(noted, Done)
    assert isinstance(refused, Refused)
    assert refused.reason is Refusal.OTHER_TEAM
    async with sessions() as session:
        [note] = [e for e in await referrals.history(session, made.id) if e.kind == "staff_note"]
        assert note.detail == {"note": "Rang twice"}
        family = await session.get(Family, family_id)
        assert family is not None
        exported = await families.export_family(session, family)
        assert await session.scalar(select(func.count(Delivery.id))) == 0  # nothing to the family
    [mine] = exported["requests_for_support"]
    assert "staff_note" not in [step["what"] for step in mine["history"]]
    async with sessions.begin() as session:
        assert await families.erase_family(session, 1011, now=NOW)
    async with sessions() as session:
        [note] = [e for e in await referrals.history(session, made.id) if e.kind == "staff_note"]
        assert note.detail == {}


def test_every_notice_renders_in_every_language() -> None:
    spokes: Spokes = SPOKES
    for kind in ("claimed", "contacted", "closed", "declined", "staff_message"):
        for locale in ("en", "pl", "pt", "ar"):
            notice = referrals_notice(kind)
            text = referral_notice(notice, spokes, locale).text
            assert "GW-7K3M9" in text and "{" not in text


def referrals_notice(kind: str) -> object:
    from domain.outbox import ReferralNotice

    return ReferralNotice(
        event_kind=kind, reference="GW-7K3M9", spoke_id="babs", outcome="advice_given",
        decline_reason="duplicate", text="Hello",
    )  # fmt: skip
