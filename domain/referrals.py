"""Requests for support (referrals): the one module where a request changes state.

    new -> claimed -> contacted -> closed (with an outcome)
    claimed -> closed            (e.g. "we could not get hold of you")
    new | claimed | contacted -> declined (with a reason)
    new | claimed -> cancelled   (by the family, or when the family is erased)

Every change is one conditional UPDATE guarded by the status it expects (as domain/outbox.py
does for deliveries), so of two staff pressing Claim at once exactly one wins, and a request
never moves along a path not listed above. Each change, and each refused attempt by staff,
writes a ReferralEvent: the request's action log (who, what, when).

Permissions: `domain.staff.staff_can_act` (linked, enabled, of the request's team, or admin)
for every staff action; on a claimed request only the member holding it (or an admin) acts.

Notifications, written in the same transaction as the change, so nothing is lost:
- to the family: a Delivery (outbox row, `entry_key` "referral:<event id>") for claimed,
  contacted, closed, declined and every staff message; the dispatcher sends it in the family's
  language (scheduler/rendering.py, texts in resources/spokes.yaml) with its retries;
- to the team: every change bumps `Referral.post_version`; the bot posts or edits the group post
  while `posted_version` is behind (`posts_due`, `record_post`).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.phone import parse_uk_phone
from domain.staff import Permission, staff_can_act
from domain.working_days import WorkingCalendar
from resources.spokes import NoticeKind, Spoke, Spokes
from store.models import (
    ContactMethod,
    Delivery,
    Family,
    Referral,
    ReferralEvent,
    ReferralMessage,
    ReferralPriority,
    ReferralStatus,
    StaffMember,
    StaffRole,
)

# Letters and digits no one misreads or mistypes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
REFERENCE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
REFERENCE_PREFIX = "GW-"
REFERENCE_LENGTH = 5
NOTICE_PREFIX = "referral:"
NOTICE_TOPIC = "referral"
MAX_MESSAGE_CHARS = 3500  # room for the notice around it in one Telegram message
MAX_REASON_CHARS = 200
# A notice never goes stale: it is sent however late (the outbox skips rows past `stale_on`).
_NOTICE_KEPT = timedelta(days=3660)

OPEN = (ReferralStatus.NEW, ReferralStatus.CLAIMED, ReferralStatus.CONTACTED)
HELD = (ReferralStatus.CLAIMED, ReferralStatus.CONTACTED)


class Actor(StrEnum):
    FAMILY = "family"
    STAFF = "staff"
    SYSTEM = "system"
    PARTNER = "partner"  # a partner agency's request, through the API (domain/partners.py)


class EventKind(StrEnum):
    """What the action log records."""

    CREATED = "created"
    CLAIMED = "claimed"
    ASSIGNED = "assigned"  # handed to a colleague (a new request is claimed for them)
    CONTACTED = "contacted"
    CLOSED = "closed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    URGENT = "urgent"
    FAMILY_MESSAGE = "family_message"
    STAFF_MESSAGE = "staff_message"
    STAFF_NOTE = "staff_note"
    VIEWED = "viewed"  # a staff member opened the details
    REFUSED = "refused"  # a staff press that changed nothing, and why
    FAMILY_ERASED = "family_erased"
    ERASURE_ASKED = "erasure_asked"  # the family asked /delete while staff held the request


# The events the family is told about, and the notice each one sends.
_NOTICES = {
    EventKind.CLAIMED: NoticeKind.CLAIMED,
    EventKind.CONTACTED: NoticeKind.CONTACTED,
    EventKind.CLOSED: NoticeKind.CLOSED,
    EventKind.DECLINED: NoticeKind.DECLINED,
    EventKind.STAFF_MESSAGE: NoticeKind.STAFF_MESSAGE,
}


class Refusal(StrEnum):
    """Why an action changed nothing; the bot turns it into words."""

    NOT_FOUND = "not_found"
    NOT_STAFF = "not_staff"
    DISABLED = "disabled"
    OTHER_TEAM = "other_team"
    NOT_HOLDER = "not_holder"  # claimed by someone else: see `Refused.holder`
    WRONG_STATUS = "wrong_status"  # e.g. closing a request already closed
    NOT_YOURS = "not_yours"  # a family acting on another family's request
    UNKNOWN_OUTCOME = "unknown_outcome"
    UNKNOWN_REASON = "unknown_reason"
    EMPTY_TEXT = "empty_text"
    NOT_COLLEAGUE = "not_colleague"  # handed to someone who may not work this request


@dataclass(frozen=True)
class Done:
    """The action happened; `referral` is the request as it is now."""

    referral: Referral


@dataclass(frozen=True)
class Lost:
    """Claim pressed, but someone else holds the request (`holder`; None if it was cancelled
    or declined meanwhile: see `referral.status`)."""

    referral: Referral
    holder: StaffMember | None


@dataclass(frozen=True)
class Refused:
    """Nothing changed, and why; `holder` says who has a request held by someone else."""

    reason: Refusal
    referral: Referral | None = None
    holder: StaffMember | None = None


ActionResult = Done | Lost | Refused


@dataclass(frozen=True)
class Contact:
    """How the family wants to be contacted: in this chat, or a phone call in a time window."""

    method: ContactMethod
    phone: str | None = None  # as typed; checked and stored as E.164
    call_window: str | None = None  # e.g. "morning" (the bot's choice ids)


@dataclass(frozen=True)
class Created:
    """`created` is False when the family already had an open request to this spoke: that
    request is returned instead of a duplicate."""

    referral: Referral
    created: bool


class InvalidRequest(ValueError):
    """The answers or contact details do not fit the spoke (a bug in the caller, or data
    changed under a conversation): the message says what."""


def calendar_for(spokes: Spokes, calendar: WorkingCalendar | None = None) -> WorkingCalendar:
    """The working calendar with the service's working hours from spokes.yaml."""
    base = calendar or WorkingCalendar()
    return WorkingCalendar(
        zone=base.zone,
        day_starts=spokes.working_hours.start,
        day_ends=spokes.working_hours.end,
        bank_holidays=base.bank_holidays,
    )


