"""The dashboard's audit log of what staff did that is not a change to one request.

Changes to a request are `ReferralEvent`s, written by domain/referrals.py in the same
transaction as the change; this log holds the rest (sign-ins, refused sign-ins, lock-outs,
report downloads, campaigns) so an admin can answer "who did what, when" for all of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AuditEvent


def record(
    session: AsyncSession,
    *,
    staff_id: int | None,
    action: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the caller's transaction: it is kept only if what it records is."""
    event = AuditEvent(at=now, staff_id=staff_id, action=action, detail=detail or {})
    session.add(event)
    return event
