"""Impact reports for managers: what the service did over a date range, as plain figures.

Every report counts in SQL (a year of a large service is 100,000 families, 20,000 requests and
a million messages; bench/reports.py) and hands back dataclasses whose figures are already safe
to publish: a count from 1 to 4 is `Hidden.FEWER_THAN_5`, so no page, chart or CSV can show it,
and a figure that would give one away (a share, a median, another cell of a breakdown whose
total is shown, or that total) is `Hidden.NOT_SHOWN`. `publish_counts`, `publish_total`,
`publish_share` and `publish_figure` hold that rule.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from domain.campaigns import TOPIC as CAMPAIGN_TOPIC
from domain.referrals import NOTICE_TOPIC
from domain.working_days import WorkingCalendar
from resources.areas import OUTSIDE_SEFTON, Areas
from resources.library import Library
from resources.spokes import Spokes
from resources.topics import Topic
from store.dialects import utc_hour
from store.models import (
    ArticleRead,
    ArticleVote,
    Delivery,
    DeliveryStatus,
    Family,
    Referral,
    ReferralStatus,
)

SMALL_NUMBER_LIMIT = 5  # counts from 1 to 4 are never shown
DEFAULT_WEEKS = 12
NOT_RECORDED = "not recorded"
# What happened to a message, as a report shows it (pending and sending are not done yet;
# cancelled rows were never meant to go, e.g. a plan changed by a birth).
MESSAGE_OUTCOMES = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)
# The statuses in which a request may still be waiting for its first contact.
WAITING = (ReferralStatus.NEW, ReferralStatus.CLAIMED)


class Hidden(Enum):
    """A figure held back so that no family can be picked out; the value is what is shown."""

    FEWER_THAN_5 = "fewer than 5"
    NOT_SHOWN = "not shown"


Count = int | Hidden
Share = float | Hidden | None  # None: nothing to divide by


def publish_count(count: int) -> Count:
    """One count as it may be shown: 0 and 5 upwards as they are, 1 to 4 hidden."""
    return Hidden.FEWER_THAN_5 if 0 < count < SMALL_NUMBER_LIMIT else count


def publish_counts(counts: Sequence[int]) -> list[Count]:
    """The cells of a breakdown whose total is shown: small cells hidden, and then the
    smallest other cells too until the hidden cells add up to 5 or more. Otherwise the total
    minus the cells shown would give a small number away (one hidden cell: its value; two
    cells of 1: both)."""
    shown = [publish_count(count) for count in counts]
    hidden = {i for i, value in enumerate(shown) if value is Hidden.FEWER_THAN_5}
    if not hidden:
        return shown
    others = sorted(
        (i for i, count in enumerate(counts) if count > 0 and i not in hidden),
        key=lambda i: counts[i],
    )
    for i in others:
        if sum(counts[j] for j in hidden) >= SMALL_NUMBER_LIMIT and len(hidden) > 1:
            break
        shown[i] = Hidden.NOT_SHOWN
        hidden.add(i)
    return shown


def publish_share(part: int, whole: int) -> Share:
    """`part` of `whole` as a fraction, unless it would reveal a count from 1 to 4: the whole
    itself, the part, or the rest."""
    if whole == 0:
        return None
    if any(0 < count < SMALL_NUMBER_LIMIT for count in (whole, part, whole - part)):
        return Hidden.NOT_SHOWN
    return part / whole


def publish_figure(value: float | None, based_on: int) -> float | Hidden | None:
    """A figure worked out from `based_on` rows (a median): not shown over fewer than 5."""
    if based_on == 0 or value is None:
        return None
    return Hidden.NOT_SHOWN if based_on < SMALL_NUMBER_LIMIT else value


async def plan_for_each_range(session: AsyncSession) -> None:
    """On PostgreSQL, plan this transaction's report queries for the dates they are given.

    The driver prepares each statement, and after five runs PostgreSQL may keep one generic
    plan for any dates: the plan that suits 12 weeks reads a year of a million outbox rows
    row by row (0.8 s instead of 0.1 s, bench/reports.py). A report runs a handful of queries,
    so planning each one afresh costs well under a millisecond."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


# ------------------------------------------------------------------------------ date ranges