def new_reference() -> str:
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return REFERENCE_PREFIX + body


def normalise_reference(text: str) -> str:
    """A reference as typed ('gw 7k3m9', '7K3M9') in its stored form."""
    body = "".join(ch for ch in text.upper() if ch.isalnum())
    body = body.removeprefix(REFERENCE_PREFIX.rstrip("-"))
    return REFERENCE_PREFIX + body


# ----------------------------------------------------------------------------------- create


async def open_request(session: AsyncSession, family_id: int, spoke_id: str) -> Referral | None:
    return await session.scalar(
        select(Referral).where(
            Referral.family_id == family_id,
            Referral.spoke_id == spoke_id,
            Referral.status.in_(OPEN),
        )
    )


def _checked_contact(contact: Contact) -> tuple[str | None, str | None]:
    if contact.method is ContactMethod.MESSAGE:
        return None, None
    phone = parse_uk_phone(contact.phone or "")
    if phone is None:
        raise InvalidRequest("a phone call needs a valid UK phone number")
    if not contact.call_window:
        raise InvalidRequest("a phone call needs a time window")
    return phone.e164, contact.call_window[:32]


async def create(
    session: AsyncSession,
    *,
    family: Family,
    spoke: Spoke,
    answers: Mapping[str, object],
    contact: Contact,
    consent_at: datetime,
    now: datetime,
    calendar: WorkingCalendar,
    child_age_band: str | None = None,
    urgent_reason: str | None = None,
) -> Created:
    """A family's request, or its open request to the same spoke if it has one.

    The group post is due from the moment the row exists (`post_version` 1 > `posted_version`
    0): the request and its staff notification are one write. `urgent_reason` (an emergency
    word in an answer) marks it urgent from the start.
    """
    existing = await open_request(session, family.id, spoke.id)
    if existing is not None:
        return Created(existing, created=False)
    try:
        checked = spoke.check_answers(answers)
    except ValueError as error:
        raise InvalidRequest(str(error)) from None
    phone, window = _checked_contact(contact)
    for _ in range(5):
        referral = Referral(
            reference=new_reference(),
            family_id=family.id,
            spoke_id=spoke.id,
            team_id=spoke.team,
            status=ReferralStatus.NEW,
            priority=ReferralPriority.URGENT if urgent_reason else ReferralPriority.NORMAL,
            urgent_reason=urgent_reason[:MAX_REASON_CHARS] if urgent_reason else None,
            answers=checked,
            contact_method=contact.method,
            phone=phone,
            call_window=window,
            consent_at=consent_at,
            child_age_band=child_age_band,
            source="bot",
            created_at=now,
            updated_at=now,
            due_by=calendar.due_by(now, spoke.target_working_days),
            post_version=1,
            posted_version=0,
        )
        try:
            async with session.begin_nested():
                session.add(referral)
                await session.flush()
        except IntegrityError:
            # Another open request to this spoke was made at the same moment (the database's
            # unique index), or, once in millions, the reference was taken: look again.
            existing = await open_request(session, family.id, spoke.id)
            if existing is not None:
                return Created(existing, created=False)
            continue
        detail: dict[str, Any] = {"spoke": spoke.id, "contact": contact.method.value}
        if urgent_reason:
            detail["urgent"] = True
        _log(session, referral, Actor.FAMILY, EventKind.CREATED, now, detail=detail)
        await session.flush()
        return Created(referral, created=True)
    raise RuntimeError("could not find a free reference")


