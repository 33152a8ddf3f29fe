"""What each report shows: its headline figures, tables and charts, built from domain.reports.

A table is the one source of a report's figures for the page, its chart and its CSV, so the
three always agree, and a figure held back in one is held back in all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from dashboard.charts import Point, bar_chart, column_chart
from domain import reports
from domain.reports import Bar, Hidden, Period, Share, Week
from domain.working_days import WorkingCalendar
from resources.areas import Areas
from resources.spokes import Spokes

Cell = str | int | Hidden | None  # None: nothing to show (no requests to work a figure from)
TOP_ARTICLES = 15  # the chart shows the most read; the table lists every article read


@dataclass(frozen=True)
class ReportResources:
    """What turns stored ids into names, and the service's time zone and working calendar."""

    zone: ZoneInfo
    areas: Areas
    titles: Mapping[str, str]  # article id -> English title
    spokes: Spokes
    calendar: WorkingCalendar


@dataclass(frozen=True)
class Table:
    name: str  # its CSV: /reports/<name>.csv
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    chart: Markup | None = None


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    about: str  # what the figures count, in a manager's words
    headline: list[tuple[str, Cell]]
    tables: list[Table]


def page_text(cell: Cell) -> str:
    if cell is None:
        return "–"
    if isinstance(cell, Hidden):
        return cell.value
    if isinstance(cell, int):
        return f"{cell:,}"
    return cell


# A cell a spreadsheet would run as a formula (a family's deep-link source may start with "-").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(cell: Cell) -> str:
    """As on the page, but numbers without thousands separators, for spreadsheets; text that
    a spreadsheet would take for a formula is kept as text (OWASP's CSV injection advice)."""
    if isinstance(cell, int):
        return str(cell)
    text = "" if cell is None else page_text(cell)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows([csv_text(cell) for cell in row] for row in table.rows)
    return out.getvalue()


def share_text(share: Share) -> Cell:
    if isinstance(share, float):
        return f"{share:.0%}"
    return share


def days_text(days: float | Hidden | None) -> Cell:
    if isinstance(days, float | int):
        return f"{days:.1f}"
    return days


def _week_table(name: str, title: str, unit: str, weeks: Sequence[Week]) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            week.starts.strftime("%a %-d %b %Y") + (" (part week)" if week.partial else ""),
            week.count,
        )
        for week in weeks
    ]
    chart = column_chart(
        name,
        title,
        f"{unit.capitalize()} in each week, from the week starting "
        f"{weeks[0].starts:%-d %B %Y} to the week starting {weeks[-1].starts:%-d %B %Y}. "
        "The table below the chart gives every figure.",
        [Point(w.starts.strftime("%-d %b"), (w.count), page_text(w.count)) for w in weeks],
        axis=unit.capitalize(),
    )
    return Table(name, title, ("Week starting (Monday)", unit.capitalize()), rows, chart)


def _bar_table(name: str, title: str, what: str, unit: str, bars: Sequence[Bar]) -> Table:
    chart = None
    if bars:
        chart = bar_chart(
            name,
            title,
            f"{unit.capitalize()} by {what}, largest first. The table below gives every figure.",
            [Point(b.label, (b.count), page_text(b.count)) for b in bars],
            axis=unit.capitalize(),
        )
    rows: list[tuple[Cell, ...]] = [(b.label, b.count) for b in bars]
    return Table(name, title, (what.capitalize(), unit.capitalize()), rows, chart)


async def families_section(
    session: AsyncSession, period: Period, now: datetime, res: ReportResources
) -> Section:
    report = await reports.registrations(session, period, res.zone, res.areas)
    return Section(
        "families",
        "Families registered",
        "Families who finished signing up to Grow Well in the date range, by the week they "
        "signed up, the area they gave and where they heard of us (the link or QR code they "
        "used, if any).",
        [("Families registered", report.total)],
        [
            _week_table("families-by-week", "Families registered by week", "families",
                        report.by_week),
            _bar_table("families-by-area", "Families registered by area", "area", "families",
                       report.by_area),
            _bar_table("families-by-source", "Families registered by source", "source",
                       "families", report.by_source),
        ],
    )  # fmt: skip