@dataclass(frozen=True)
class Period:
    """Local days from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the end date is before the start date")

    @classmethod
    def last_weeks(cls, today: date, weeks: int = DEFAULT_WEEKS) -> Period:
        """This week and the `weeks - 1` before it, so every weekly bar but the last is full."""
        return cls(week_of(today) - timedelta(weeks=weeks - 1), today)

    def moments(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The first moment of `start` and the first moment after `end`, in UTC."""
        first = datetime.combine(self.start, time(0), tzinfo=zone).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone)
        return first, after.astimezone(UTC)

    def weeks(self) -> list[date]:
        """The Monday of every ISO week the period touches."""
        monday, last = week_of(self.start), week_of(self.end)
        return [monday + timedelta(weeks=i) for i in range((last - monday).days // 7 + 1)]


def week_of(day: date) -> date:
    """The Monday that starts the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Bar:
    """One category and its count."""

    label: str
    count: Count


@dataclass(frozen=True)
class Week:
    """One ISO week (starting Monday) and its count; `partial` when the period cuts it."""

    starts: date
    count: Count
    partial: bool


def _weeks(period: Period, counts: Mapping[date, int]) -> list[Week]:
    mondays = period.weeks()
    shown = publish_counts([counts.get(monday, 0) for monday in mondays])
    return [
        Week(
            monday,
            value,
            partial=monday < period.start or monday + timedelta(days=6) > period.end,
        )
        for monday, value in zip(mondays, shown, strict=True)
    ]


def _bars(counts: Mapping[str, int]) -> list[Bar]:
    """Categories, largest first (then by name), with a total shown."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = publish_counts([count for _, count in ordered])
    return [Bar(label, value) for (label, _), value in zip(ordered, shown, strict=True)]


async def _count_by_week(
    session: AsyncSession,
    column: InstrumentedAttribute[datetime | None] | InstrumentedAttribute[datetime],
    conditions: Sequence[ColumnElement[bool]],
    zone: ZoneInfo,
) -> Counter[date]:
    """Rows per local ISO week, counted per UTC hour in SQL (see `store.dialects.utc_hour`)."""
    hour = utc_hour(column)
    rows = await session.execute(select(hour, func.count()).where(*conditions).group_by(hour))
    weeks: Counter[date] = Counter()
    for hour_text, count in rows:
        moment = datetime.fromisoformat(f"{hour_text}:00").replace(tzinfo=UTC)  # C, not strptime
        weeks[week_of(moment.astimezone(zone).date())] += count
    return weeks


def publish_total(counts: Iterable[int]) -> Count:
    """The total of a breakdown shown with `publish_counts`: held back too when its hidden
    cells could still be worked out from it (they add up to under 5, or all are 1)."""
    counts = list(counts)
    if sum(counts) < SMALL_NUMBER_LIMIT:
        return publish_count(sum(counts))
    hidden = [
        count
        for count, shown in zip(counts, publish_counts(counts), strict=True)
        if isinstance(shown, Hidden)
    ]
    if hidden and (sum(hidden) < SMALL_NUMBER_LIMIT or sum(hidden) == len(hidden)):
        return Hidden.NOT_SHOWN
    return sum(counts)


# ------------------------------------------------------------------------------ families


@dataclass(frozen=True)
class Registrations:
    """Families who finished signing up in the period."""

    total: Count
    by_week: list[Week]
    by_area: list[Bar]
    by_source: list[Bar]


def area_label(area: str | None, areas: Areas) -> str:
    """What a manager calls a stored area: a town's name, a postcode district, or outside."""
    if area is None:
        return NOT_RECORDED
    if area == OUTSIDE_SEFTON:
        return "Outside Sefton"
    town = areas.town(area)
    if town is not None:
        return town.name
    return f"Postcode {area}"


Breakdown = tuple[Any, Callable[[Any], str]]  # a column, and how its values read in a report


async def _count_by_two(
    session: AsyncSession, conditions: list[Any], one: Breakdown, two: Breakdown
) -> tuple[Counter[str], Counter[str]]:
    """Rows counted by two columns in one query, each value put in words."""
    (first, first_name), (second, second_name) = one, two
    by_first: Counter[str] = Counter()
    by_second: Counter[str] = Counter()
    rows = await session.execute(
        select(first, second, func.count()).where(*conditions).group_by(first, second)
    )
    for first_value, second_value, count in rows:
        by_first[first_name(first_value)] += count
        by_second[second_name(second_value)] += count
    return by_first, by_second


async def registrations(
    session: AsyncSession, period: Period, zone: ZoneInfo, areas: Areas
) -> Registrations:
    first, after = period.moments(zone)
    conditions = [Family.registered_at >= first, Family.registered_at < after]
    by_week = await _count_by_week(session, Family.registered_at, conditions, zone)
    by_area, by_source = await _count_by_two(
        session,
        conditions,
        (Family.area, lambda area: area_label(area, areas)),
        (Family.source, lambda source: source or NOT_RECORDED),
    )
    return Registrations(
        total=publish_total(by_week.values()),
        by_week=_weeks(period, by_week),
        by_area=_bars(by_area),
        by_source=_bars(by_source),
    )


# ------------------------------------------------------------------------------ messages


@dataclass(frozen=True)
class TopicMessages:
    topic: str
    label: str
    sent: Count
    failed: Count
    skipped: Count


@dataclass(frozen=True)
class Messages:
    """Messages due on a day of the period, by what happened to them."""

    by_topic: list[TopicMessages]
    sent: Count
    failed: Count
    skipped: Count


def topic_label(topic: str) -> str:
    """A topic's name for staff (the families' shelf names are translated and have emoji)."""
    if topic == NOTICE_TOPIC:
        return "Updates on requests"
    if topic == CAMPAIGN_TOPIC:
        return "Campaigns"
    if topic in Topic.__members__.values():
        return topic.replace("_", " ").capitalize()
    return topic


async def messages(session: AsyncSession, period: Period) -> Messages:
    rows = await session.execute(
        select(Delivery.topic, Delivery.status, func.count())
        .where(
            Delivery.due_on >= period.start,
            Delivery.due_on <= period.end,
            Delivery.status.in_(MESSAGE_OUTCOMES),
        )
        .group_by(Delivery.topic, Delivery.status)
    )
    counts: dict[str, Counter[DeliveryStatus]] = defaultdict(Counter)
    for topic, status, count in rows:
        counts[topic][DeliveryStatus(status)] += count
    order = {topic.value: i for i, topic in enumerate(Topic)}
    topics = sorted(counts, key=lambda t: (order.get(t, len(order)), t))
    columns = {
        status: publish_counts([counts[topic][status] for topic in topics])
        for status in MESSAGE_OUTCOMES
    }
    return Messages(
        by_topic=[
            TopicMessages(
                topic,
                topic_label(topic),
                sent=columns[DeliveryStatus.SENT][i],
                failed=columns[DeliveryStatus.FAILED][i],
                skipped=columns[DeliveryStatus.SKIPPED][i],
            )
            for i, topic in enumerate(topics)
        ],
        sent=publish_total(c[DeliveryStatus.SENT] for c in counts.values()),
        failed=publish_total(c[DeliveryStatus.FAILED] for c in counts.values()),
        skipped=publish_total(c[DeliveryStatus.SKIPPED] for c in counts.values()),
    )


# ------------------------------------------------------------------------------ library


@dataclass(frozen=True)
class ArticleUse:
    article_id: str
    title: str
    reads: Count
    helpful: Count
    not_helpful: Count
    helpful_share: Share


@dataclass(frozen=True)
class LibraryUse:
    """Article opens (counted per day, article and language, never per family) and the
    families' "Was this helpful?" votes last given in the period."""

    reads: Count
    votes: Count
    by_article: list[ArticleUse]
    by_language: list[Bar]


def english_titles(library: Library) -> dict[str, str]:
    """Each article's English title, all a report needs of the library."""
    return {article_id: library.get(article_id, "en").title for article_id in library.ids}


async def library_use(
    session: AsyncSession, period: Period, zone: ZoneInfo, titles: Mapping[str, str]
) -> LibraryUse:
    """`titles`: article id -> title (an article since removed shows its id)."""
    in_period = [ArticleRead.day >= period.start, ArticleRead.day <= period.end]
    reads: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    rows = await session.execute(
        select(ArticleRead.article_id, ArticleRead.locale, func.sum(ArticleRead.reads))
        .where(*in_period)
        .group_by(ArticleRead.article_id, ArticleRead.locale)
    )
    for article_id, locale, count in rows:
        reads[article_id] += int(count)
        languages[locale] += int(count)
    first, after = period.moments(zone)
    votes: dict[str, Counter[bool]] = defaultdict(Counter)
    vote_rows = await session.execute(
        select(ArticleVote.article_id, ArticleVote.helpful, func.count())
        .where(ArticleVote.voted_at >= first, ArticleVote.voted_at < after)
        .group_by(ArticleVote.article_id, ArticleVote.helpful)
    )
    for article_id, helpful, count in vote_rows:
        votes[article_id][bool(helpful)] += count
    ids = sorted(
        set(reads) | set(votes),
        key=lambda i: (-reads[i], -sum(votes[i].values()), titles.get(i, i)),
    )
    shown_reads = publish_counts([reads[i] for i in ids])
    shown_yes = publish_counts([votes[i][True] for i in ids])
    shown_no = publish_counts([votes[i][False] for i in ids])
    return LibraryUse(
        reads=publish_total(reads.values()),
        votes=publish_total(sum(v.values()) for v in votes.values()),
        by_article=[
            ArticleUse(
                article_id,
                titles.get(article_id, article_id),
                reads=shown_reads[i],
                helpful=shown_yes[i],
                not_helpful=shown_no[i],
                helpful_share=publish_share(
                    votes[article_id][True], sum(votes[article_id].values())
                ),
            )
            for i, article_id in enumerate(ids)
        ],
        by_language=_bars(languages),
    )


# ------------------------------------------------------------------------------ requests


def spoke_label(spoke_id: str, spokes: Spokes) -> str:
    spoke = spokes.get(spoke_id)
    return spoke.name["en"] if spoke is not None else spoke_id


def team_label(team_id: str, spokes: Spokes) -> str:
    team = spokes.teams.get(team_id)
    return team.name if team is not None else team_id


def source_label(source: str) -> str:
    """Who made a request: the family through the bot, or a partner agency."""
    if source == "bot":
        return "Families, through the bot"
    return f"Partner: {source.removeprefix('partner:')}"


@dataclass(frozen=True)
class Requests:
    """Requests for support made in the period."""

    total: Count
    by_week: list[Week]
    by_spoke: list[Bar]
    by_source: list[Bar]


async def requests(
    session: AsyncSession, period: Period, zone: ZoneInfo, spokes: Spokes
) -> Requests:
    first, after = period.moments(zone)
    conditions = [Referral.created_at >= first, Referral.created_at < after]
    by_week = await _count_by_week(session, Referral.created_at, conditions, zone)
    by_spoke, by_source = await _count_by_two(
        session,
        conditions,
        (Referral.spoke_id, lambda spoke_id: spoke_label(spoke_id, spokes)),
        (Referral.source, source_label),
    )
    return Requests(
        total=publish_total(by_week.values()),
        by_week=_weeks(period, by_week),
        by_spoke=_bars(by_spoke),
        by_source=_bars(by_source),
    )


# ------------------------------------------------------------------------------ first contact


class WorkingTimeline:
    """Working seconds counted from a first day, so the working time between two moments is
    one subtraction: the same figure as `WorkingCalendar.working_time_between`, without a walk
    over the days for each of thousands of requests."""

    def __init__(self, calendar: WorkingCalendar, first: date, last: date) -> None:
        self._calendar = calendar
        self._first = first
        self._opens = calendar.day_starts.hour * 3600 + calendar.day_starts.minute * 60
        self._closes = calendar.day_ends.hour * 3600 + calendar.day_ends.minute * 60
        self._before: list[float] = []  # working seconds before each day from `first`
        total = 0.0
        for offset in range((last - first).days + 2):
            self._before.append(total)
            if calendar.is_working_day(first + timedelta(days=offset)):
                total += self._closes - self._opens

    def at(self, moment: datetime) -> float:
        """Working seconds from the start of the first day to `moment`."""
        local = moment.astimezone(self._calendar.zone)
        offset = (local.date() - self._first).days
        if not 0 <= offset < len(self._before) - 1:
            raise ValueError(f"{moment} is outside the timeline")
        worked = 0.0
        if self._calendar.is_working_day(local.date()):
            seconds = local.hour * 3600 + local.minute * 60 + local.second
            worked = min(max(seconds, self._opens), self._closes) - self._opens
        return self._before[offset] + worked

    def working_days(self, start: datetime, end: datetime) -> float:
        """Working time from `start` to `end`, in working days (of the calendar's hours)."""
        return (self.at(end) - self.at(start)) / (self._closes - self._opens)


@dataclass(frozen=True)
class ContactTimes:
    """Time to first contact for one spoke (or all, `spoke_id` None), in working days."""

    spoke_id: str | None
    label: str
    target_days: int | None
    contacted: Count
    median_days: float | Hidden | None
    p90_days: float | Hidden | None
    # Of the requests contacted or still waiting past their target: contacted by the target.
    within_target: Share


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with `fraction` of them at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class _Tally:
    days: list[float]
    on_time: int = 0
    late: int = 0


def _contact_row(
    spoke_id: str | None, label: str, target: int | None, tally: _Tally
) -> ContactTimes:
    contacted = len(tally.days)
    median = statistics.median(tally.days) if tally.days else None
    p90 = percentile(tally.days, 0.9) if tally.days else None
    return ContactTimes(
        spoke_id,
        label,
        target,
        contacted=publish_count(contacted),
        median_days=publish_figure(median, contacted),
        p90_days=publish_figure(p90, contacted),
        within_target=publish_share(tally.on_time, tally.on_time + tally.late),
    )


async def contact_times(
    session: AsyncSession,
    period: Period,
    now: datetime,
    spokes: Spokes,
    calendar: WorkingCalendar,
) -> list[ContactTimes]:
    """Requests made in the period: working days from the request to the first contact
    (median and 90th percentile), and the share contacted by the spoke's target, counting the
    requests still waiting past their target as missed. One row per spoke, then all spokes."""
    first, after = period.moments(calendar.zone)
    rows = await session.execute(
        select(Referral.spoke_id, Referral.created_at, Referral.first_contact_at, Referral.due_by)
        .where(
            Referral.created_at >= first,
            Referral.created_at < after,
            or_(
                Referral.first_contact_at.is_not(None),
                and_(Referral.status.in_(WAITING), Referral.due_by < now),
            ),
        )
        .order_by(Referral.spoke_id)
    )
    found = rows.all()
    tallies: dict[str, _Tally] = defaultdict(lambda: _Tally([]))
    everyone = _Tally([])
    if found:
        last = max(contact or created for _, created, contact, _ in found)
        timeline = WorkingTimeline(
            calendar, first.astimezone(calendar.zone).date(), last.astimezone(calendar.zone).date()
        )
    for spoke_id, created, contact, due_by in found:
        tally = tallies[spoke_id]
        if contact is None:
            tally.late += 1
            everyone.late += 1
            continue
        days = timeline.working_days(created, contact)
        for each in (tally, everyone):
            each.days.append(days)
            if contact <= due_by:
                each.on_time += 1
            else:
                each.late += 1
    report, contacted = [], []
    for spoke in spokes.spokes:
        tally = tallies.pop(spoke.id, _Tally([]))
        report.append(_contact_row(spoke.id, spoke.name["en"], spoke.target_working_days, tally))
        contacted.append(len(tally.days))
    for spoke_id, tally in sorted(tallies.items()):  # spokes since removed from the file
        report.append(_contact_row(spoke_id, spoke_id, None, tally))
        contacted.append(len(tally.days))
    # The spokes' counts sit above the total of all spokes: hidden together (publish_counts).
    report = [
        replace(row, contacted=count)
        for row, count in zip(report, publish_counts(contacted), strict=True)
    ]
    report.append(_contact_row(None, "All spokes", None, everyone))
    return report


# ------------------------------------------------------------------------------ overdue


@dataclass(frozen=True)
class OverdueSpoke:
    spoke: str
    team: str
    count: Count


@dataclass(frozen=True)
class Overdue:
    """Requests waiting past their target with no first contact, at `as_at`: now, or the end
    of a period that is over (what the list looked like that evening)."""

    as_at: datetime
    total: Count
    by_spoke: list[OverdueSpoke]


async def overdue(
    session: AsyncSession, period: Period, now: datetime, zone: ZoneInfo, spokes: Spokes
) -> Overdue:
    _, after = period.moments(zone)
    as_at = min(now, after)
    # At `as_at`: made, past its target, not contacted yet, and not closed, declined or
    # cancelled yet (each of those sets closed_at). For `now` this is the queue's "overdue".
    rows = await session.execute(
        select(Referral.spoke_id, Referral.team_id, func.count())
        .where(
            Referral.created_at < as_at,
            Referral.due_by < as_at,
            or_(Referral.first_contact_at.is_(None), Referral.first_contact_at > as_at),
            or_(Referral.closed_at.is_(None), Referral.closed_at > as_at),
        )
        .group_by(Referral.spoke_id, Referral.team_id)
    )
    counts = {
        (spoke_label(spoke_id, spokes), team_label(team_id, spokes)): count
        for spoke_id, team_id, count in rows
    }
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = publish_counts([count for _, count in ordered])
    return Overdue(
        as_at=as_at,
        total=publish_total(counts.values()),
        by_spoke=[
            OverdueSpoke(spoke, team, value)
            for ((spoke, team), _), value in zip(ordered, shown, strict=True)
        ],
    )
