"""Read-only questions the staff dashboard asks about requests: the queue a member may see,
one request with its whole story, the audit log, and a cheap "has my queue changed?" signal.

Nothing here changes a row: every change is domain/referrals.py's. What a member sees is their
team's requests (every team's for an admin), the same scope as `referrals.queue` in Telegram.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String, case, false, func, literal_column, null, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from domain.referrals import OPEN, EventKind, normalise_reference, overdue_condition
from store.models import (
    AuditEvent,
    Referral,
    ReferralEvent,
    ReferralMessage,
    ReferralPriority,
    ReferralStatus,
    StaffMember,
    StaffRole,
)

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 100

FINISHED = (ReferralStatus.CLOSED, ReferralStatus.DECLINED, ReferralStatus.CANCELLED)


class StatusFilter(StrEnum):
    """The status choices of the queue: a group (open, finished, all) or one status."""

    OPEN = "open"
    NEW = "new"
    CLAIMED = "claimed"
    CONTACTED = "contacted"
    CLOSED = "closed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    FINISHED = "finished"  # closed, declined or cancelled: no longer open
    ALL = "all"

    def statuses(self) -> tuple[ReferralStatus, ...]:
        if self is StatusFilter.OPEN:
            return OPEN
        if self is StatusFilter.FINISHED:
            return FINISHED
        if self is StatusFilter.ALL:
            return tuple(ReferralStatus)
        return (ReferralStatus(self.value),)


@dataclass(frozen=True)
class QueueFilters:
    """What the member asked to see; every field narrows the team's requests further."""

    spoke: str | None = None
    status: StatusFilter = StatusFilter.OPEN
    priority: ReferralPriority | None = None
    overdue: bool = False
    mine: bool = False
    page: int = 1


@dataclass(frozen=True)
class QueueRow:
    referral: Referral
    holder_name: str | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int  # rows matching the filters, over every page
    page: int
    pages: int


@dataclass(frozen=True)
class QueueCounts:
    """Open requests in the member's scope, counted the ways the filters offer."""

    open: int
    unassigned: int
    mine: int
    overdue: int
    urgent: int


def in_scope(staff: StaffMember) -> Any:
    """The requests this member may see: their team's, or every team's for an admin. A member
    with no team who is not an admin sees none."""
    if staff.role is StaffRole.ADMIN:
        return true()
    if staff.team_id is None:
        return false()
    return Referral.team_id == staff.team_id


def _filter_conditions(staff: StaffMember, filters: QueueFilters, now: datetime) -> list[Any]:
    conditions: list[Any] = [in_scope(staff), Referral.status.in_(filters.status.statuses())]
    if filters.spoke:
        conditions.append(Referral.spoke_id == filters.spoke)
    if filters.priority is not None:
        conditions.append(Referral.priority == filters.priority)
    if filters.overdue:
        conditions.append(overdue_condition(now))
    if filters.mine:
        conditions.append(Referral.assigned_staff_id == staff.id)
    return conditions


