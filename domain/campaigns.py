"""Targeted campaigns: the one module where a campaign changes state.

    draft -> scheduled -> sending -> sent
    scheduled | sending -> cancelled

An admin writes the message in every language (families read their own, so none may be
missing), picks a segment, and schedules it for a day. Scheduling turns the draft into outbox
rows, one per family reached (never two: the outbox's unique family row), and from then on the
campaign is the outbox's: the same dispatcher sends it with every rule a reminder follows.

How a campaign message goes out, and why:
- It is a planned message of its day (`send_at` empty): it goes on `send_on` at the family's
  own message time, never in quiet hours, not while the family is mid-conversation, paused or
  blocked, through the same rate limiter.
- It counts as the family's one planned message of the day (domain/outbox.py `_reserve_days`):
  a campaign is never a second message on top of a tip. It ranks above tips and below
  time-critical reminders (reviews, immunisations), so on a day with both an immunisation
  reminder and a campaign the reminder goes and the campaign waits a day.
- It is sent for a few days only (`KEPT_DAYS`); after that it is stale and skipped, never
  delivered a week late.
- A family that opted out, or whose campaign was cancelled, is not sent it: pending rows are
  skipped at once, and the outbox's claim refuses them as well (a row retried after a fault).
- A loss stops it like any family-level message (domain/outbox.py `cancel_about_child`), and a
  family that reported a loss in the last year is not in any campaign's audience.

Every change is one conditional UPDATE guarded by the status it expects (as
domain/referrals.py does), and writes an audit event in the same transaction.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import record
from domain.dates import months_old
from locales import SUPPORTED_LOCALES
from store.dialects import insert_or_ignore
from store.models import (
    Campaign,
    CampaignStatus,
    Child,
    ChildStatus,
    Delivery,
    DeliveryStatus,
    Family,
    Role,
)

ENTRY_PREFIX = "campaign:"
TOPIC = "campaign"
# Above tips (0), below time-critical reminders (10): see domain/planning.py PRIORITY.
PRIORITY = 5
# Sent on its day or, if the family's day was taken, in the days after; then skipped as stale.
KEPT_DAYS = 3
MAX_TEXT_CHARS = 1000  # well inside Telegram's 4096, with room for the language's script
MAX_NAME_CHARS = 100
INSERT_BATCH = 1000
# Families who reported a loss this recently hear no campaign (it could be about babies).
QUIET_AFTER_A_LOSS = timedelta(days=365)
# The segment's value for families who came with no deep-link source.
NO_SOURCE = "(none)"
LANGUAGE_NAMES = {"en": "English", "pl": "Polish", "pt": "Portuguese", "ar": "Arabic"}
OPEN_CAMPAIGN = (CampaignStatus.SCHEDULED, CampaignStatus.SENDING)
_OPEN_ROW = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class AgeBand:
    """A child's age on the send day: pregnant (no `from_months`), or [from, until) months."""

    id: str
    label: str
    from_months: int | None
    until_months: int | None


AGE_BANDS = (
    AgeBand("pregnant", "Pregnant (expecting a baby)", None, None),
    AgeBand("0-3m", "0 to 3 months", 0, 3),
    AgeBand("3-12m", "3 to 12 months", 3, 12),
    AgeBand("1-2y", "1 to 2 years", 12, 24),
    AgeBand("2-5y", "2 to 5 years", 24, 60),
)
BANDS_BY_ID = {band.id: band for band in AGE_BANDS}