async def messages_section(
    session: AsyncSession, period: Period, now: datetime, res: ReportResources
) -> Section:
    report = await reports.messages(session, period)
    rows: list[tuple[Cell, ...]] = [
        (t.label, t.sent, t.failed, t.skipped) for t in report.by_topic
    ]
    chart = None
    if report.by_topic:
        chart = bar_chart(
            "messages-by-topic",
            "Messages sent by topic",
            "Messages sent to families in the date range, by topic. The table below also "
            "gives the messages that failed or were skipped.",
            [Point(t.label, (t.sent), page_text(t.sent)) for t in report.by_topic],
            axis="Messages sent",
        )
    return Section(
        "messages",
        "Messages to families",
        "Reminders, tips and notices planned for a day in the date range, by what happened: "
        "sent; failed (Telegram refused it, for example because the family blocked the bot); "
        "or skipped (no longer useful when its turn came, for example a family paused "
        "messages or a newer message replaced it).",
        [("Sent", report.sent), ("Failed", report.failed), ("Skipped", report.skipped)],
        [
            Table(
                "messages-by-topic",
                "Messages by topic",
                ("Topic", "Sent", "Failed", "Skipped"),
                rows,
                chart,
            )
        ],
    )


async def library_section(
    session: AsyncSession, period: Period, now: datetime, res: ReportResources
) -> Section:
    report = await reports.library_use(session, period, res.zone, res.titles)
    articles: list[tuple[Cell, ...]] = [
        (a.title, a.reads, a.helpful, a.not_helpful, share_text(a.helpful_share))
        for a in report.by_article
    ]
    read = [a for a in report.by_article if a.reads != 0][:TOP_ARTICLES]
    chart = None
    if read:
        chart = bar_chart(
            "library-articles",
            f"The {len(read)} most read articles",
            "Times each article was opened in the date range, most read first. The table "
            "below lists every article opened or voted on, with its votes.",
            [Point(a.title, (a.reads), page_text(a.reads)) for a in read],
            axis="Times opened",
        )
    return Section(
        "library",
        "Library use and helpfulness",
        "How often families opened each library article in the date range (each opening "
        "counts once; we do not record who read what), and their answers to \"Was this "
        "helpful?\" given in the date range (a family's latest answer per article).",
        [("Articles opened", report.reads), ("Answers to \"Was this helpful?\"", report.votes)],
        [
            Table(
                "library-articles",
                "Library articles",
                ("Article", "Times opened", "Helpful", "Not helpful", "Found it helpful"),
                articles,
                chart,
            ),
            _bar_table("library-languages", "Articles opened by language", "language",
                       "times opened", report.by_language),
        ],
    )  # fmt: skip


async def requests_section(
    session: AsyncSession, period: Period, now: datetime, res: ReportResources
) -> Section:
    report = await reports.requests(session, period, res.zone, res.spokes)
    return Section(
        "requests",
        "Requests for support",
        "Requests made in the date range, by families through the bot or by partner agencies, "
        "by week, by the support asked for (spoke) and by who made them.",
        [("Requests made", report.total)],
        [
            _week_table("requests-by-week", "Requests by week", "requests", report.by_week),
            _bar_table("requests-by-spoke", "Requests by spoke", "spoke", "requests",
                       report.by_spoke),
            _bar_table("requests-by-source", "Requests by source", "source", "requests",
                       report.by_source),
        ],
    )  # fmt: skip


