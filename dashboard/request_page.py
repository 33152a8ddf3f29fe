"""One request at the desk: the family's answers, how to reach them, its whole story, and the
forms that work it (claim, contacted, close, decline, urgent, note, message the family).

Every form posts to one route per action; domain/referrals.py decides and logs, and the member
is sent back to the page (post/redirect/get) with a notice saying what happened or why
nothing did. Opening the page is itself logged (`record_view`). A request of another team is
"not found" (404), for pages and forms alike: its existence is not for other teams to learn.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp_session import get_session
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession

from api.app_keys import CALENDAR, CLOCK, SESSIONS, SPOKES
from dashboard.auth import current_staff
from dashboard.render import render
from dashboard.request_words import (
    ACTORS,
    STATUS_LABELS,
    action_label,
    answers,
    event_detail,
    outcome_choices,
    outcome_label,
    reason_choices,
    reason_label,
    result_text,
    source_label,
    spoke_name,
    target,
    team_name,
)
from domain import referral_queries, referrals
from domain import staff as staff_accounts
from domain.phone import CALL_WINDOWS
from domain.referral_queries import RequestDetail
from domain.referrals import HELD, OPEN, ActionResult, Done, EventKind, Refusal, Refused
from domain.staff import Permission, staff_can_act
from resources.spokes import Spokes
from store.models import ContactMethod, ReferralPriority, ReferralStatus, StaffMember, StaffRole

ACTIONS = ("claim", "assign", "contacted", "close", "decline", "urgent", "note", "message")
NOTICE_KEY = "request_notice"  # the session's one-time notice after a form


async def _act(
    db: AsyncSession,
    action: str,
    referral_id: int,
    staff: StaffMember,
    form: MultiDictProxy[Any],
    spokes: Spokes,
    now: datetime,
) -> ActionResult:
    """The domain call behind each form."""

    def field(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    if action == "claim":
        return await referrals.claim(db, referral_id, staff, now)
    if action == "assign":
        to = field("to")
        if not to.isdigit():
            return Refused(Refusal.NOT_COLLEAGUE)
        return await referrals.assign(db, referral_id, staff, int(to), now)
    if action == "contacted":
        return await referrals.mark_contacted(db, referral_id, staff, now)
    if action == "close":
        return await referrals.close(db, referral_id, staff, field("outcome"), spokes, now)
    if action == "decline":
        return await referrals.decline(db, referral_id, staff, field("reason"), spokes, now)
    if action == "urgent":
        return await referrals.mark_urgent(db, referral_id, field("reason"), now, staff=staff)
    if action == "note":
        return await referrals.add_staff_note(db, referral_id, staff, field("text"), now)
    return await referrals.add_staff_message(db, referral_id, staff, field("text"), now)


async def request_action(request: web.Request) -> web.Response:
    """A form on the request page: act, remember what happened for the page, go back."""
    staff = current_staff(request)
    action = request.match_info["action"]
    reference = request.match_info["reference"]
    spokes, now = request.config_dict[SPOKES], request.config_dict[CLOCK]()
    form = await request.post()
    async with request.config_dict[SESSIONS].begin() as db:
        found = await referral_queries.find_in_scope(db, staff, reference)
        if found is None:
            raise web.HTTPNotFound()
        if action == "urgent" and not str(form.get("reason") or "").strip():
            ok, text = False, "Nothing changed: say why this request is urgent."
        else:
            result = await _act(db, action, found.id, staff, form, spokes, now)
            ok, text = isinstance(result, Done), result_text(action, result, spokes)
    session = await get_session(request)
    session[NOTICE_KEY] = {"ok": ok, "text": text, "reference": found.reference}
    raise web.HTTPSeeOther(request.app.router["request"].url_for(reference=found.reference))


def _timeline(detail: RequestDetail, spokes: Spokes) -> list[dict[str, Any]]:
    """The story in order. Views in a row by the same member (each page load after pressing a
    button is one) read as one line with a count; the audit log keeps every one."""
    lines: list[dict[str, Any]] = []
    for entry in detail.timeline():
        who = entry.staff_name or ACTORS.get(entry.actor, entry.actor)
        last = lines[-1] if lines else None
        if (
            entry.kind == EventKind.VIEWED
            and last is not None
            and last["kind"] == EventKind.VIEWED
            and last["who"] == who
        ):
            last["times"] += 1
            continue
        lines.append(
            {
                "at": entry.at,
                "what": action_label(entry.kind),
                "who": who,
                "detail": event_detail(spokes, entry.kind, entry.detail),
                "text": entry.text,
                "kind": entry.kind,
                "times": 1,
            }
        )
    return lines


def _forms(detail: RequestDetail) -> dict[str, bool]:
    """Which forms fit the request's state (the domain checks again when one is sent)."""
    referral = detail.referral
    status = referral.status
    return {
        "claim": status is ReferralStatus.NEW,
        "assign": status in OPEN,
        "contacted": status is ReferralStatus.CLAIMED,
        "close": status in HELD,
        "decline": status in OPEN,
        "urgent": status in OPEN and referral.priority is not ReferralPriority.URGENT,
        "message": status in HELD and referral.family_id is not None,
        "note": True,
    }