@dataclass(frozen=True)
class Segment:
    """Who a campaign is for. Each part narrows it; an empty part means anyone."""

    areas: frozenset[str] = frozenset()
    age_bands: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    locales: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, list[str]]:
        return {
            "areas": sorted(self.areas),
            "age_bands": [band.id for band in AGE_BANDS if band.id in self.age_bands],
            "roles": sorted(self.roles),
            "locales": [code for code in SUPPORTED_LOCALES if code in self.locales],
            "sources": sorted(self.sources),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Segment:
        return cls(**{name: frozenset(data.get(name, ())) for name in _SEGMENT_PARTS})

    def problems(self) -> list[str]:
        """What is wrong with the segment, in words for the admin (none: it is valid)."""
        found = []
        if unknown := self.age_bands - BANDS_BY_ID.keys():
            found.append(f"Unknown age band: {', '.join(sorted(unknown))}.")
        if unknown := self.roles - {role.value for role in Role}:
            found.append(f"Unknown role: {', '.join(sorted(unknown))}.")
        if unknown := self.locales - set(SUPPORTED_LOCALES):
            found.append(f"Unknown language: {', '.join(sorted(unknown))}.")
        if any(len(value) > 64 for value in self.areas | self.sources):
            found.append("An area or source is too long.")
        return found


_SEGMENT_PARTS = ("areas", "age_bands", "roles", "locales", "sources")


@dataclass(frozen=True)
class Draft:
    """What the admin typed, cleaned: line ends made plain, spaces trimmed."""

    name: str
    texts: dict[str, str]
    segment: Segment
    send_on: date

    @classmethod
    def typed(
        cls, *, name: str, texts: Mapping[str, str], segment: Segment, send_on: date
    ) -> Draft:
        return cls(
            name=name.strip(),
            texts={code: _clean(texts.get(code, "")) for code in SUPPORTED_LOCALES},
            segment=segment,
            send_on=send_on,
        )

    def problems(self, today: date) -> list[str]:
        found = []
        if not self.name:
            found.append("Give the campaign a name.")
        elif len(self.name) > MAX_NAME_CHARS:
            found.append(f"The name is longer than {MAX_NAME_CHARS} characters.")
        found += text_problems(self.texts)
        found += self.segment.problems()
        if self.send_on < today:
            found.append("The send day has passed: choose today or a later day.")
        return found


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def text_problems(texts: Mapping[str, str]) -> list[str]:
    """Each language's message is required and short enough for one Telegram message."""
    found = []
    for code in SUPPORTED_LOCALES:
        text = texts.get(code, "")
        language = LANGUAGE_NAMES[code]
        if not text.strip():
            found.append(f"Write the {language} message.")
        elif len(text) > MAX_TEXT_CHARS:
            found.append(
                f"The {language} message has {len(text)} characters; the most is {MAX_TEXT_CHARS}."
            )
    return found


@dataclass(frozen=True)
class Invalid:
    problems: list[str]


@dataclass(frozen=True)
class Refused:
    """Why a change was not made, in words for the admin."""

    reason: str


@dataclass(frozen=True)
class Report:
    """Where a campaign's messages are: pending includes a send under way."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    by_error: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.skipped + self.pending


def entry_key(campaign_id: int) -> str:
    return f"{ENTRY_PREFIX}{campaign_id}"


def text_for(texts: Mapping[str, str], locale: str) -> str:
    """The campaign's words for a family's language (English if it has none in that one)."""
    return str(texts.get(locale) or texts["en"])


# --- who a campaign reaches ---------------------------------------------------------------------


def latest_birth(day: date, months: int) -> date:
    """The latest date of birth of a child who is at least `months` old on `day`, by the same
    count as everywhere else (domain/dates.py `months_old`), end-of-month days included."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    candidate = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    while months_old(candidate + timedelta(days=1), day) >= months:
        candidate += timedelta(days=1)
    while months_old(candidate, day) < months:
        candidate -= timedelta(days=1)
    return candidate


def _in_band(band: AgeBand, day: date) -> Any:
    if band.from_months is None or band.until_months is None:
        return and_(Child.birth_date.is_(None), Child.due_date.is_not(None))
    return and_(
        Child.birth_date > latest_birth(day, band.until_months),
        Child.birth_date <= latest_birth(day, band.from_months),
    )


def _audience(segment: Segment, day: date) -> list[Any]:
    """The conditions on `Family` for the families a segment reaches on `day`."""
    loss_since = datetime.combine(day, time(), UTC) - QUIET_AFTER_A_LOSS
    conditions: list[Any] = [
        Family.registered_at.is_not(None),
        Family.paused.is_(False),
        Family.blocked.is_(False),
        Family.campaigns_opt_out.is_(False),
        ~exists().where(
            Child.family_id == Family.id,
            Child.status == ChildStatus.LOSS,
            Child.loss_reported_at >= loss_since,
        ),
    ]
    if segment.areas:
        conditions.append(Family.area.in_(sorted(segment.areas)))
    if segment.roles:
        conditions.append(Family.role.in_(sorted(segment.roles)))
    if segment.locales:
        conditions.append(Family.locale.in_(sorted(segment.locales)))
    if segment.sources:
        named = sorted(segment.sources - {NO_SOURCE})
        by_source = [Family.source.in_(named)] if named else []
        if NO_SOURCE in segment.sources:
            by_source.append(Family.source.is_(None))
        conditions.append(or_(*by_source))
    if segment.age_bands:
        bands = [BANDS_BY_ID[band_id] for band_id in sorted(segment.age_bands)]
        conditions.append(
            exists().where(
                Child.family_id == Family.id,
                Child.status == ChildStatus.ACTIVE,
                or_(*(_in_band(band, day) for band in bands)),
            )
        )
    return conditions


async def reach(session: AsyncSession, segment: Segment, day: date) -> int:
    """How many families the segment reaches if it goes on `day`: registered, not paused, not
    blocked, not opted out of campaigns."""
    count = await session.scalar(
        select(func.count()).select_from(Family).where(*_audience(segment, day))
    )
    return count or 0


async def sources_in_use(session: AsyncSession) -> list[str]:
    """The registered sources families came with, for the admin to pick from."""
    found = await session.scalars(
        select(Family.source).where(Family.source.is_not(None)).distinct().order_by(Family.source)
    )
    return [source for source in found if source]


# --- changes --------------------------------------------------------------------------------


async def _move(
    session: AsyncSession,
    campaign_id: int,
    *,
    expected: Iterable[CampaignStatus],
    now: datetime | None,
    values: dict[str, Any],
) -> bool:
    """One guarded change: only from an expected status. With no `now`, the engine's clock
    stamps it (store/models.py `utcnow`)."""
    stamp = {} if now is None else {"updated_at": now}
    result = await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status.in_(tuple(expected)))
        .values(**values, **stamp)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def fresh(
    session: AsyncSession, campaign_id: int, *, for_update: bool = False
) -> Campaign | None:
    """The campaign as the database has it now; `for_update` holds its row until the caller's
    transaction ends (PostgreSQL; SQLite's one writer at a time does the same)."""
    query = select(Campaign).where(Campaign.id == campaign_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def create_draft(
    session: AsyncSession, draft: Draft, *, staff_id: int, today: date, now: datetime
) -> Campaign | Invalid:
    """A new draft, once everything in it is valid."""
    if problems := draft.problems(today):
        return Invalid(problems)
    campaign = Campaign(
        name=draft.name,
        texts=draft.texts,
        segment=draft.segment.to_json(),
        status=CampaignStatus.DRAFT,
        send_on=draft.send_on,
        created_by=staff_id,
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    await session.flush()
    record(
        session,
        staff_id=staff_id,
        action="campaign_created",
        now=now,
        detail={"campaign_id": campaign.id, "name": campaign.name},
    )
    return campaign


async def update_draft(
    session: AsyncSession,
    campaign_id: int,
    draft: Draft,
    *,
    staff_id: int,
    today: date,
    now: datetime,
) -> Campaign | Invalid | Refused:
    """Change a draft; a campaign already scheduled is no longer the admin's to edit."""
    if problems := draft.problems(today):
        return Invalid(problems)
    moved = await _move(
        session,
        campaign_id,
        expected=(CampaignStatus.DRAFT,),
        now=now,
        values={
            "name": draft.name,
            "texts": draft.texts,
            "segment": draft.segment.to_json(),
            "send_on": draft.send_on,
        },
    )
    campaign = await fresh(session, campaign_id)
    if campaign is None:
        return Refused("There is no such campaign.")
    if not moved:
        return Refused(f"This campaign is {campaign.status.value}: only a draft can be changed.")
    record(
        session,
        staff_id=staff_id,
        action="campaign_edited",
        now=now,
        detail={"campaign_id": campaign_id, "name": campaign.name},
    )
    return campaign


async def schedule(
    session: AsyncSession, campaign_id: int, *, staff_id: int, today: date, now: datetime
) -> int | Refused:
    """Put a draft's messages in the outbox for every family it reaches on its send day;
    returns how many. Refused unless it is a draft, its day is today or later, and it reaches
    someone. Its rows are made once: the outbox keeps one row per family and campaign. The
    row is held while the audience is worked out, so an edit saved meanwhile waits, then
    finds it scheduled, instead of changing the words or the day under it."""
    campaign = await fresh(session, campaign_id, for_update=True)
    if campaign is None:
        return Refused("There is no such campaign.")
    if campaign.status is not CampaignStatus.DRAFT:
        return Refused(f"This campaign is {campaign.status.value}: only a draft can be scheduled.")
    if campaign.send_on < today:
        return Refused("The send day has passed: choose today or a later day.")
    if problems := text_problems(campaign.texts):
        return Refused(" ".join(problems))
    day = campaign.send_on
    family_ids = list(
        await session.scalars(
            select(Family.id)
            .where(*_audience(Segment.from_json(campaign.segment), day))
            .order_by(Family.id)
        )
    )
    if not family_ids:
        return Refused("This campaign reaches no family: widen the segment.")
    moved = await _move(
        session,
        campaign_id,
        expected=(CampaignStatus.DRAFT,),
        now=now,
        values={
            "status": CampaignStatus.SCHEDULED,
            "scheduled_at": now,
            "scheduled_by": staff_id,
            "reached": len(family_ids),
        },
    )
    if not moved:
        return Refused("Someone else changed this campaign just now.")
    dialect = session.get_bind().dialect.name
    for start in range(0, len(family_ids), INSERT_BATCH):
        rows = [
            {
                "family_id": family_id,
                "child_id": None,
                "entry_key": entry_key(campaign_id),
                "topic": TOPIC,
                "priority": PRIORITY,
                "due_on": day,
                "stale_on": day + timedelta(days=KEPT_DAYS),
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "campaign_id": campaign_id,
                "created_at": now,
            }
            for family_id in family_ids[start : start + INSERT_BATCH]
        ]
        await session.execute(
            insert_or_ignore(Delivery, dialect).values(rows).on_conflict_do_nothing()
        )
    record(
        session,
        staff_id=staff_id,
        action="campaign_scheduled",
        now=now,
        detail={"campaign_id": campaign_id, "families": len(family_ids), "send_on": str(day)},
    )
    return len(family_ids)


async def cancel(
    session: AsyncSession, campaign_id: int, *, staff_id: int, now: datetime
) -> int | Refused:
    """Stop a scheduled or sending campaign: its messages not yet sent are skipped (those
    sent stay sent; a send under way finishes). Returns how many were stopped."""
    moved = await _move(
        session,
        campaign_id,
        expected=OPEN_CAMPAIGN,
        now=now,
        values={
            "status": CampaignStatus.CANCELLED,
            "cancelled_at": now,
            "cancelled_by": staff_id,
        },
    )
    if not moved:
        campaign = await fresh(session, campaign_id)
        if campaign is None:
            return Refused("There is no such campaign.")
        return Refused(
            f"This campaign is {campaign.status.value}: only a scheduled or sending campaign "
            "can be cancelled."
        )
    result = await session.execute(
        update(Delivery)
        .where(Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, last_error="campaign cancelled")
        .execution_options(synchronize_session=False)
    )
    stopped: int = result.rowcount or 0  # type: ignore[attr-defined]
    record(
        session,
        staff_id=staff_id,
        action="campaign_cancelled",
        now=now,
        detail={"campaign_id": campaign_id, "stopped": stopped},
    )
    return stopped


async def settle(session: AsyncSession, today: date) -> int:
    """Campaigns whose day has come are sending; those with nothing left to send are sent.
    Run with the planner; returns how many moved."""
    due = await session.scalars(
        select(Campaign.id).where(Campaign.status.in_(OPEN_CAMPAIGN), Campaign.send_on <= today)
    )
    moved = 0
    for campaign_id in list(due):
        left = await session.scalar(
            select(
                exists().where(Delivery.campaign_id == campaign_id, Delivery.status.in_(_OPEN_ROW))
            )
        )
        if left:
            moved += await _move(
                session,
                campaign_id,
                expected=(CampaignStatus.SCHEDULED,),
                now=None,
                values={"status": CampaignStatus.SENDING},
            )
        else:
            moved += await _move(
                session,
                campaign_id,
                expected=OPEN_CAMPAIGN,
                now=None,
                values={"status": CampaignStatus.SENT},
            )
    return moved


async def report(session: AsyncSession, campaign_id: int) -> Report:
    """Sent, failed, skipped (stale, opted out, cancelled, a loss) and still pending."""
    counts: dict[str, int] = {}
    errors: dict[str, int] = {}
    rows = await session.execute(
        select(Delivery.status, Delivery.last_error, func.count())
        .where(Delivery.campaign_id == campaign_id)
        .group_by(Delivery.status, Delivery.last_error)
    )
    for status, error, count in rows:
        kind = {
            DeliveryStatus.SENT: "sent",
            DeliveryStatus.FAILED: "failed",
            DeliveryStatus.SKIPPED: "skipped",
            DeliveryStatus.CANCELLED: "skipped",
        }.get(status, "pending")
        counts[kind] = counts.get(kind, 0) + count
        if kind in ("failed", "skipped") and error:
            errors[error] = errors.get(error, 0) + count
    return Report(**counts, by_error=errors)


async def set_opt_out(session: AsyncSession, family: Family, opted_out: bool) -> None:
    """A family says no (or yes again) to campaigns; its reminders carry on either way. On
    no, the campaign messages still waiting for it are skipped at once."""
    family.campaigns_opt_out = opted_out
    if not opted_out:
        return
    await session.execute(
        update(Delivery)
        .where(
            Delivery.family_id == family.id,
            Delivery.campaign_id.is_not(None),
            Delivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.SKIPPED, last_error="opted out")
        .execution_options(synchronize_session=False)
    )


def wanted_by_family() -> Any:
    """The outbox's condition on a row joined to its family: not a campaign's, or one of a
    campaign still going to a family that has not opted out (used when claiming)."""
    return or_(
        Delivery.campaign_id.is_(None),
        and_(
            Family.campaigns_opt_out.is_(False),
            exists().where(
                Campaign.id == Delivery.campaign_id, Campaign.status.in_(OPEN_CAMPAIGN)
            ),
        ),
    )
