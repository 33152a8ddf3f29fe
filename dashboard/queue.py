"""The queue page: a member's requests (their team's; every team's for an admin) with filters,
counts and pages. `?fragment=1` gives just the counts and the table, which queue.js swaps in
when the live stream says the queue changed; without JavaScript the page has a Refresh link.

`add_queue_routes` also adds the request page, the audit log and the live stream.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from api.app_keys import CALENDAR, CLOCK, SESSIONS, SPOKES
from dashboard import audit_page, queue_stream, request_page
from dashboard.auth import current_staff
from dashboard.render import render
from dashboard.request_words import (
    STATUS_LABELS,
    Target,
    source_label,
    spoke_name,
    target,
    team_name,
)
from domain import referral_queries
from domain.referral_queries import QueueFilters, QueueRow, StatusFilter
from domain.working_days import WorkingCalendar
from resources.spokes import Spokes
from store.models import ReferralPriority, StaffMember, StaffRole

STATUS_CHOICES = (
    (StatusFilter.OPEN, "Open (new, claimed or contacted)"),
    (StatusFilter.NEW, "New: nobody holds it"),
    (StatusFilter.CLAIMED, "Claimed"),
    (StatusFilter.CONTACTED, "Contacted"),
    (StatusFilter.CLOSED, "Closed"),
    (StatusFilter.DECLINED, "Declined"),
    (StatusFilter.CANCELLED, "Cancelled"),
    (StatusFilter.FINISHED, "Finished (closed, declined or cancelled)"),
    (StatusFilter.ALL, "All"),
)
PRIORITY_CHOICES = ((ReferralPriority.URGENT, "Urgent"), (ReferralPriority.NORMAL, "Normal"))


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 7 else 1


def parse_filters(query: MultiMapping[str], spokes: Spokes) -> QueueFilters:
    """The filters from the query string; a value the page never offers is ignored, so an old
    or hand-typed link still shows a queue."""
    spoke = query.get("spoke") or None
    status = query.get("status", "")
    priority = query.get("priority", "")
    statuses = {choice.value for choice in StatusFilter}
    priorities = {choice.value for choice in ReferralPriority}
    return QueueFilters(
        spoke=spoke if spoke and spokes.get(spoke) is not None else None,
        status=StatusFilter(status) if status in statuses else StatusFilter.OPEN,
        priority=ReferralPriority(priority) if priority in priorities else None,
        overdue=query.get("overdue") == "1",
        mine=query.get("mine") == "1",
        page=_page_number(query.get("page")),
    )


def filter_query(filters: QueueFilters, **changes: Any) -> dict[str, str]:
    """The query string of these filters (with `changes`), for links that keep them."""
    values: dict[str, Any] = {
        "spoke": filters.spoke,
        "status": filters.status.value,
        "priority": filters.priority.value if filters.priority else None,
        "overdue": "1" if filters.overdue else None,
        "mine": "1" if filters.mine else None,
        "page": str(filters.page) if filters.page > 1 else None,
    }
    values.update(changes)
    return {key: str(value) for key, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class QueueLine:
    """One row of the table, worded for staff."""

    reference: str
    spoke: str
    urgent: bool
    status: str
    age_band: str
    source: str
    holder: str | None
    due_by: datetime
    target: Target


def queue_line(
    row: QueueRow, spokes: Spokes, now: datetime, calendar: WorkingCalendar
) -> QueueLine:
    referral = row.referral
    return QueueLine(
        reference=referral.reference,
        spoke=spoke_name(spokes, referral.spoke_id),
        urgent=referral.priority is ReferralPriority.URGENT,
        status=STATUS_LABELS[referral.status].split(":")[0],
        age_band=referral.child_age_band or "Not given",
        source=source_label(referral.source),
        holder=row.holder_name,
        due_by=referral.due_by,
        target=target(referral, now, calendar),
    )


def _scope(staff: StaffMember, spokes: Spokes) -> str:
    if staff.role is StaffRole.ADMIN:
        return "every team"
    return f"the {team_name(spokes, staff.team_id)} team"


async def queue(request: web.Request) -> web.Response:
    staff = current_staff(request)
    spokes, calendar = request.config_dict[SPOKES], request.config_dict[CALENDAR]
    now = request.config_dict[CLOCK]()
    filters = parse_filters(request.query, spokes)
    async with request.config_dict[SESSIONS]() as db:
        page = await referral_queries.queue_page(db, staff, filters, now)
        counts = await referral_queries.queue_counts(db, staff, now)
        signature = await referral_queries.queue_signature(db, staff)
    filters = replace(filters, page=page.page)
    visible = [
        s for s in spokes.spokes if staff.role is StaffRole.ADMIN or s.team == staff.team_id
    ]
    context = {
        "filters": filters,
        "page": page,
        "lines": [queue_line(row, spokes, now, calendar) for row in page.rows],
        "counts": counts,
        "query": filter_query(filters),
        "previous_query": filter_query(filters, page=page.page - 1),
        "next_query": filter_query(filters, page=page.page + 1),
        "count_links": {
            "open": filter_query(QueueFilters()),
            "unassigned": filter_query(QueueFilters(status=StatusFilter.NEW)),
            "mine": filter_query(QueueFilters(mine=True)),
            "overdue": filter_query(QueueFilters(overdue=True)),
            "urgent": filter_query(QueueFilters(priority=ReferralPriority.URGENT)),
        },
        "spoke_choices": [(s.id, s.name["en"]) for s in visible],
        "status_choices": STATUS_CHOICES,
        "priority_choices": PRIORITY_CHOICES,
        "scope": _scope(staff, spokes),
        "signature": signature.token(),
        "now": now,
    }
    if request.query.get("fragment") == "1":
        return render(request, "queue/_results.html", context)
    return render(request, "queue/index.html", context)


def add_queue_routes(app: web.Application) -> None:
    app.router.add_get("/queue", queue, name="queue")
    queue_stream.add_stream_routes(app)
    request_page.add_request_routes(app)
    audit_page.add_audit_routes(app)
