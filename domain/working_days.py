"""Working days and working time for the staff queue: England's bank holidays, weekends off.

The target time to first contact is counted in working days (see `resources/spokes.yaml`).
The rule chosen here, so staff and families read the same date:

- A request made on a working day before the end of the working day counts from that day; a
  request made later, or on a weekend or bank holiday, counts from the next working day.
- It is due by the end of the working day `target` working days after that day: with a target
  of 2, a request made on Monday at 10:00 is due on Wednesday at 17:00; one made on Friday at
  18:00 is due on Wednesday at 17:00 too; a target of 0 means "by the end of today".
- Time left to the target counts working hours only (09:00-17:00 on working days by default),
  so a request due on Tuesday at 17:00 has 8 hours left on Friday at 17:00, not 4 days.

Bank holidays come from the `holidays` package (England), so there is no hand-written list to
keep up to date.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
# A target far beyond this is a mistake in the data, and would loop for a long time.
MAX_TARGET_DAYS = 60


class EnglandBankHolidays:
    """England's bank holidays, years filled in as they are asked for.

    The `holidays` package is imported at the first question, not at start-up: it holds every
    country's calendar, 3 MiB of the bot's memory budget (bench/memory.py), and a bot with no
    request for support yet never needs it.
    """

    def __init__(self) -> None:
        self._days: Container[date] | None = None

    def __contains__(self, day: object) -> bool:
        if self._days is None:
            import holidays

            self._days = holidays.country_holidays("GB", subdiv="ENG")
        return day in self._days


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days (Monday to Friday, not a bank holiday in England) and working hours."""

    zone: ZoneInfo = LONDON
    day_starts: time = time(9, 0)
    day_ends: time = time(17, 0)
    bank_holidays: Container[date] = field(default_factory=EnglandBankHolidays)

    def __post_init__(self) -> None:
        if self.day_starts >= self.day_ends:
            raise ValueError("the working day must start before it ends")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.bank_holidays

    def next_working_day(self, day: date) -> date:
        """The first working day after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The working day `count` working days after `day` (`day` itself if count is 0 and it
        is a working day; otherwise counted from the next one)."""
        if not 0 <= count <= MAX_TARGET_DAYS:
            raise ValueError(f"working days must be 0 to {MAX_TARGET_DAYS}, not {count}")
        if not self.is_working_day(day):
            day = self.next_working_day(day)
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def counts_from(self, moment: datetime) -> date:
        """The working day a request made at `moment` counts from (see the module's rule)."""
        local = moment.astimezone(self.zone)
        if self.is_working_day(local.date()) and local.time() < self.day_ends:
            return local.date()
        return self.next_working_day(local.date())

    def due_by(self, created_at: datetime, target_days: int) -> datetime:
        """When a request made at `created_at` with a target of `target_days` working days is
        due: the end of that working day, as an aware datetime in the calendar's zone."""
        day = self.add_working_days(self.counts_from(created_at), target_days)
        return datetime.combine(day, self.day_ends, tzinfo=self.zone)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working hours from `start` to `end`; negative if `end` is before `start`."""
        if end < start:
            return -self.working_time_between(end, start)
        total = timedelta()
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        day = local_start.date()
        while day <= local_end.date():
            if self.is_working_day(day):
                opens = datetime.combine(day, self.day_starts, tzinfo=self.zone)
                closes = datetime.combine(day, self.day_ends, tzinfo=self.zone)
                begin, finish = max(opens, local_start), min(closes, local_end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total

    def time_left(self, now: datetime, due_by: datetime) -> timedelta:
        """Working time left until `due_by`; negative once it has passed (overdue by that
        much working time)."""
        return self.working_time_between(now, due_by)

    @property
    def working_day_length(self) -> timedelta:
        return datetime.combine(date.min, self.day_ends) - datetime.combine(
            date.min, self.day_starts
        )
