"""Appointments a family adds: reading the time they type, and when to remind them."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from locales.text_folding import ARABIC_DIGITS
from resources.service import ServiceRules
from resources.topics import Topic
from store.models import Appointment, Delivery, DeliveryStatus, Family

EVENING_BEFORE = "appointment_evening_before"
SOON = "appointment_soon"
SOON_BEFORE = timedelta(hours=2)
LEAST_NOTICE = timedelta(minutes=30)
MAX_WHAT = 100

_TIME = re.compile(
    r"^\s*(?P<hour>\d{1,2})(?:\s*[:.h]\s*(?P<minute>\d{2}))?\s*(?P<half>am|pm|a\.m\.|p\.m\.)?\s*$"
)


def parse_time(text: str) -> time | None:
    """'9:30', '09.30', '14h15', '2pm', '2:15 pm', Arabic digits; None if it is not a time."""
    cleaned = text[:20].translate(ARABIC_DIGITS).lower().replace("godz.", "").replace("às", "")
    match = _TIME.match(cleaned)
    if not match:
        return None
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = (match["half"] or "").replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def reminder_times(
    starts_at: datetime, *, now: datetime, rules: ServiceRules, zone: ZoneInfo
) -> dict[str, datetime]:
    """When to remind: the evening before at the evening send time, and two hours before.

    Nothing is ever sent in quiet hours: a two-hour reminder that would fall in them moves to
    the end of quiet hours if that is still at least 30 minutes before, or is left out.
    """
    local_start = starts_at.astimezone(zone)
    times: dict[str, datetime] = {}
    evening = datetime.combine(
        local_start.date() - timedelta(days=1), rules.send_times.evening, tzinfo=zone
    )
    if evening > now:
        times[EVENING_BEFORE] = evening
    soon: datetime | None = local_start - SOON_BEFORE
    assert soon is not None
    if rules.quiet_hours.contains(soon.time()):
        quiet_end = datetime.combine(soon.date(), rules.quiet_hours.end, tzinfo=zone)
        if quiet_end <= soon:
            quiet_end += timedelta(days=1)
        soon = quiet_end if quiet_end <= local_start - LEAST_NOTICE else None
    if soon is not None and soon > now:
        times[SOON] = soon
    return times


async def add_appointment(
    session: AsyncSession,
    family: Family,
    *,
    what: str,
    day: date,
    at: time,
    now: datetime,
    rules: ServiceRules,
    zone: ZoneInfo,
) -> Appointment:
    starts_at = datetime.combine(day, at, tzinfo=zone)
    appointment = Appointment(family_id=family.id, what=what[:MAX_WHAT], starts_at=starts_at)
    session.add(appointment)
    await session.flush()
    for key, send_at in reminder_times(starts_at, now=now, rules=rules, zone=zone).items():
        session.add(
            Delivery(
                family_id=family.id,
                appointment_id=appointment.id,
                entry_key=key,
                topic=Topic.REVIEWS.value,
                priority=15,
                due_on=send_at.date(),
                stale_on=day,
                send_at=send_at,
                status=DeliveryStatus.PENDING,
                attempts=0,
            )
        )
    return appointment
