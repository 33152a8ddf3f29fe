"""Impact reports on a real database: small hand-made services whose figures are known, week
boundaries in London time, the edges of a date range, small numbers held back, and overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import reports
from domain.reports import (
    Bar,
    ContactTimes,
    Hidden,
    OverdueSpoke,
    Period,
    Week,
    WorkingTimeline,
    publish_count,
    publish_counts,
    publish_share,
    publish_total,
)
from domain.working_days import LONDON, WorkingCalendar
from resources.areas import load_areas
from resources.library import load_library
from resources.spokes import load_spokes
from store.models import (
    ArticleRead,
    ArticleVote,
    ContactMethod,
    Delivery,
    DeliveryStatus,
    Family,
    Referral,
    ReferralStatus,
)

Sessions = async_sessionmaker[AsyncSession]
SPOKES = load_spokes()
AREAS = load_areas()
TITLES = reports.english_titles(load_library())
CALENDAR = WorkingCalendar(bank_holidays=frozenset())
FEWER, NOT_SHOWN = Hidden.FEWER_THAN_5, Hidden.NOT_SHOWN
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday; London is on UTC in winter
_chats = count(1000)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def add_families(
    sessions: Sessions,
    registered: datetime | None,
    *,
    times: int = 1,
    area: str | None = None,
    source: str | None = None,
) -> list[int]:
    async with sessions.begin() as session:
        rows = [
            Family(
                chat_id=next(_chats),
                locale="en",
                area=area,
                source=source,
                consented_at=registered or NOW,
                registered_at=registered,
            )
            for _ in range(times)
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def add_request(
    sessions: Sessions,
    spoke: str,
    created: datetime,
    *,
    contact: datetime | None = None,
    status: ReferralStatus | None = None,
    closed: datetime | None = None,
    source: str = "bot",
    times: int = 1,
) -> None:
    target = SPOKES.spoke(spoke).target_working_days
    if status is None:
        status = ReferralStatus.CONTACTED if contact else ReferralStatus.NEW
    async with sessions.begin() as session:
        for _ in range(times):
            session.add(
                Referral(
                    reference=f"GW-T{next(_chats)}",
                    spoke_id=spoke,
                    team_id=SPOKES.spoke(spoke).team,
                    status=status,
                    answers={},
                    contact_method=ContactMethod.MESSAGE,
                    consent_at=created,
                    source=source,
                    created_at=created,
                    due_by=CALENDAR.due_by(created, target),
                    first_contact_at=contact,
                    closed_at=closed,
                )
            )


# ------------------------------------------------------------------------------ the rule


def test_counts_from_one_to_four_read_fewer_than_5_and_zero_stays_zero() -> None:
    assert [publish_count(n) for n in range(7)] == [0, FEWER, FEWER, FEWER, FEWER, 5, 6]
    assert FEWER.value == "fewer than 5"


def test_one_small_cell_hides_the_next_smallest_so_the_total_cannot_give_it_away() -> None:
    assert publish_counts([40, 3, 12, 0]) == [40, FEWER, NOT_SHOWN, 0]
    # Two small cells adding up to 5 or more hide each other; no small cell hides nothing.
    assert publish_counts([40, 3, 2, 12]) == [40, FEWER, FEWER, 12]
    assert publish_counts([40, 5, 0]) == [40, 5, 0]
    assert publish_counts([3, 0]) == [FEWER, 0]


def test_small_cells_adding_up_to_under_5_hide_more_until_they_do() -> None:
    # 20, 1 and 1 with a total of 22: the two hidden cells would add up to 2, so both are 1.
    assert publish_counts([20, 1, 1]) == [NOT_SHOWN, FEWER, FEWER]
    # Eight weeks of one family each: every week is hidden, and so is the total of 8, which
    # would say that each week was 1.
    assert publish_counts([1] * 8) == [FEWER] * 8
    assert publish_total([1] * 8) is NOT_SHOWN
    assert publish_total([20, 1, 1]) == 22
    assert publish_total([3]) is FEWER
    assert publish_counts([30, 1, 2, 9, 6]) == [30, FEWER, FEWER, 9, NOT_SHOWN]


def test_a_share_is_not_shown_when_it_would_reveal_a_small_count() -> None:
    assert publish_share(6, 12) == 0.5
    assert publish_share(0, 0) is None
    assert publish_share(3, 3) is NOT_SHOWN  # fewer than 5 in all
    assert publish_share(2, 40) is NOT_SHOWN  # the part
    assert publish_share(38, 40) is NOT_SHOWN  # the rest
    assert publish_share(0, 7) == 0.0


def test_the_default_range_is_this_week_and_the_eleven_before() -> None:
    period = Period.last_weeks(date(2026, 12, 3))  # a Thursday
    assert period == Period(date(2026, 9, 14), date(2026, 12, 3))
    assert len(period.weeks()) == 12
    with pytest.raises(ValueError, match="before the start"):
        Period(date(2026, 12, 3), date(2026, 12, 2))


# ------------------------------------------------------------------------------ families


async def test_families_by_london_week_area_and_source_within_the_range_edges(
    sessions: Sessions,
) -> None:
    # June: London is an hour ahead of UTC, so a Sunday night in UTC can be a Monday.
    await add_families(sessions, utc("2026-05-31 22:59"), area="bootle")  # Sun 23:59: before
    await add_families(sessions, utc("2026-05-31 23:00"), times=5, area="bootle", source="leaflet")
    await add_families(sessions, utc("2026-06-07 22:30"), area="outside")  # Sun 7 Jun 23:30
    await add_families(sessions, utc("2026-06-07 23:30"), times=6, area="crosby", source="leaflet")
    await add_families(sessions, utc("2026-06-14 22:59"), source="gp")  # Sun 14 Jun 23:59
    await add_families(sessions, utc("2026-06-14 23:00"), area="bootle")  # Mon 15 Jun: after
    await add_families(sessions, None, area="bootle")  # consented, never finished signing up

    async with sessions() as session:
        report = await reports.registrations(
            session, Period(date(2026, 6, 1), date(2026, 6, 14)), LONDON, AREAS
        )

    assert report.total == 13
    assert report.by_week == [
        Week(date(2026, 6, 1), 6, partial=False),
        Week(date(2026, 6, 8), 7, partial=False),
    ]
    # The two small areas add up to 2: Bootle is held back too, so the total cannot tell.
    assert report.by_area == [
        Bar("Crosby", 6),
        Bar("Bootle", NOT_SHOWN),
        Bar("Outside Sefton", FEWER),
        Bar("not recorded", FEWER),
    ]
    assert report.by_source == [
        Bar("leaflet", NOT_SHOWN),
        Bar("gp", FEWER),
        Bar("not recorded", FEWER),
    ]


async def test_a_range_starting_midweek_shows_its_first_week_as_part_of_a_week(
    sessions: Sessions,
) -> None:
    await add_families(sessions, utc("2026-11-18 12:00"), times=5, area="L20")
    async with sessions() as session:
        report = await reports.registrations(
            session, Period(date(2026, 11, 18), date(2026, 11, 29)), LONDON, AREAS
        )
    assert report.by_week == [
        Week(date(2026, 11, 16), 5, partial=True),
        Week(date(2026, 11, 23), 0, partial=False),
    ]
    assert report.by_area == [Bar("Postcode L20", 5)]


# ------------------------------------------------------------------------------ messages


async def test_messages_by_topic_count_what_happened_to_those_due_in_the_range(
    sessions: Sessions,
) -> None:
    [family] = await add_families(sessions, NOW)
    keys = count()

    async def add(topic: str, status: DeliveryStatus, due: date, times: int) -> None:
        async with sessions.begin() as session:
            session.add_all(
                Delivery(
                    family_id=family,
                    entry_key=f"e{next(keys)}",
                    topic=topic,
                    due_on=due,
                    stale_on=due,
                    status=status,
                )
                for _ in range(times)
            )

    inside = date(2026, 11, 2)
    await add("feeding", DeliveryStatus.SENT, inside, 7)
    await add("feeding", DeliveryStatus.FAILED, date(2026, 11, 8), 2)
    await add("safe_sleep", DeliveryStatus.SENT, inside, 5)
    await add("safe_sleep", DeliveryStatus.SKIPPED, inside, 6)
    await add("referral", DeliveryStatus.SENT, inside, 3)
    await add("feeding", DeliveryStatus.PENDING, inside, 4)  # not done yet
    await add("feeding", DeliveryStatus.CANCELLED, inside, 2)  # never meant to go
    await add("feeding", DeliveryStatus.SENT, date(2026, 11, 1), 9)  # the day before
    await add("feeding", DeliveryStatus.SENT, date(2026, 11, 9), 9)  # the day after

    async with sessions() as session:
        report = await reports.messages(session, Period(inside, date(2026, 11, 8)))

    assert [(t.label, t.sent, t.failed, t.skipped) for t in report.by_topic] == [
        ("Safe sleep", NOT_SHOWN, 0, 6),  # 5 hidden: 15 sent less 7 would give the 3 away
        ("Feeding", 7, FEWER, 0),
        ("Updates on requests", FEWER, 0, 0),
    ]
    assert (report.sent, report.failed, report.skipped) == (15, FEWER, 6)


# ------------------------------------------------------------------------------ library


async def test_library_reads_and_votes_per_article_with_titles_and_small_numbers_hidden(
    sessions: Sessions,
) -> None:
    period = Period(date(2026, 11, 2), date(2026, 11, 8))
    async with sessions.begin() as session:
        session.add_all(
            [
                ArticleRead(day=date(2026, 11, 2), article_id="safe-sleep-basics", locale="en",
                            reads=10),
                ArticleRead(day=date(2026, 11, 8), article_id="safe-sleep-basics", locale="pl",
                            reads=3),
                ArticleRead(day=date(2026, 11, 3), article_id="hot-weather", locale="en", reads=7),
                ArticleRead(day=date(2026, 11, 4), article_id="crying-icon", locale="en", reads=2),
                ArticleRead(day=date(2026, 11, 9), article_id="crying-icon", locale="en",
                            reads=50),  # the day after the range
            ]
        )  # fmt: skip
    voters = await add_families(sessions, NOW, times=13)
    async with sessions.begin() as session:
        for i, family in enumerate(voters[:11]):
            session.add(
                ArticleVote(
                    family_id=family,
                    article_id="safe-sleep-basics",
                    helpful=i < 6,
                    voted_at=utc("2026-11-05 12:00"),
                )
            )
        session.add(
            ArticleVote(family_id=voters[11], article_id="crying-icon", helpful=True,
                        voted_at=utc("2026-11-08 23:59"))
        )  # fmt: skip
        session.add(
            ArticleVote(family_id=voters[12], article_id="crying-icon", helpful=False,
                        voted_at=utc("2026-11-09 00:00"))  # the day after the range
        )  # fmt: skip

    async with sessions() as session:
        report = await reports.library_use(session, period, LONDON, TITLES)

    assert [
        (a.title, a.reads, a.helpful, a.not_helpful, a.helpful_share) for a in report.by_article
    ] == [
        ("Safe sleep: the basics", 13, NOT_SHOWN, 5, 6 / 11),
        ("Keeping your baby cool in hot weather", NOT_SHOWN, 0, 0, None),
        ("ICON: babies cry, you can cope", FEWER, FEWER, 0, NOT_SHOWN),
    ]
    assert report.by_language == [Bar("en", NOT_SHOWN), Bar("pl", FEWER)]
    assert (report.reads, report.votes) == (22, 12)


# ------------------------------------------------------------------------------ requests


async def test_requests_by_week_spoke_and_source(sessions: Sessions) -> None:
    await add_request(sessions, "babs", utc("2026-11-02 00:00"), times=5)  # first moment
    await add_request(sessions, "babs", utc("2026-11-15 23:59"))  # last minute
    await add_request(sessions, "safe_sleep", utc("2026-11-10 08:00"), source="partner:police",
                      times=5)  # fmt: skip
    await add_request(sessions, "babs", utc("2026-11-16 00:00"))  # the day after
    await add_request(sessions, "babs", utc("2026-11-01 23:59"))  # the day before

    async with sessions() as session:
        report = await reports.requests(
            session, Period(date(2026, 11, 2), date(2026, 11, 15)), LONDON, SPOKES
        )

    assert report.total == 11
    assert [(w.starts, w.count) for w in report.by_week] == [
        (date(2026, 11, 2), 5),
        (date(2026, 11, 9), 6),
    ]
    assert report.by_spoke == [
        Bar("Bonding with your baby (BABS)", 6),
        Bar("Safe sleep advice", 5),
    ]
    assert report.by_source == [Bar("Families, through the bot", 6), Bar("Partner: police", 5)]


# ------------------------------------------------------------------------------ first contact


def test_the_working_timeline_agrees_with_the_calendar_across_weekends_and_clock_changes() -> None:
    calendar = WorkingCalendar(bank_holidays=frozenset({date(2026, 12, 25)}))
    timeline = WorkingTimeline(calendar, date(2026, 10, 20), date(2027, 1, 10))
    moments = [
        datetime(2026, 10, 23, 16, 30, tzinfo=LONDON),  # a Friday before the clocks go back
        datetime(2026, 10, 26, 8, 0, tzinfo=LONDON),
        datetime(2026, 10, 27, 12, 15, tzinfo=LONDON),
        datetime(2026, 12, 24, 20, 0, tzinfo=LONDON),
        datetime(2026, 12, 29, 9, 30, tzinfo=LONDON),
        datetime(2027, 1, 9, 11, 0, tzinfo=LONDON),  # a Saturday
    ]
    for start in moments:
        for end in moments:
            if end >= start:
                expected = calendar.working_time_between(start, end) / timedelta(hours=8)
                assert timeline.working_days(start, end) == pytest.approx(expected)


async def test_time_to_first_contact_in_working_days_against_each_spokes_target(
    sessions: Sessions,
) -> None:
    made = utc("2026-11-02 09:00")  # a Monday morning; BABS's target (5) is Mon 9 Nov 17:00
    for contact in ("2026-11-02 13:00", "2026-11-03 09:00", "2026-11-04 09:00",
                    "2026-11-05 13:00", "2026-11-09 09:00"):  # fmt: skip
        await add_request(sessions, "babs", made, contact=utc(contact))
    await add_request(sessions, "babs", made, times=4)  # still waiting, past the target
    await add_request(sessions, "babs", made, status=ReferralStatus.CLAIMED)
    await add_request(sessions, "babs", made, status=ReferralStatus.DECLINED, closed=NOW)
    await add_request(sessions, "babs", utc("2026-11-30 09:00"))  # waiting, not due yet
    # Safe sleep: made on a Friday evening, counted from Monday 09:00.
    await add_request(
        sessions, "safe_sleep", utc("2026-11-06 18:00"), contact=utc("2026-11-09 10:00")
    )
    await add_request(
        sessions, "safe_sleep", utc("2026-11-02 09:00"), contact=utc("2026-11-02 11:00")
    )
    await add_request(sessions, "babs", utc("2026-12-01 09:00"), contact=NOW)  # after the range

    async with sessions() as session:
        rows = await reports.contact_times(
            session, Period(date(2026, 11, 2), date(2026, 11, 30)), NOW, SPOKES, CALENDAR
        )

    by_spoke = {row.spoke_id: row for row in rows}
    # Safe sleep's 2 and the total of 7 would give BABS's 5 away, and the other way round.
    assert by_spoke["babs"] == ContactTimes(
        "babs", "Bonding with your baby (BABS)", 5, contacted=NOT_SHOWN, median_days=2.0,
        p90_days=5.0, within_target=0.5,
    )  # fmt: skip
    assert by_spoke["safe_sleep"] == ContactTimes(
        "safe_sleep", "Safe sleep advice", 2, contacted=FEWER, median_days=NOT_SHOWN,
        p90_days=NOT_SHOWN, within_target=NOT_SHOWN,
    )  # fmt: skip
    assert by_spoke["fathers"].contacted == 0
    assert by_spoke["fathers"].median_days is None
    assert rows[-1] == ContactTimes(
        None, "All spokes", None, contacted=7, median_days=1.0, p90_days=5.0,
        within_target=7 / 12,
    )  # fmt: skip


# ------------------------------------------------------------------------------ overdue


async def test_overdue_counts_open_requests_past_target_with_no_contact_by_spoke_and_team(
    sessions: Sessions,
) -> None:
    await add_request(sessions, "babs", utc("2026-11-02 09:00"), times=5)
    await add_request(sessions, "safe_sleep", utc("2026-11-20 09:00"),
                      status=ReferralStatus.CLAIMED)  # fmt: skip
    await add_request(sessions, "babs", utc("2026-11-02 09:00"), contact=utc("2026-11-12 09:00"))
    await add_request(sessions, "babs", utc("2026-11-02 09:00"), status=ReferralStatus.CANCELLED,
                      closed=utc("2026-11-03 09:00"))  # fmt: skip
    await add_request(sessions, "babs", utc("2026-11-30 09:00"))  # not due yet
    # Overdue through October, closed since.
    await add_request(sessions, "babs", utc("2026-10-01 09:00"), status=ReferralStatus.CLOSED,
                      closed=utc("2026-11-20 09:00"))  # fmt: skip

    async with sessions() as session:
        now = await reports.overdue(
            session, Period.last_weeks(date(2026, 12, 1)), NOW, LONDON, SPOKES
        )
        october = await reports.overdue(
            session, Period(date(2026, 10, 1), date(2026, 10, 31)), NOW, LONDON, SPOKES
        )

    assert now.as_at == NOW
    assert now.total == 6
    assert now.by_spoke == [
        OverdueSpoke("Bonding with your baby (BABS)", "BABS (Building Attachment and Bonds "
                     "Service)", NOT_SHOWN),
        OverdueSpoke("Safe sleep advice", "Sefton health visiting hub", FEWER),
    ]  # fmt: skip
    assert october.as_at == utc("2026-11-01 00:00")
    assert october.total == FEWER