async def create_for_partner(
    session: AsyncSession,
    *,
    partner: str,
    spoke: Spoke,
    phone: str,
    contact: Mapping[str, Any],
    child_age_band: str | None,
    consent_at: datetime,
    now: datetime,
    calendar: WorkingCalendar,
) -> Referral:
    """A partner agency's request about a family who may not use the bot: no family row, no
    answers; `contact` is what the partner sent (name, address, reason, consent statement),
    kept in `partner_contact`, and the team calls `phone`. It joins the same queue as a
    family's request (same group post, same action log), marked `source` "partner:<name>".
    Staff messages reach no one (there is no chat): the team phones.

    Duplicates are the caller's to stop (domain/partners.py, by Idempotency-Key): two
    partners may well be worried about the same family.
    """
    checked = parse_uk_phone(phone)
    if checked is None:
        raise InvalidRequest("a partner request needs a valid UK phone number")
    for _ in range(5):
        referral = Referral(
            reference=new_reference(),
            family_id=None,
            spoke_id=spoke.id,
            team_id=spoke.team,
            status=ReferralStatus.NEW,
            priority=ReferralPriority.NORMAL,
            answers={},
            contact_method=ContactMethod.PHONE,
            phone=checked.e164,
            consent_at=consent_at,
            child_age_band=child_age_band,
            source=f"partner:{partner}",
            partner_contact=dict(contact),
            created_at=now,
            updated_at=now,
            due_by=calendar.due_by(now, spoke.target_working_days),
            post_version=1,
            posted_version=0,
        )
        try:
            async with session.begin_nested():
                session.add(referral)
                await session.flush()
        except IntegrityError:
            continue  # the reference was taken, once in millions
        detail = {
            "spoke": spoke.id,
            "contact": ContactMethod.PHONE.value,
            "source": referral.source,
        }
        _log(session, referral, Actor.PARTNER, EventKind.CREATED, now, detail=detail)
        await session.flush()
        return referral
    raise RuntimeError("could not find a free reference")


# -------------------------------------------------------------------------- the action log


def _log(
    session: AsyncSession,
    referral: Referral,
    actor: Actor,
    kind: EventKind,
    now: datetime,
    *,
    staff: StaffMember | None = None,
    detail: dict[str, Any] | None = None,
) -> ReferralEvent:
    event = ReferralEvent(
        referral_id=referral.id,
        at=now,
        actor=actor.value,
        staff_id=staff.id if staff else None,
        kind=kind.value,
        detail=detail or {},
    )
    session.add(event)
    return event


async def _notify_family(
    session: AsyncSession, referral: Referral, event: ReferralEvent, now: datetime
) -> None:
    """The family's notice of this event, in the outbox (sent at once, retried until it
    goes). A request whose family was erased tells no one."""
    if referral.family_id is None:
        return
    await session.flush()  # the event's id names the notice
    today = now.date()
    session.add(
        Delivery(
            family_id=referral.family_id,
            entry_key=f"{NOTICE_PREFIX}{event.id}",
            topic=NOTICE_TOPIC,
            priority=0,
            due_on=today,
            stale_on=today + _NOTICE_KEPT,
            send_at=now,
            referral_event_id=event.id,
            created_at=now,
        )
    )


async def _record(
    session: AsyncSession,
    referral: Referral,
    actor: Actor,
    kind: EventKind,
    now: datetime,
    *,
    staff: StaffMember | None = None,
    detail: dict[str, Any] | None = None,
) -> ReferralEvent:
    event = _log(session, referral, actor, kind, now, staff=staff, detail=detail)
    if kind in _NOTICES:
        await _notify_family(session, referral, event, now)
    await session.flush()
    return event


# ------------------------------------------------------------------------------ transitions