async def queue_page(
    session: AsyncSession,
    staff: StaffMember,
    filters: QueueFilters,
    now: datetime,
    *,
    page_size: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the member's queue: urgent first, then the soonest due (as in Telegram).
    A page past the end gives the last page, so a stale link still shows something."""
    conditions = _filter_conditions(staff, filters, now)
    total = await session.scalar(select(func.count(Referral.id)).where(*conditions)) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, filters.page), pages)
    holder = StaffMember.__table__.alias("holder")
    result = await session.execute(
        select(Referral, holder.c.name)
        .outerjoin(holder, holder.c.id == Referral.assigned_staff_id)
        .where(*conditions)
        .order_by(
            (Referral.priority == ReferralPriority.URGENT).desc(),
            Referral.due_by,
            Referral.id,
        )
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    rows = [QueueRow(referral, name) for referral, name in result]
    return QueuePage(rows=rows, total=total, page=page, pages=pages)


async def queue_counts(session: AsyncSession, staff: StaffMember, now: datetime) -> QueueCounts:
    """The counts beside the filters, in one pass over the member's open requests."""

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (
        await session.execute(
            select(
                func.count(Referral.id),
                count(Referral.status == ReferralStatus.NEW),
                count(Referral.assigned_staff_id == staff.id),
                count(overdue_condition(now)),
                count(Referral.priority == ReferralPriority.URGENT),
            ).where(in_scope(staff), Referral.status.in_(OPEN))
        )
    ).one()
    return QueueCounts(*(int(value) for value in row))


@dataclass(frozen=True)
class QueueSignature:
    """What changes when the member's queue does: a new request (`latest_id`), a change of
    state (`updated_at`), or a request leaving the scope (`count`)."""

    latest_id: int
    updated_at: datetime | None
    count: int

    def token(self) -> str:
        stamp = int(self.updated_at.timestamp() * 1_000_000) if self.updated_at else 0
        return f"{self.latest_id}.{stamp}.{self.count}"

    @staticmethod
    def latest_id_of(token: str) -> int | None:
        """The newest request id a token (from a page the member loaded) had seen."""
        head = token.split(".", 1)[0]
        return int(head) if head.isdigit() else None


async def queue_signature(session: AsyncSession, staff: StaffMember) -> QueueSignature:
    """One aggregate over the member's scope (the team's index), cheap enough to ask every
    couple of seconds for each open dashboard."""
    row = (
        await session.execute(
            select(
                func.max(Referral.id), func.max(Referral.updated_at), func.count(Referral.id)
            ).where(in_scope(staff))
        )
    ).one()
    latest, updated, count = row
    return QueueSignature(int(latest or 0), updated, int(count))


async def new_since(session: AsyncSession, staff: StaffMember, latest_id: int) -> int:
    """Requests in the member's scope made after the one with id `latest_id`."""
    found = await session.scalar(
        select(func.count(Referral.id)).where(in_scope(staff), Referral.id > latest_id)
    )
    return int(found or 0)


# ---------------------------------------------------------------------------- one request


@dataclass(frozen=True)
class EventRow:
    event: ReferralEvent
    staff_name: str | None


@dataclass(frozen=True)
class MessageRow:
    message: ReferralMessage
    staff_name: str | None


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a request's story: an event, with the words of the message it was about."""

    at: datetime
    kind: str
    actor: str
    staff_name: str | None
    detail: dict[str, Any]
    text: str | None = None


@dataclass(frozen=True)
class RequestDetail:
    referral: Referral
    holder_name: str | None
    events: list[EventRow]
    messages: list[MessageRow]

    @property
    def notes(self) -> list[EventRow]:
        return [row for row in self.events if row.event.kind == EventKind.STAFF_NOTE]

    def timeline(self) -> list[TimelineEntry]:
        """Every event and message in order. A message event carries the message's words; a
        message with no event of its own (none today) still shows, so nothing is hidden."""
        by_id = {row.message.id: row for row in self.messages}
        shown: set[int] = set()
        entries: list[tuple[datetime, int, TimelineEntry]] = []
        for row in self.events:
            event = row.event
            text = None
            message_id = event.detail.get("message_id") if event.detail else None
            if isinstance(message_id, int) and message_id in by_id:
                text = by_id[message_id].message.text
                shown.add(message_id)
            elif event.kind == EventKind.STAFF_NOTE:
                text = event.detail.get("note")
            entry = TimelineEntry(
                event.at, event.kind, event.actor, row.staff_name, event.detail or {}, text
            )
            entries.append((event.at, 0, entry))
        for message_id, message_row in by_id.items():
            if message_id in shown:
                continue
            message = message_row.message
            kind = (
                EventKind.STAFF_MESSAGE if message.sender == "staff" else EventKind.FAMILY_MESSAGE
            )
            entry = TimelineEntry(
                message.at, kind, message.sender, message_row.staff_name, {}, message.text
            )
            entries.append((message.at, 1, entry))
        entries.sort(key=lambda item: (item[0], item[1]))
        return [entry for _, _, entry in entries]


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(ids))
    )
    return {staff_id: name for staff_id, name in rows}


async def find_in_scope(
    session: AsyncSession, staff: StaffMember, reference: str
) -> Referral | None:
    """The request with this reference if the member may see it; None if there is none or it
    is another team's (the page says "not found" either way: no hint that it exists)."""
    return await session.scalar(
        select(Referral).where(
            Referral.reference == normalise_reference(reference), in_scope(staff)
        )
    )


