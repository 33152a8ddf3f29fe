"""The audit log, for admins: every request's events (views, changes, refused presses) and
every dashboard event (sign-ins, downloads, campaigns), newest first, by member or request."""

from __future__ import annotations

from aiohttp import web

from api.app_keys import SESSIONS
from dashboard.auth import require_admin
from dashboard.render import render
from dashboard.request_words import ACTORS, action_label, audit_detail
from domain import referral_queries
from domain.referral_queries import AuditFilters

MAX_REFERENCE_CHARS = 16


def parse_audit_filters(request: web.Request) -> AuditFilters:
    """The filters from the query string; anything malformed is no filter."""
    staff_id = request.query.get("staff", "")
    reference = request.query.get("reference", "").strip()[:MAX_REFERENCE_CHARS]
    page = request.query.get("page", "")
    return AuditFilters(
        staff_id=int(staff_id) if staff_id.isdigit() and len(staff_id) < 10 else None,
        reference=reference or None,
        page=int(page) if page.isdigit() and len(page) < 7 else 1,
    )


def _query(filters: AuditFilters, page: int) -> dict[str, str]:
    values = {
        "staff": str(filters.staff_id) if filters.staff_id is not None else "",
        "reference": filters.reference or "",
        "page": str(page) if page > 1 else "",
    }
    return {key: value for key, value in values.items() if value}


async def audit(request: web.Request) -> web.Response:
    require_admin(request)
    filters = parse_audit_filters(request)
    async with request.config_dict[SESSIONS]() as db:
        page = await referral_queries.audit_page(db, filters)
        members = await referral_queries.staff_choices(db)
    rows = [
        {
            "at": row.at,
            "who": row.staff_name or ACTORS.get(row.actor, row.actor),
            "what": action_label(row.action),
            "reference": row.reference,
            "detail": audit_detail(row.detail),
            "source": row.source.value,
        }
        for row in page.rows
    ]
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "members": members,
        "previous_query": _query(filters, page.page - 1),
        "next_query": _query(filters, page.page + 1),
    }
    return render(request, "audit/index.html", context)


def add_audit_routes(app: web.Application) -> None:
    app.router.add_get("/audit", audit, name="audit")