async def _move(
    session: AsyncSession,
    referral_id: int,
    *,
    expected: Collection[ReferralStatus],
    now: datetime,
    values: dict[str, Any],
    extra: Any = None,
) -> bool:
    """One guarded change: only from an expected status (and `extra`, e.g. the holder); the
    group post falls behind, so the bot edits it."""
    conditions = [Referral.id == referral_id, Referral.status.in_(tuple(expected))]
    if extra is not None:
        conditions.append(extra)
    result = await session.execute(
        update(Referral)
        .where(*conditions)
        .values(**values, updated_at=now, post_version=Referral.post_version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _fresh(session: AsyncSession, referral_id: int) -> Referral | None:
    return await session.scalar(
        select(Referral)
        .where(Referral.id == referral_id)
        .execution_options(populate_existing=True)
    )


async def _holder(session: AsyncSession, referral: Referral) -> StaffMember | None:
    if referral.assigned_staff_id is None:
        return None
    return await session.get(StaffMember, referral.assigned_staff_id)


_PERMISSION_REFUSALS = {
    Permission.NOT_STAFF: Refusal.NOT_STAFF,
    Permission.DISABLED: Refusal.DISABLED,
    Permission.OTHER_TEAM: Refusal.OTHER_TEAM,
}


async def _refuse(
    session: AsyncSession,
    referral: Referral | None,
    staff: StaffMember | None,
    action: str,
    reason: Refusal,
    now: datetime,
) -> Refused:
    """Nothing changes; the attempt is in the log all the same (who tried what)."""
    holder = None
    if referral is not None:
        detail = {"action": action, "reason": reason.value}
        actor = Actor.STAFF if staff is not None else Actor.SYSTEM
        _log(session, referral, actor, EventKind.REFUSED, now, staff=staff, detail=detail)
        await session.flush()
        holder = await _holder(session, referral)
    return Refused(reason, referral, holder)


async def _staff_action_allowed(
    session: AsyncSession,
    referral_id: int,
    staff: StaffMember | None,
    action: str,
    now: datetime,
) -> Referral | Refused:
    referral = await _fresh(session, referral_id)
    if referral is None:
        return Refused(Refusal.NOT_FOUND)
    permission = staff_can_act(staff, referral)
    if permission is not Permission.ALLOWED:
        return await _refuse(
            session, referral, staff, action, _PERMISSION_REFUSALS[permission], now
        )
    return referral


def _holds(staff: StaffMember) -> Any:
    """The request is this member's, or the member is an admin (who may act on any)."""
    if staff.role is StaffRole.ADMIN:
        return None
    return Referral.assigned_staff_id == staff.id


async def claim(
    session: AsyncSession, referral_id: int, staff: StaffMember | None, now: datetime
) -> ActionResult:
    """Take a new request. Of two members pressing at once exactly one wins (`Done`); the
    other gets `Lost` with who holds it."""
    checked = await _staff_action_allowed(session, referral_id, staff, "claim", now)
    if isinstance(checked, Refused):
        return checked
    assert staff is not None
    won = await _move(
        session,
        referral_id,
        expected=(ReferralStatus.NEW,),
        now=now,
        values={
            "status": ReferralStatus.CLAIMED,
            "assigned_staff_id": staff.id,
            "claimed_at": now,
        },
        extra=Referral.assigned_staff_id.is_(None),
    )
    referral = await _fresh(session, referral_id)
    assert referral is not None
    if not won:
        _log(session, referral, Actor.STAFF, EventKind.REFUSED, now, staff=staff,
             detail={"action": "claim", "reason": "lost"})  # fmt: skip
        await session.flush()
        return Lost(referral, await _holder(session, referral))
    await _record(session, referral, Actor.STAFF, EventKind.CLAIMED, now, staff=staff)
    return Done(referral)


async def assign(
    session: AsyncSession,
    referral_id: int,
    staff: StaffMember | None,
    to_staff_id: int,
    now: datetime,
) -> ActionResult:
    """Hand a request to a colleague who may work it (an enabled member of its team, or an
    admin): a new one is claimed for them, and the family is told someone has it, as after
    Claim; a held one moves from its holder, which only the holder or an admin may do (e.g.
    the holder is on leave)."""
    checked = await _staff_action_allowed(session, referral_id, staff, "assign", now)
    if isinstance(checked, Refused):
        return checked
    assert staff is not None
    colleague = await session.get(StaffMember, to_staff_id)
    if colleague is None or staff_can_act(colleague, checked) is not Permission.ALLOWED:
        return await _refuse(session, checked, staff, "assign", Refusal.NOT_COLLEAGUE, now)
    if checked.status not in OPEN:
        return await _refuse(session, checked, staff, "assign", Refusal.WRONG_STATUS, now)
    was_new = checked.status is ReferralStatus.NEW
    if was_new:
        moved = await _move(
            session,
            referral_id,
            expected=(ReferralStatus.NEW,),
            now=now,
            values={
                "status": ReferralStatus.CLAIMED,
                "assigned_staff_id": colleague.id,
                "claimed_at": now,
            },
            extra=Referral.assigned_staff_id.is_(None),
        )
    else:
        moved = await _move(
            session,
            referral_id,
            expected=HELD,
            now=now,
            values={"assigned_staff_id": colleague.id},
            extra=_holds(staff),
        )
    referral = await _fresh(session, referral_id)
    assert referral is not None
    if not moved:
        why = Refusal.WRONG_STATUS if referral.status not in OPEN else Refusal.NOT_HOLDER
        return await _refuse(session, referral, staff, "assign", why, now)
    detail = {"to": colleague.id, "to_name": colleague.name}
    # A new request's family hears that someone has it, exactly as after Claim.
    kind = EventKind.CLAIMED if was_new else EventKind.ASSIGNED
    await _record(session, referral, Actor.STAFF, kind, now, staff=staff, detail=detail)
    return Done(referral)


async def _holder_moves(
    session: AsyncSession,
    referral_id: int,
    staff: StaffMember | None,
    now: datetime,
    *,
    action: str,
    expected: Collection[ReferralStatus],
    values: dict[str, Any],
    kind: EventKind,
    detail: dict[str, Any] | None = None,
) -> ActionResult:
    """A change only the member holding the request (or an admin) may make."""
    checked = await _staff_action_allowed(session, referral_id, staff, action, now)
    if isinstance(checked, Refused):
        return checked
    assert staff is not None
    if checked.status not in expected:
        return await _refuse(session, checked, staff, action, Refusal.WRONG_STATUS, now)
    holds = _holds(staff)
    if not await _move(
        session, referral_id, expected=expected, now=now, values=values, extra=holds
    ):
        referral = await _fresh(session, referral_id)
        reason = (
            Refusal.WRONG_STATUS
            if referral is None or referral.status not in expected
            else Refusal.NOT_HOLDER
        )
        return await _refuse(session, referral, staff, action, reason, now)
    referral = await _fresh(session, referral_id)
    assert referral is not None
    await _record(session, referral, Actor.STAFF, kind, now, staff=staff, detail=detail)
    return Done(referral)


async def mark_contacted(
    session: AsyncSession, referral_id: int, staff: StaffMember | None, now: datetime
) -> ActionResult:
    """The first contact with the family happened (the clock to the target stops)."""
    return await _holder_moves(
        session,
        referral_id,
        staff,
        now,
        action="contacted",
        expected=(ReferralStatus.CLAIMED,),
        values={"status": ReferralStatus.CONTACTED, "first_contact_at": now},
        kind=EventKind.CONTACTED,
    )


async def close(
    session: AsyncSession,
    referral_id: int,
    staff: StaffMember | None,
    outcome: str,
    spokes: Spokes,
    now: datetime,
) -> ActionResult:
    """Close a held request with an outcome from spokes.yaml (closing a claimed request with
    no contact is allowed: "we could not get hold of you")."""
    if spokes.outcome(outcome) is None:
        return Refused(Refusal.UNKNOWN_OUTCOME)
    return await _holder_moves(
        session,
        referral_id,
        staff,
        now,
        action="close",
        expected=HELD,
        values={"status": ReferralStatus.CLOSED, "outcome": outcome, "closed_at": now},
        kind=EventKind.CLOSED,
        detail={"outcome": outcome},
    )


async def decline(
    session: AsyncSession,
    referral_id: int,
    staff: StaffMember | None,
    reason: str,
    spokes: Spokes,
    now: datetime,
) -> ActionResult:
    """Decline with a reason from spokes.yaml: a new request by any member of the team, a
    held one by its holder (or an admin)."""
    if spokes.decline_reason(reason) is None:
        return Refused(Refusal.UNKNOWN_REASON)
    checked = await _staff_action_allowed(session, referral_id, staff, "decline", now)
    if isinstance(checked, Refused):
        return checked
    assert staff is not None
    values = {"status": ReferralStatus.DECLINED, "decline_reason": reason, "closed_at": now}
    holds = _holds(staff)
    free = Referral.status == ReferralStatus.NEW
    moved = await _move(
        session,
        referral_id,
        expected=OPEN,
        now=now,
        values=values,
        extra=None if holds is None else or_(free, holds),
    )
    referral = await _fresh(session, referral_id)
    assert referral is not None
    if not moved:
        why = Refusal.WRONG_STATUS if referral.status not in OPEN else Refusal.NOT_HOLDER
        return await _refuse(session, referral, staff, "decline", why, now)
    await _record(
        session, referral, Actor.STAFF, EventKind.DECLINED, now, staff=staff,
        detail={"reason": reason},
    )  # fmt: skip
    return Done(referral)


async def _family_request(
    session: AsyncSession, referral_id: int, family: Family
) -> Referral | Refused:
    referral = await _fresh(session, referral_id)
    if referral is None:
        return Refused(Refusal.NOT_FOUND)
    if referral.family_id != family.id:
        return Refused(Refusal.NOT_YOURS)
    return referral


async def cancel_by_family(
    session: AsyncSession, referral_id: int, family: Family, now: datetime
) -> ActionResult:
    """The family no longer needs it: only before the first contact (after that, they tell
    the person helping them)."""
    checked = await _family_request(session, referral_id, family)
    if isinstance(checked, Refused):
        return checked
    expected = (ReferralStatus.NEW, ReferralStatus.CLAIMED)
    if not await _move(
        session,
        referral_id,
        expected=expected,
        now=now,
        values={"status": ReferralStatus.CANCELLED, "closed_at": now},
    ):
        return Refused(Refusal.WRONG_STATUS, await _fresh(session, referral_id))
    referral = await _fresh(session, referral_id)
    assert referral is not None
    await _record(session, referral, Actor.FAMILY, EventKind.CANCELLED, now)
    return Done(referral)


def _message_text(text: str) -> str | None:
    text = text.strip()
    return text[:MAX_MESSAGE_CHARS] if text else None


async def _add_message(
    session: AsyncSession,
    referral: Referral,
    sender: Actor,
    body: str,
    now: datetime,
    *,
    staff: StaffMember | None = None,
) -> None:
    """Store a message of the thread and its event. A staff message needs no relay to the
    holder (`relayed_at` now): it reaches the family as the event's notice."""
    message = ReferralMessage(
        referral_id=referral.id,
        at=now,
        sender=sender.value,
        staff_id=staff.id if staff else None,
        text=body,
        relayed_at=now if sender is Actor.STAFF else None,
    )
    session.add(message)
    await session.flush()
    kind = EventKind.STAFF_MESSAGE if sender is Actor.STAFF else EventKind.FAMILY_MESSAGE
    await _record(
        session, referral, sender, kind, now, staff=staff, detail={"message_id": message.id}
    )


async def add_family_message(
    session: AsyncSession, referral_id: int, family: Family, text: str, now: datetime
) -> ActionResult:
    """The family writes to the team about an open request. The message is stored before
    anything else; the bot passes it to the holder (`messages_to_relay`, `mark_relayed`)."""
    checked = await _family_request(session, referral_id, family)
    if isinstance(checked, Refused):
        return checked
    body = _message_text(text)
    if body is None:
        return Refused(Refusal.EMPTY_TEXT, checked)
    if checked.status not in OPEN:
        return Refused(Refusal.WRONG_STATUS, checked)
    await _add_message(session, checked, Actor.FAMILY, body, now)
    return Done(checked)


async def add_staff_message(
    session: AsyncSession, referral_id: int, staff: StaffMember | None, text: str, now: datetime
) -> ActionResult:
    """The holder writes to the family: stored, and sent through the outbox."""
    checked = await _staff_action_allowed(session, referral_id, staff, "message", now)
    if isinstance(checked, Refused):
        return checked
    assert staff is not None
    body = _message_text(text)
    if body is None:
        return Refused(Refusal.EMPTY_TEXT, checked)
    if checked.status not in HELD:
        return await _refuse(session, checked, staff, "message", Refusal.WRONG_STATUS, now)
    if staff.role is not StaffRole.ADMIN and checked.assigned_staff_id != staff.id:
        return await _refuse(session, checked, staff, "message", Refusal.NOT_HOLDER, now)
    await _add_message(session, checked, Actor.STAFF, body, now, staff=staff)
    return Done(checked)


async def add_staff_note(
    session: AsyncSession, referral_id: int, staff: StaffMember | None, text: str, now: datetime
) -> ActionResult:
    """A note for the team only (never sent to the family), on any request of the team."""
    checked = await _staff_action_allowed(session, referral_id, staff, "note", now)
    if isinstance(checked, Refused):
        return checked
    body = _message_text(text)
    if body is None:
        return Refused(Refusal.EMPTY_TEXT, checked)
    await _record(
        session, checked, Actor.STAFF, EventKind.STAFF_NOTE, now, staff=staff,
        detail={"note": body[:1000]},
    )  # fmt: skip
    return Done(checked)


async def record_view(
    session: AsyncSession, referral_id: int, staff: StaffMember | None, now: datetime
) -> ActionResult:
    """A member opened the details ("Open"): allowed for the team, and logged either way."""
    checked = await _staff_action_allowed(session, referral_id, staff, "view", now)
    if isinstance(checked, Refused):
        return checked
    await _record(session, checked, Actor.STAFF, EventKind.VIEWED, now, staff=staff)
    return Done(checked)


async def mark_urgent(
    session: AsyncSession,
    referral_id: int,
    reason: str,
    now: datetime,
    *,
    staff: StaffMember | None = None,
) -> ActionResult:
    """Mark an open request urgent: an emergency word in what the family wrote (no staff), or
    a member's judgement (checked like any staff action)."""
    if staff is not None:
        checked = await _staff_action_allowed(session, referral_id, staff, "urgent", now)
        if isinstance(checked, Refused):
            return checked
    reason = reason.strip()[:MAX_REASON_CHARS]
    if not await _move(
        session,
        referral_id,
        expected=OPEN,
        now=now,
        values={"priority": ReferralPriority.URGENT, "urgent_reason": reason},
    ):
        return Refused(Refusal.WRONG_STATUS, await _fresh(session, referral_id))
    referral = await _fresh(session, referral_id)
    assert referral is not None
    actor = Actor.STAFF if staff is not None else Actor.SYSTEM
    await _record(
        session, referral, actor, EventKind.URGENT, now, staff=staff, detail={"reason": reason}
    )
    return Done(referral)


# ------------------------------------------------------------------------------------ lists


async def requests_of_family(session: AsyncSession, family_id: int) -> list[Referral]:
    """Every request of a family, newest first ("My requests")."""
    return list(
        await session.scalars(
            select(Referral)
            .where(Referral.family_id == family_id)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
        )
    )


async def open_requests_of_family(session: AsyncSession, family_id: int) -> list[Referral]:
    return [r for r in await requests_of_family(session, family_id) if r.status in OPEN]


class QueueView(StrEnum):
    OPEN = "open"  # everything still open
    UNASSIGNED = "unassigned"  # new, nobody holds it
    MINE = "mine"  # held by the member asking
    OVERDUE = "overdue"  # past the target with no first contact yet


def overdue_condition(now: datetime) -> Any:
    return and_(
        Referral.status.in_((ReferralStatus.NEW, ReferralStatus.CLAIMED)),
        Referral.first_contact_at.is_(None),
        Referral.due_by < now,
    )


async def queue(
    session: AsyncSession, staff: StaffMember, view: QueueView, now: datetime
) -> list[Referral]:
    """A member's view of the queue: their team's (every team's for an admin), urgent first,
    then the soonest due."""
    conditions: list[Any] = [Referral.status.in_(OPEN)]
    if staff.role is not StaffRole.ADMIN:
        conditions.append(Referral.team_id == staff.team_id)
    if view is QueueView.UNASSIGNED:
        conditions.append(Referral.status == ReferralStatus.NEW)
    elif view is QueueView.MINE:
        conditions.append(Referral.assigned_staff_id == staff.id)
    elif view is QueueView.OVERDUE:
        conditions.append(overdue_condition(now))
    return list(
        await session.scalars(
            select(Referral)
            .where(*conditions)
            .order_by(
                (Referral.priority == ReferralPriority.URGENT).desc(),
                Referral.due_by,
                Referral.id,
            )
        )
    )


async def overdue_to_repost(session: AsyncSession, now: datetime, today: date) -> list[Referral]:
    """Overdue requests not yet posted again today (the 09:00 repost of each working day)."""
    return list(
        await session.scalars(
            select(Referral)
            .where(
                overdue_condition(now),
                or_(Referral.overdue_posted_on.is_(None), Referral.overdue_posted_on < today),
            )
            .order_by(Referral.due_by, Referral.id)
        )
    )


async def mark_overdue_posted(session: AsyncSession, referral_id: int, today: date) -> bool:
    """Take today's overdue repost of this request; False if another process already has."""
    result = await session.execute(
        update(Referral)
        .where(
            Referral.id == referral_id,
            or_(Referral.overdue_posted_on.is_(None), Referral.overdue_posted_on < today),
        )
        .values(overdue_posted_on=today)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def posts_due(session: AsyncSession, limit: int = 50) -> list[Referral]:
    """Requests whose group post is missing or behind their latest change, oldest first."""
    return list(
        await session.scalars(
            select(Referral)
            .where(Referral.posted_version < Referral.post_version)
            .order_by(Referral.updated_at, Referral.id)
            .limit(limit)
        )
    )


async def record_post(
    session: AsyncSession, referral_id: int, version: int, chat_id: int, message_id: int
) -> bool:
    """The group post now shows `version` (the `post_version` read before posting). A slower
    post of an older version never overwrites a newer one."""
    result = await session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.posted_version < version)
        .values(posted_version=version, group_chat_id=chat_id, group_message_id=message_id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def messages_to_relay(session: AsyncSession, limit: int = 50) -> list[ReferralMessage]:
    """Family messages not yet passed to the staff member holding their request."""
    return list(
        await session.scalars(
            select(ReferralMessage)
            .where(ReferralMessage.sender == "family", ReferralMessage.relayed_at.is_(None))
            .order_by(ReferralMessage.id)
            .limit(limit)
        )
    )


async def mark_relayed(session: AsyncSession, message_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(ReferralMessage)
        .where(ReferralMessage.id == message_id, ReferralMessage.relayed_at.is_(None))
        .values(relayed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def history(session: AsyncSession, referral_id: int) -> list[ReferralEvent]:
    """The action log of one request, oldest first."""
    return list(
        await session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral_id)
            .order_by(ReferralEvent.at, ReferralEvent.id)
        )
    )


async def thread(session: AsyncSession, referral_id: int) -> list[ReferralMessage]:
    return list(
        await session.scalars(
            select(ReferralMessage)
            .where(ReferralMessage.referral_id == referral_id)
            .order_by(ReferralMessage.at, ReferralMessage.id)
        )
    )


# ---------------------------------------------------------------------------------- erasure


@dataclass(frozen=True)
class HeldRequest:
    """A request staff hold, which stops the family's erasure: the bot tells the family the
    reference and posts to the team (`team_id`, `group_chat_id`/`group_message_id`)."""

    referral_id: int
    reference: str
    spoke_id: str
    team_id: str
    assigned_staff_id: int | None
    group_chat_id: int | None
    group_message_id: int | None


class ErasureRefused(Exception):
    """`/delete` must wait: staff hold these requests (claimed or contacted). The team should
    close them first, or tell the family what happens to their details."""

    def __init__(self, held: list[HeldRequest]) -> None:
        super().__init__(", ".join(h.reference for h in held))
        self.held = held


async def held_requests(session: AsyncSession, family_id: int) -> list[HeldRequest]:
    rows = await session.scalars(
        select(Referral)
        .where(Referral.family_id == family_id, Referral.status.in_(HELD))
        .order_by(Referral.id)
    )
    return [
        HeldRequest(
            referral_id=r.id,
            reference=r.reference,
            spoke_id=r.spoke_id,
            team_id=r.team_id,
            assigned_staff_id=r.assigned_staff_id,
            group_chat_id=r.group_chat_id,
            group_message_id=r.group_message_id,
        )
        for r in rows
    ]


async def note_erasure_asked(session: AsyncSession, referral_id: int, now: datetime) -> bool:
    """The family asked for its details to be deleted while staff hold this request: the team
    must close it or talk to the family. Logged, and the group post falls behind so it shows.
    False if the request is no longer held (nothing to tell)."""
    if not await _move(session, referral_id, expected=HELD, now=now, values={}):
        return False
    referral = await _fresh(session, referral_id)
    assert referral is not None
    await _record(session, referral, Actor.FAMILY, EventKind.ERASURE_ASKED, now)
    return True


async def detach_family(session: AsyncSession, family_id: int, now: datetime) -> list[Referral]:
    """Before a family is erased (nothing held, see `held_requests`): cancel its new requests
    (returned, so the bot can tell their teams) and strip every request of personal details.

    What stays is what the service counts: spoke, team, dates, status and outcome, and the
    action log without anyone's words.
    """
    referrals = list(
        await session.scalars(select(Referral).where(Referral.family_id == family_id))
    )
    if any(r.status in HELD for r in referrals):
        raise ErasureRefused(await held_requests(session, family_id))
    cancelled = []
    for referral in referrals:
        if referral.status is ReferralStatus.NEW:
            await _move(
                session,
                referral.id,
                expected=(ReferralStatus.NEW,),
                now=now,
                values={"status": ReferralStatus.CANCELLED, "closed_at": now},
            )
            _log(session, referral, Actor.SYSTEM, EventKind.CANCELLED, now,
                 detail={"why": "family_erased"})  # fmt: skip
            cancelled.append(referral.id)
        _log(session, referral, Actor.SYSTEM, EventKind.FAMILY_ERASED, now)
    ids = [r.id for r in referrals]
    if ids:
        await session.execute(delete(ReferralMessage).where(ReferralMessage.referral_id.in_(ids)))
        notes = await session.scalars(
            select(ReferralEvent).where(
                ReferralEvent.referral_id.in_(ids), ReferralEvent.kind == EventKind.STAFF_NOTE
            )
        )
        for note in notes:
            note.detail = {}
        await session.execute(
            update(Referral)
            .where(Referral.id.in_(ids))
            .values(
                family_id=None,
                answers={},
                phone=None,
                call_window=None,
                urgent_reason=None,
                partner_contact=None,
                erased_at=now,
                updated_at=now,
                post_version=Referral.post_version + 1,
            )
            .execution_options(synchronize_session=False)
        )
    await session.flush()
    return [r for r in [await _fresh(session, i) for i in cancelled] if r is not None]


def export_requests(
    referrals: list[Referral],
    events: Mapping[int, list[ReferralEvent]],
    messages: Mapping[int, list[ReferralMessage]],
) -> list[dict[str, Any]]:
    """A family's requests for `/mydata`: what they asked, what happened, the thread."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return [
        {
            "reference": r.reference,
            "support": r.spoke_id,
            "status": r.status.value,
            "priority": r.priority.value,
            "answers": r.answers,
            "contact": r.contact_method.value,
            "phone": r.phone,
            "call_time": r.call_window,
            "child_age": r.child_age_band,
            "consent_to_share_at": iso(r.consent_at),
            "made_at": iso(r.created_at),
            "target_date": iso(r.due_by),
            "first_contact_at": iso(r.first_contact_at),
            "closed_at": iso(r.closed_at),
            "outcome": r.outcome,
            "decline_reason": r.decline_reason,
            "messages": [
                {"at": iso(m.at), "from": m.sender, "text": m.text} for m in messages.get(r.id, [])
            ],
            "history": [
                {"at": iso(e.at), "by": e.actor, "what": e.kind}
                for e in events.get(r.id, [])
                if e.kind != EventKind.STAFF_NOTE
            ],
        }
        for r in referrals
    ]


async def export_for_family(session: AsyncSession, family_id: int) -> list[dict[str, Any]]:
    referrals = await requests_of_family(session, family_id)
    events: dict[int, list[ReferralEvent]] = {}
    messages: dict[int, list[ReferralMessage]] = {}
    for referral in referrals:
        events[referral.id] = await history(session, referral.id)
        messages[referral.id] = await thread(session, referral.id)
    return export_requests(referrals, events, messages)
