"""The reports pages: one report at a time (tabs), a date range on every one, and each table
as a CSV download, which is audited.

Every signed-in member sees them: they are service-wide counts with small numbers held back
(domain/reports.py), nothing that names a family.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from aiohttp import web

from api.app_keys import CALENDAR, CLOCK, SESSIONS, SPOKES, ZONE
from dashboard.auth import current_staff
from dashboard.render import render
from dashboard.report_sections import (
    SECTIONS,
    TABLES,
    ReportResources,
    Section,
    page_text,
    to_csv,
)
from domain import audit, reports
from domain.reports import Period, english_titles
from resources.areas import Areas, load_areas
from resources.library import load_library

FIRST_DAY = date(2020, 1, 1)  # before the service; a year typed as 0026 is a mistake
MAX_DAYS = 3 * 366  # a longer range is a mistake too, and slower than a board needs
# Excel reads a CSV as UTF-8 only when it starts with a byte-order mark.
BOM = "\ufeff"


@cache
def _areas() -> Areas:
    return load_areas()


@cache
def _titles() -> dict[str, str]:
    """The library's titles, read once on the first report rather than at start-up (reading
    and checking every article takes about a second)."""
    return english_titles(load_library())


def resources(request: web.Request) -> ReportResources:
    config = request.config_dict
    return ReportResources(
        zone=config[ZONE],
        areas=_areas(),
        titles=_titles(),
        spokes=config[SPOKES],
        calendar=config[CALENDAR],
    )


@dataclass(frozen=True)
class RangeForm:
    """The date range as typed, the period it means, or what is wrong with it."""

    start: str
    end: str
    period: Period | None
    error: str | None


def _parse_day(text: str, which: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"The {which} date must be a date like 2026-09-14.") from None
    if not FIRST_DAY <= day <= date(2099, 12, 31):
        raise ValueError(f"The {which} date must be between 2020 and 2099.")
    return day


def read_range(query: Any, today: date) -> RangeForm:
    """The range from the query string; an empty field takes the default (the last 12 weeks,
    or today for the end)."""
    start_text = query.get("start", "").strip()[:20]
    end_text = query.get("end", "").strip()[:20]
    default = Period.last_weeks(today)
    try:
        end = _parse_day(end_text, "end") if end_text else today
        start = _parse_day(start_text, "start") if start_text else default.start
        if end < start:
            raise ValueError("The start date must be on or before the end date.")
        if (end - start).days >= MAX_DAYS:
            raise ValueError("Choose a range of at most three years.")
    except ValueError as error:
        return RangeForm(start_text, end_text, None, str(error))
    return RangeForm(start.isoformat(), end.isoformat(), Period(start, end), None)


def _today(request: web.Request) -> tuple[datetime, date]:
    now = request.config_dict[CLOCK]()
    return now, now.astimezone(request.config_dict[ZONE]).date()


def _tabs(request: web.Request, current: str, form: RangeForm) -> list[dict[str, Any]]:
    query = {key: value for key, value in (("start", form.start), ("end", form.end)) if value}
    return [
        {
            "name": name,
            "label": label,
            "current": name == current,
            "url": request.app.router["reports"].url_for().with_query({"report": name, **query}),
        }
        for name, (label, _, _) in SECTIONS.items()
    ]


def _section_view(request: web.Request, section: Section, period: Period) -> dict[str, Any]:
    query = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    return {
        "name": section.name,
        "title": section.title,
        "about": section.about,
        "headline": [(label, page_text(value)) for label, value in section.headline],
        "tables": [
            {
                "name": table.name,
                "title": table.title,
                "headers": table.headers,
                "rows": [[page_text(cell) for cell in row] for row in table.rows],
                "chart": table.chart,
                "csv_url": request.app.router["report_csv"]
                .url_for(name=table.name)
                .with_query(query),
            }
            for table in section.tables
        ],
    }


def _form_page(
    request: web.Request, current: str, form: RangeForm, section: Section | None
) -> web.Response:
    context = {
        "form": form,
        "current": current,
        "tabs": _tabs(request, current, form),
        "section": None
        if section is None or form.period is None
        else _section_view(request, section, form.period),
        "period": form.period,
    }
    return render(request, "reports/index.html", context, status=400 if form.error else 200)


async def reports_page(request: web.Request) -> web.Response:
    """GET /reports?report=<name>&start=&end=: one report for the range, or the form again
    saying what is wrong with the dates."""
    current = request.query.get("report", next(iter(SECTIONS)))
    if current not in SECTIONS:
        raise web.HTTPNotFound()
    now, today = _today(request)
    form = read_range(request.query, today)
    if form.period is None:
        return _form_page(request, current, form, None)
    build = SECTIONS[current][1]
    async with request.config_dict[SESSIONS]() as session:
        await reports.plan_for_each_range(session)
        section = await build(session, form.period, now, resources(request))
    return _form_page(request, current, form, section)


async def report_csv(request: web.Request) -> web.StreamResponse:
    """GET /reports/<table>.csv?start=&end=: the table as the page shows it, figures held back
    alike; the download is written to the audit log."""
    name = request.match_info["name"]
    if name not in TABLES:
        raise web.HTTPNotFound()
    now, today = _today(request)
    form = read_range(request.query, today)
    if form.period is None:
        return _form_page(request, TABLES[name], form, None)
    period = form.period
    staff = current_staff(request)
    async with request.config_dict[SESSIONS].begin() as session:
        await reports.plan_for_each_range(session)
        section = await SECTIONS[TABLES[name]][1](session, period, now, resources(request))
        audit.record(
            session,
            staff_id=staff.id,
            action="report_download",
            detail={
                "report": name,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
            },
            now=now,
        )
    [table] = [table for table in section.tables if table.name == name]
    filename = f"growwell-{name}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    return web.Response(
        body=(BOM + to_csv(table)).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def add_report_routes(app: web.Application) -> None:
    app.router.add_get("/reports", reports_page, name="reports")
    app.router.add_get(r"/reports/{name:[a-z-]+}.csv", report_csv, name="report_csv")
