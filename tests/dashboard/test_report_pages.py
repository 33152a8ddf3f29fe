"""The reports pages as a manager uses them: sign in, pick a report and dates, read the chart
and its table, download a CSV (audited), and see a figure change when a request is closed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import select

from dashboard.report_sections import SECTIONS
from domain import referrals
from domain.referrals import Done
from store.models import AuditEvent, ContactMethod, Family, Referral, StaffRole
from tests.conftest import Clock
from tests.dashboard.conftest import CALENDAR, SPOKES, Client, MakeStaff, Sessions, sign_in

# The clock fixture's now is Monday 23 November 2026, 10:00 (London is on UTC).


async def add_families(sessions: Sessions, area: str, times: int) -> None:
    async with sessions.begin() as session:
        session.add_all(
            Family(
                chat_id=9000 + times * 100 + i + len(area),
                locale="en",
                area=area,
                consented_at=datetime(2026, 11, 2, 12, tzinfo=UTC),
                registered_at=datetime(2026, 11, 2, 12, tzinfo=UTC),
            )
            for i in range(times)
        )


async def add_overdue_requests(sessions: Sessions, times: int) -> list[int]:
    made = datetime(2026, 11, 2, 9, tzinfo=UTC)  # BABS's target: Monday 9 November
    async with sessions.begin() as session:
        rows = [
            Referral(
                reference=f"GW-R{i}",
                spoke_id="babs",
                team_id="babs",
                answers={},
                contact_method=ContactMethod.MESSAGE,
                consent_at=made,
                created_at=made,
                due_by=CALENDAR.due_by(made, 5),
            )
            for i in range(times)
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


def rows_of(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # so Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


async def test_a_member_of_staff_sees_families_registered_over_the_last_12_weeks(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions
) -> None:
    await add_families(sessions, "crosby", 6)
    await add_families(sessions, "bootle", 3)
    member = await make_staff(name="Sam Lee", team="babs")
    await sign_in(dashboard, member.email or "")

    response = await dashboard.get("/dashboard/reports")

    assert response.status == 200
    page = await response.text()
    assert "<h1>Reports" in page
    assert "7 Sep 2026 to 23 Nov 2026" in page  # the default range: 12 weeks
    assert 'aria-current="page">Families</a>' in page
    assert '<svg class="chart"' in page and 'role="img"' in page
    assert '<title id="families-by-week-chart-title">Families registered by week</title>' in page
    assert '<th scope="row">Crosby</th>' in page
    assert "fewer than 5" in page  # Bootle's 3
    assert ">3<" not in page


async def test_every_report_renders_for_an_admin_with_a_chosen_range(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions
) -> None:
    await add_overdue_requests(sessions, 6)
    admin = await make_staff(name="Ada Admin", team=None, role=StaffRole.ADMIN)
    await sign_in(dashboard, admin.email or "")
    for name in SECTIONS:
        response = await dashboard.get(
            "/dashboard/reports",
            params={"report": name, "start": "2026-11-01", "end": "2026-11-22"},
        )
        assert response.status == 200, name
        page = await response.text()
        assert "1 Nov 2026 to 22 Nov 2026" in page
        assert f'href="/dashboard/reports/{next(iter(SECTIONS[name][2]))}.csv?' in page


async def test_bad_dates_show_the_form_again_saying_what_is_wrong(
    dashboard: Client, make_staff: MakeStaff
) -> None:
    member = await make_staff()
    await sign_in(dashboard, member.email or "")
    cases = {
        ("2026-13-01", ""): "The start date must be a date like 2026-09-14.",
        ("2026-11-20", "2026-11-01"): "The start date must be on or before the end date.",
        ("0026-11-01", ""): "The start date must be between 2020 and 2099.",
        ("", "9999-12-31"): "The end date must be between 2020 and 2099.",
        ("2020-01-01", "2026-11-01"): "Choose a range of at most three years.",
    }
    for (start, end), message in cases.items():
        response = await dashboard.get("/dashboard/reports", params={"start": start, "end": end})
        assert response.status == 400
        page = await response.text()
        assert message in page
        assert 'aria-invalid="true"' in page
        assert f'value="{start}"' in page  # what was typed, to correct it
    csv_response = await dashboard.get(
        "/dashboard/reports/families-by-week.csv", params={"start": "yesterday"}
    )
    assert csv_response.status == 400
    assert "There is a problem" in await csv_response.text()


async def test_a_csv_has_a_header_row_hides_small_numbers_and_is_audited(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await add_families(sessions, "crosby", 6)
    await add_families(sessions, "bootle", 3)
    await add_families(sessions, "maghull", 2)
    member = await make_staff(name="Sam Lee", team="babs")
    await sign_in(dashboard, member.email or "")

    response = await dashboard.get(
        "/dashboard/reports/families-by-area.csv",
        params={"start": "2026-11-01", "end": "2026-11-08"},
    )

    assert response.status == 200
    assert response.content_type == "text/csv"
    assert response.charset == "utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="growwell-families-by-area-2026-11-01-to-2026-11-08.csv"'
    )
    assert rows_of(await response.read()) == [
        ["Area", "Families"],
        ["Crosby", "6"],
        ["Bootle", "fewer than 5"],
        ["Maghull", "fewer than 5"],
    ]
    async with sessions() as session:
        [event] = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report_download")
        )
    assert (event.staff_id, event.at) == (member.id, clock())
    assert event.detail == {
        "report": "families-by-area",
        "start": "2026-11-01",
        "end": "2026-11-08",
    }
    assert (await dashboard.get("/dashboard/reports/nothing.csv")).status == 404


async def test_the_overdue_report_changes_when_a_request_is_closed(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    ids = await add_overdue_requests(sessions, 5)
    member = await make_staff(name="Bea Babs", team="babs")
    await sign_in(dashboard, member.email or "")

    before = await dashboard.get("/dashboard/reports/overdue.csv")
    assert rows_of(await before.read())[1:] == [
        ["Bonding with your baby (BABS)", "BABS (Building Attachment and Bonds Service)", "5"]
    ]

    async with sessions.begin() as session:
        assert isinstance(await referrals.claim(session, ids[0], member, clock()), Done)
        closed = await referrals.close(session, ids[0], member, "advice_given", SPOKES, clock())
        assert isinstance(closed, Done)

    after = await dashboard.get("/dashboard/reports", params={"report": "overdue"})
    page = await after.text()
    assert "<strong>fewer than 5</strong> Overdue" in page
    assert '<td class="number">fewer than 5</td>' in page


async def test_a_source_a_spreadsheet_would_run_is_written_as_text(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions
) -> None:
    """Sources come from deep links anyone can make (t.me/bot?start=-2+3): never a formula."""
    async with sessions.begin() as session:
        session.add_all(
            Family(
                chat_id=7700 + i,
                locale="en",
                source="-2+3",
                consented_at=datetime(2026, 11, 2, 12, tzinfo=UTC),
                registered_at=datetime(2026, 11, 2, 12, tzinfo=UTC),
            )
            for i in range(5)
        )
    member = await make_staff()
    await sign_in(dashboard, member.email or "")
    response = await dashboard.get(
        "/dashboard/reports/families-by-source.csv",
        params={"start": "2026-11-01", "end": "2026-11-08"},
    )
    assert rows_of(await response.read())[1] == ["'-2+3", "5"]
