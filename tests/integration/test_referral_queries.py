"""What the staff dashboard reads about requests, on a real database: each member sees their
team's queue (an admin every team's), filtered, counted, sorted and paged; one request's whole
story; the audit log of both logs merged; and the signal that a queue changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import families, referral_queries, referrals, staff
from domain.referral_queries import (
    AuditFilters,
    AuditSource,
    QueueFilters,
    StatusFilter,
)
from domain.referrals import Contact, Done
from domain.working_days import WorkingCalendar
from resources.spokes import load_spokes
from store.models import (
    AuditEvent,
    ContactMethod,
    Family,
    Referral,
    ReferralPriority,
    StaffMember,
    StaffRole,
)

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
SPOKES = load_spokes()
CALENDAR = referrals.calendar_for(SPOKES, WorkingCalendar())
ANSWERS = {
    "babs": {"what_is_hard": "bonding"},
    "hub": {"help_with": "Sleep"},
    "safe_sleep": {"question": "Is a sling safe?"},
}


async def make_family(sessions: Sessions, chat_id: int) -> Family:
    async with sessions.begin() as session:
        family = await families.record_consent(session, chat_id, locale="en", source=None, now=NOW)
        families.complete_registration(family, NOW)
        await session.flush()
        return family


async def make_staff(
    sessions: Sessions,
    user_id: int,
    name: str,
    team: str | None = "babs",
    role: StaffRole = StaffRole.STAFF,
) -> StaffMember:
    async with sessions.begin() as session:
        created = await staff.create_staff(
            session, name=name, team_id=team, role=role, teams=SPOKES.teams, now=NOW
        )
        linked = await staff.link_telegram(session, created.code, user_id, NOW)
        assert isinstance(linked, StaffMember)
        return linked


async def make_request(
    sessions: Sessions,
    chat_id: int,
    spoke: str = "babs",
    *,
    at: datetime = NOW,
    urgent: str | None = None,
) -> Referral:
    family = await make_family(sessions, chat_id)
    async with sessions.begin() as session:
        created = await referrals.create(
            session,
            family=family,
            spoke=SPOKES.spoke(spoke),
            answers=ANSWERS[spoke],
            contact=Contact(ContactMethod.MESSAGE),
            consent_at=at,
            now=at,
            calendar=CALENDAR,
            child_age_band="0-3 months",
            urgent_reason=urgent,
        )
        return created.referral


async def page(
    sessions: Sessions, member: StaffMember, now: datetime = NOW, **filters: object
) -> list[str]:
    async with sessions() as session:
        found = await referral_queries.queue_page(
            session,
            member,
            QueueFilters(**filters),  # type: ignore[arg-type]
            now,
        )
    return [row.referral.reference for row in found.rows]


async def test_each_member_sees_their_team_and_an_admin_sees_every_team(
    sessions: Sessions,
) -> None:
    ann = await make_staff(sessions, 501, "Ann")
    cat = await make_staff(sessions, 502, "Cat", team="health_visiting")
    dee = await make_staff(sessions, 503, "Dee", team=None, role=StaffRole.ADMIN)
    babs = await make_request(sessions, 1001, "babs")
    hub = await make_request(sessions, 1002, "hub")
    assert await page(sessions, ann) == [babs.reference]
    assert await page(sessions, cat) == [hub.reference]
    # The hub's target (2 working days) comes before BABS's (5).
    assert await page(sessions, dee) == [hub.reference, babs.reference]
    async with sessions() as session:
        assert await referral_queries.request_detail(session, cat, babs.reference) is None
        assert await referral_queries.find_in_scope(session, ann, babs.reference) is not None
        seen = await referral_queries.request_detail(session, dee, babs.reference.lower())
        assert seen is not None and seen.referral.id == babs.id


async def test_filters_narrow_the_queue_and_urgent_comes_first(sessions: Sessions) -> None:
    ann = await make_staff(sessions, 511, "Ann")
    bea = await make_staff(sessions, 512, "Bea")
    first = await make_request(sessions, 1011, at=NOW)
    second = await make_request(sessions, 1012, at=NOW + timedelta(days=1))
    urgent = await make_request(sessions, 1013, at=NOW + timedelta(days=2), urgent="sad")
    done = await make_request(sessions, 1014, at=NOW)
    async with sessions.begin() as session:
        assert isinstance(await referrals.claim(session, second.id, ann, NOW), Done)
        assert isinstance(await referrals.claim(session, done.id, bea, NOW), Done)
        assert isinstance(
            await referrals.close(session, done.id, bea, "advice_given", SPOKES, NOW), Done
        )
    assert await page(sessions, ann) == [urgent.reference, first.reference, second.reference]
    assert await page(sessions, ann, mine=True) == [second.reference]
    assert await page(sessions, bea, mine=True) == []
    assert await page(sessions, ann, status=StatusFilter.NEW) == [
        urgent.reference,
        first.reference,
    ]
    assert await page(sessions, ann, status=StatusFilter.CLOSED) == [done.reference]
    assert await page(sessions, ann, status=StatusFilter.FINISHED) == [done.reference]
    assert len(await page(sessions, ann, status=StatusFilter.ALL)) == 4
    assert await page(sessions, ann, priority=ReferralPriority.URGENT) == [urgent.reference]
    assert await page(sessions, ann, spoke="hub") == []
    assert await page(sessions, ann, spoke="babs", priority=ReferralPriority.NORMAL) == [
        first.reference,
        second.reference,
    ]
    # A day after the first is due, only it is overdue; the others have time left.
    late = first.due_by + timedelta(hours=1)
    assert await page(sessions, ann, late, overdue=True) == [first.reference]
    async with sessions() as session:
        counts = await referral_queries.queue_counts(session, ann, late)
    assert counts == referral_queries.QueueCounts(
        open=3, unassigned=2, mine=1, overdue=1, urgent=1
    )


async def test_the_queue_comes_a_page_at_a_time(sessions: Sessions) -> None:
    ann = await make_staff(sessions, 521, "Ann")
    made = [await make_request(sessions, 1021 + n, at=NOW + timedelta(days=n)) for n in range(5)]
    async with sessions() as session:

        async def get(number: int) -> referral_queries.QueuePage:
            return await referral_queries.queue_page(
                session, ann, QueueFilters(page=number), NOW, page_size=2
            )

        first, last, beyond = await get(1), await get(3), await get(9)
    assert (first.total, first.pages, first.page) == (5, 3, 1)
    assert [r.referral.id for r in first.rows] == [made[0].id, made[1].id]
    assert [r.referral.id for r in last.rows] == [made[4].id]
    assert beyond.page == 3 and [r.referral.id for r in beyond.rows] == [made[4].id]


async def test_one_request_tells_its_whole_story_with_staff_named(sessions: Sessions) -> None:
    ann = await make_staff(sessions, 531, "Ann")
    referral = await make_request(sessions, 1031)
    async with sessions.begin() as session:
        family = await session.get(Family, referral.family_id)
        assert family is not None
        assert isinstance(await referrals.claim(session, referral.id, ann, NOW), Done)
        await referrals.add_family_message(session, referral.id, family, "Thank you", NOW)
        await referrals.add_staff_message(session, referral.id, ann, "I will call at 2", NOW)
        await referrals.add_staff_note(session, referral.id, ann, "Dad answers the phone", NOW)
    async with sessions() as session:
        detail = await referral_queries.request_detail(session, ann, referral.reference)
    assert detail is not None
    assert detail.holder_name == "Ann"
    assert [(e.kind, e.staff_name, e.text) for e in detail.timeline()] == [
        ("created", None, None),
        ("claimed", "Ann", None),
        ("family_message", None, "Thank you"),
        ("staff_message", "Ann", "I will call at 2"),
        ("staff_note", "Ann", "Dad answers the phone"),
    ]
    assert [row.event.detail["note"] for row in detail.notes] == ["Dad answers the phone"]
    assert [(m.message.text, m.staff_name) for m in detail.messages] == [
        ("Thank you", None),
        ("I will call at 2", "Ann"),
    ]


async def test_a_partner_request_carries_what_the_partner_sent(sessions: Sessions) -> None:
    cat = await make_staff(sessions, 541, "Cat", team="health_visiting")
    async with sessions.begin() as session:
        made = await referrals.create_for_partner(
            session,
            partner="police",
            spoke=SPOKES.spoke("safe_sleep"),
            phone="07911 123456",
            contact={"name": "Sam Smith", "address": "1 High St"},
            child_age_band="0-3 months",
            consent_at=NOW,
            now=NOW,
            calendar=CALENDAR,
        )
    async with sessions() as session:
        detail = await referral_queries.request_detail(session, cat, made.reference)
    assert detail is not None
    assert detail.referral.source == "partner:police"
    assert detail.referral.partner_contact == {"name": "Sam Smith", "address": "1 High St"}
    assert [(e.kind, e.actor) for e in detail.timeline()] == [("created", "partner")]


async def test_the_audit_log_merges_both_logs_newest_first(sessions: Sessions) -> None:
    ann = await make_staff(sessions, 551, "Ann")
    dee = await make_staff(sessions, 552, "Dee", team=None, role=StaffRole.ADMIN)
    referral = await make_request(sessions, 1051, at=NOW)
    other = await make_request(sessions, 1052, at=NOW)
    async with sessions.begin() as session:
        session.add(AuditEvent(at=NOW + timedelta(minutes=1), staff_id=ann.id, action="login"))
        await referrals.record_view(session, referral.id, ann, NOW + timedelta(minutes=2))
        await referrals.claim(session, other.id, dee, NOW + timedelta(minutes=3))
        session.add(
            AuditEvent(
                at=NOW + timedelta(minutes=4),
                staff_id=dee.id,
                action="report_download",
                detail={"report": "requests"},
            )
        )
    async with sessions() as session:
        everything = await referral_queries.audit_page(session, AuditFilters())
        anns = await referral_queries.audit_page(session, AuditFilters(staff_id=ann.id))
        one = await referral_queries.audit_page(
            session, AuditFilters(reference=referral.reference)
        )
        paged = await referral_queries.audit_page(session, AuditFilters(page=2), page_size=2)
        choices = await referral_queries.staff_choices(session)
    assert [(r.source, r.action, r.staff_name, r.reference) for r in everything.rows] == [
        (AuditSource.DASHBOARD, "report_download", "Dee", None),
        (AuditSource.REQUEST, "claimed", "Dee", other.reference),
        (AuditSource.REQUEST, "viewed", "Ann", referral.reference),
        (AuditSource.DASHBOARD, "login", "Ann", None),
        (AuditSource.REQUEST, "created", None, other.reference),
        (AuditSource.REQUEST, "created", None, referral.reference),
    ]
    assert everything.rows[0].detail == {"report": "requests"}
    assert [r.action for r in anns.rows] == ["viewed", "login"]
    assert [r.action for r in one.rows] == ["viewed", "created"]
    assert (paged.total, paged.pages, [r.action for r in paged.rows]) == (
        6,
        3,
        ["viewed", "login"],
    )
    assert [name for _, name in choices] == ["Ann", "Dee"]


async def test_the_queue_signature_changes_when_the_queue_does(sessions: Sessions) -> None:
    ann = await make_staff(sessions, 561, "Ann")
    cat = await make_staff(sessions, 562, "Cat", team="health_visiting")
    first = await make_request(sessions, 1061)

    async def signatures() -> tuple[str, str]:
        async with sessions() as session:
            mine = await referral_queries.queue_signature(session, ann)
            theirs = await referral_queries.queue_signature(session, cat)
        return mine.token(), theirs.token()

    before, before_cat = await signatures()
    assert referral_queries.QueueSignature.latest_id_of(before) == first.id
    await make_request(sessions, 1062)
    after_new, after_new_cat = await signatures()
    assert after_new != before and after_new_cat == before_cat  # another team's request
    async with sessions() as session:
        assert await referral_queries.new_since(session, ann, first.id) == 1
    async with sessions.begin() as session:
        await referrals.claim(session, first.id, ann, NOW + timedelta(minutes=5))
    after_claim, _ = await signatures()
    assert after_claim != after_new