async def request_view(request: web.Request) -> web.Response:
    staff = current_staff(request)
    spokes, calendar = request.config_dict[SPOKES], request.config_dict[CALENDAR]
    now = request.config_dict[CLOCK]()
    async with request.config_dict[SESSIONS].begin() as db:
        found = await referral_queries.find_in_scope(db, staff, request.match_info["reference"])
        if found is None:
            raise web.HTTPNotFound()
        await referrals.record_view(db, found.id, staff, now)
        detail = await referral_queries.request_detail(db, staff, found.reference)
        colleagues = await staff_accounts.colleagues(db, found.team_id)
    assert detail is not None  # found above, in the same transaction
    referral = detail.referral
    session = await get_session(request)
    notice = session.pop(NOTICE_KEY, None)
    if not isinstance(notice, dict) or notice.get("reference") != referral.reference:
        notice = None
    may_act = staff_can_act(staff, referral) is Permission.ALLOWED
    held_by_other = (
        referral.status in HELD
        and referral.assigned_staff_id not in (None, staff.id)
        and staff.role is not StaffRole.ADMIN
    )
    context = {
        "referral": referral,
        "detail": detail,
        "notice": notice,
        "spoke": spoke_name(spokes, referral.spoke_id),
        "team": team_name(spokes, referral.team_id),
        "status": STATUS_LABELS[referral.status],
        "target": target(referral, now, calendar),
        "source": source_label(referral.source),
        "partner": referral.source.removeprefix("partner:")
        if referral.source.startswith("partner:")
        else None,
        "outcome": outcome_label(spokes, referral.outcome) if referral.outcome else None,
        "decline_reason": reason_label(spokes, referral.decline_reason)
        if referral.decline_reason
        else None,
        "answers": answers(spokes, referral),
        "may_act": may_act,
        "by_phone": referral.contact_method is ContactMethod.PHONE,
        "call_window": CALL_WINDOWS.get(referral.call_window or "", referral.call_window),
        "timeline": _timeline(detail, spokes),
        "notes": [row for row in detail.notes if row.event.detail.get("note")],
        "forms": _forms(detail),
        "held_by_other": held_by_other,
        "colleagues": [
            (member.id, member.name)
            for member in colleagues
            if member.id != referral.assigned_staff_id
        ],
        "outcomes": outcome_choices(spokes),
        "decline_reasons": reason_choices(spokes),
        "max_message": referrals.MAX_MESSAGE_CHARS,
        "max_reason": referrals.MAX_REASON_CHARS,
    }
    return render(request, "queue/request.html", context)


def add_request_routes(app: web.Application) -> None:
    app.router.add_get("/requests/{reference}", request_view, name="request")
    app.router.add_post(
        "/requests/{reference}/{action:" + "|".join(ACTIONS) + "}",
        request_action,
        name="request_action",
    )