async def contact_section(
    session: AsyncSession, period: Period, now: datetime, res: ReportResources
) -> Section:
    rows = await reports.contact_times(session, period, now, res.spokes, res.calendar)
    table_rows: list[tuple[Cell, ...]] = [
        (
            row.label,
            "–" if row.target_days is None else str(row.target_days),
            row.contacted,
            days_text(row.median_days),
            days_text(row.p90_days),
            share_text(row.within_target),
        )
        for row in rows
    ]
    spokes = [row for row in rows if row.spoke_id is not None and row.contacted != 0]
    chart = None
    if spokes:
        chart = bar_chart(
            "first-contact",
            "Median time to first contact against target, by spoke",
            "The median number of working days from a request to the first contact with the "
            "family, for each spoke, with the spoke's target marked. The table below gives the "
            "90th percentile and the share contacted within target.",
            [
                Point(
                    r.label,
                    r.median_days,
                    f"{page_text(days_text(r.median_days))} (target {r.target_days})",
                    mark=None if r.target_days is None else float(r.target_days),
                )
                for r in spokes
            ],
            axis="Working days to first contact (median)",
        )
    everyone = rows[-1]
    return Section(
        "first-contact",
        "Time to first contact",
        "For requests made in the date range: the working days from the request to the first "
        "contact with the family. A working day is Monday to Friday, 09:00 to 17:00, not a bank "
        "holiday; a request made in the evening starts counting the next morning, so 0.5 means "
        "half a working day. The median is the middle request; the 90th percentile is the time "
        "within which 9 in 10 requests were contacted. \"Within target\" counts requests "
        "contacted by their target date, out of those contacted and those still waiting past "
        "their target.",
        [
            ("Median, all spokes (working days)", days_text(everyone.median_days)),
            ("Contacted within target", share_text(everyone.within_target)),
        ],
        [
            Table(
                "first-contact",
                "Time to first contact by spoke (working days)",
                ("Spoke", "Target (working days)", "Requests contacted", "Median",
                 "90th percentile", "Within target"),
                table_rows,
                chart,
            )
        ],
    )  # fmt: skip


async def overdue_section(
    session: AsyncSession, period: Period, now: datetime, res: ReportResources
) -> Section:
    report = await reports.overdue(session, period, now, res.zone, res.spokes)
    as_at = report.as_at.astimezone(res.zone)
    moment = "now" if report.as_at == now else f"at the end of {period.end:%-d %B %Y}"
    rows: list[tuple[Cell, ...]] = [(r.spoke, r.team, r.count) for r in report.by_spoke]
    chart = None
    if report.by_spoke:
        chart = bar_chart(
            "overdue",
            f"Overdue requests {moment}, by spoke",
            f"Requests past their target with no first contact {moment}, by spoke.",
            [Point(r.spoke, (r.count), page_text(r.count)) for r in report.by_spoke],
            axis="Overdue requests",
        )
    return Section(
        "overdue",
        "Overdue requests",
        f"Requests still waiting for a first contact after their target, {moment} "
        f"({as_at:%-d %B %Y, %H:%M}), whenever they were made. For a date range that ends "
        "before today this is the list as it stood that evening.",
        [("Overdue", report.total)],
        [Table("overdue", "Overdue requests by spoke and team", ("Spoke", "Team", "Overdue"),
               rows, chart)],
    )  # fmt: skip


Builder = Callable[[AsyncSession, Period, datetime, ReportResources], Awaitable[Section]]
# The reports in the order of the page's tabs, and the CSV tables each one makes.
SECTIONS: dict[str, tuple[str, Builder, tuple[str, ...]]] = {
    "families": (
        "Families",
        families_section,
        ("families-by-week", "families-by-area", "families-by-source"),
    ),
    "messages": ("Messages", messages_section, ("messages-by-topic",)),
    "library": ("Library", library_section, ("library-articles", "library-languages")),
    "requests": (
        "Requests",
        requests_section,
        ("requests-by-week", "requests-by-spoke", "requests-by-source"),
    ),
    "first-contact": ("First contact", contact_section, ("first-contact",)),
    "overdue": ("Overdue", overdue_section, ("overdue",)),
}
TABLES = {table: section for section, (_, _, tables) in SECTIONS.items() for table in tables}