async def request_detail(
    session: AsyncSession, staff: StaffMember, reference: str
) -> RequestDetail | None:
    """One request with its events and messages, staff named; None outside the scope."""
    referral = await find_in_scope(session, staff, reference)
    if referral is None:
        return None
    events = list(
        await session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral.id)
            .order_by(ReferralEvent.at, ReferralEvent.id)
        )
    )
    messages = list(
        await session.scalars(
            select(ReferralMessage)
            .where(ReferralMessage.referral_id == referral.id)
            .order_by(ReferralMessage.at, ReferralMessage.id)
        )
    )
    ids = {e.staff_id for e in events if e.staff_id is not None}
    ids |= {m.staff_id for m in messages if m.staff_id is not None}
    if referral.assigned_staff_id is not None:
        ids.add(referral.assigned_staff_id)
    names = await _names(session, ids)
    return RequestDetail(
        referral=referral,
        holder_name=names.get(referral.assigned_staff_id or 0),
        events=[EventRow(e, names.get(e.staff_id or 0)) for e in events],
        messages=[MessageRow(m, names.get(m.staff_id or 0)) for m in messages],
    )


# ------------------------------------------------------------------------------- audit log


class AuditSource(StrEnum):
    REQUEST = "request"  # a ReferralEvent: something done to (or about) one request
    DASHBOARD = "dashboard"  # an AuditEvent: logins, downloads, campaigns


@dataclass(frozen=True)
class AuditFilters:
    staff_id: int | None = None
    reference: str | None = None  # only that request's events (dashboard events have none)
    page: int = 1


@dataclass(frozen=True)
class AuditRow:
    source: AuditSource
    id: int
    at: datetime
    staff_id: int | None
    staff_name: str | None
    actor: str
    action: str
    reference: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int


def _audit_union(filters: AuditFilters) -> Any:
    """Both logs as one list of the same columns, filtered before they are merged."""
    request_conditions: list[Any] = []
    dashboard_conditions: list[Any] = []
    if filters.staff_id is not None:
        request_conditions.append(ReferralEvent.staff_id == filters.staff_id)
        dashboard_conditions.append(AuditEvent.staff_id == filters.staff_id)
    requests = (
        select(
            literal_column(f"'{AuditSource.REQUEST.value}'", String).label("source"),
            ReferralEvent.id.label("id"),
            ReferralEvent.at.label("at"),
            ReferralEvent.staff_id.label("staff_id"),
            ReferralEvent.actor.label("actor"),
            ReferralEvent.kind.label("action"),
            Referral.reference.label("reference"),
            ReferralEvent.detail.label("detail"),
        )
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(*request_conditions)
    )
    if filters.reference:
        requests = requests.where(Referral.reference == normalise_reference(filters.reference))
        return requests
    dashboard = select(
        literal_column(f"'{AuditSource.DASHBOARD.value}'", String).label("source"),
        AuditEvent.id.label("id"),
        AuditEvent.at.label("at"),
        AuditEvent.staff_id.label("staff_id"),
        literal_column("'staff'", String).label("actor"),
        AuditEvent.action.label("action"),
        null().cast(String).label("reference"),
        AuditEvent.detail.label("detail"),
    ).where(*dashboard_conditions)
    return union_all(requests, dashboard)


async def audit_page(
    session: AsyncSession, filters: AuditFilters, *, page_size: int = AUDIT_PAGE_SIZE
) -> AuditPage:
    """The request log and the dashboard log merged, newest first, staff named."""
    merged = _audit_union(filters).subquery("merged")
    total = await session.scalar(select(func.count()).select_from(merged)) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, filters.page), pages)
    result = await session.execute(
        select(merged, StaffMember.name)
        .outerjoin(StaffMember, StaffMember.id == merged.c.staff_id)
        .order_by(merged.c.at.desc(), merged.c.source, merged.c.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    rows = [
        AuditRow(
            source=AuditSource(row.source),
            id=row.id,
            at=row.at,
            staff_id=row.staff_id,
            staff_name=row.name,
            actor=row.actor,
            action=row.action,
            reference=row.reference,
            detail=row.detail or {},
        )
        for row in result
    ]
    return AuditPage(rows=rows, total=total, page=page, pages=pages)


async def staff_choices(session: AsyncSession) -> Sequence[tuple[int, str]]:
    """Every member (disabled ones too: the log still names them), for the audit filter."""
    rows = await session.execute(
        select(StaffMember.id, StaffMember.name).order_by(StaffMember.name, StaffMember.id)
    )
    return [(staff_id, name) for staff_id, name in rows]
