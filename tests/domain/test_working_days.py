"""Working days to a request's target: weekends and England's real bank holidays skipped."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from domain.working_days import LONDON, WorkingCalendar

CAL = WorkingCalendar()


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 24), True),
        (date(2026, 12, 25), False),  # Christmas Day
        (date(2026, 12, 28), False),  # Boxing Day, observed on the Monday
        (date(2027, 3, 29), False),  # Easter Monday
        (date(2026, 8, 31), False),  # late summer bank holiday
        (date(2027, 8, 30), False),
        (date(2026, 11, 28), False),  # a Saturday
        (date(2026, 11, 30), True),
    ],
)
def test_bank_holidays_and_weekends_are_not_working_days(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_a_request_on_christmas_eve_is_due_after_the_christmas_break() -> None:
    # Thu 24 Dec counts; 25 (Christmas), 26-27 (weekend), 28 (Boxing Day observed) do not.
    assert CAL.due_by(at(2026, 12, 24, 10, 0), 2) == at(2026, 12, 30, 17, 0)


def test_a_request_after_hours_or_at_the_weekend_counts_from_the_next_working_day() -> None:
    assert CAL.counts_from(at(2026, 12, 24, 17, 30)) == date(2026, 12, 29)
    assert CAL.due_by(at(2026, 12, 24, 17, 30), 2) == at(2026, 12, 31, 17, 0)
    # Good Friday 26 Mar 2027 and Easter Monday 29 Mar are off: Saturday's request starts Tue.
    assert CAL.counts_from(at(2027, 3, 27, 11, 0)) == date(2027, 3, 30)
    assert CAL.due_by(at(2027, 3, 27, 11, 0), 0) == at(2027, 3, 30, 17, 0)


def test_the_august_bank_holiday_is_skipped() -> None:
    # Fri 28 Aug 2026 + 2 working days: Mon 31 Aug is a bank holiday -> Wed 2 Sep.
    assert CAL.due_by(at(2026, 8, 28, 9, 0), 2) == at(2026, 9, 2, 17, 0)


def test_time_left_counts_working_hours_only() -> None:
    due = CAL.due_by(at(2026, 12, 24, 10, 0), 2)  # Wed 30 Dec, 17:00
    # Thu 24 Dec 16:00 -> 1 h that day, then 29 and 30 Dec in full.
    assert CAL.time_left(at(2026, 12, 24, 16, 0), due) == timedelta(hours=17)
    assert CAL.time_left(at(2026, 12, 27, 12, 0), due) == timedelta(hours=16)
    # Overdue: negative, by working time (the 31st's morning counts, the evening does not).
    assert CAL.time_left(at(2026, 12, 31, 20, 0), due) == -timedelta(hours=8)


def test_targets_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="working days"):
        CAL.add_working_days(date(2026, 12, 1), -1)
