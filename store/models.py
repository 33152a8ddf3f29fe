"""The database schema as typed SQLAlchemy models: families, their children and conversation state.

Everything here is keyed to a family so that `/delete` can erase a family completely.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect, ExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without a zone (SQLite has none) and always hands back an aware datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# The engine option holding the clock that stamps created_at, updated_at and voted_at (see
# `store.engine.create_engine`): the sandbox moves its own time, and its rows must show it.
CLOCK_OPTION = "growwell_clock"


def utcnow(context: ExecutionContext) -> datetime:
    """A column default: the engine's clock if it was given one, else the system's."""
    clock = context.execution_options.get(CLOCK_OPTION)
    return clock() if clock is not None else datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Role(enum.StrEnum):
    MUM = "mum"
    DAD = "dad"
    PARTNER = "partner"
    CARER = "carer"


class SendTime(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


class ChildStatus(enum.StrEnum):
    ACTIVE = "active"
    LOSS = "loss"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    # Stored as plain strings so adding a value never needs a database enum migration.
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Family(Base):
    """One Telegram private chat. Rows exist only after the family consented."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    locale: Mapped[str] = mapped_column(String(8))
    role: Mapped[Role | None] = mapped_column(_enum(Role))
    area: Mapped[str | None] = mapped_column(String(32))
    in_sefton: Mapped[bool | None] = mapped_column(Boolean)
    send_time: Mapped[SendTime | None] = mapped_column(_enum(SendTime))
    fathers_track: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(64))
    consented_at: Mapped[datetime]
    registered_at: Mapped[datetime | None]
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the family last wrote or tapped: reminders wait until a family is idle.
    last_seen_at: Mapped[datetime | None]
    # The local day of the last planned message sent: at most one a day.
    last_sent_on: Mapped[date | None] = mapped_column(Date)
    # No targeted campaigns (domain/campaigns.py); reminders and notices still come.
    campaigns_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    children: Mapped[list[Child]] = relationship(
        back_populates="family",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Child.id",
        lazy="selectin",
    )


class Child(Base):
    """A baby on the way (due date) or born (date of birth). A loss stops all messages about it."""

    __tablename__ = "children"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    due_date: Mapped[date | None] = mapped_column(Date)
    birth_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ChildStatus] = mapped_column(_enum(ChildStatus), default=ChildStatus.ACTIVE)
    loss_reported_at: Mapped[datetime | None]
    # Plan entries due before this local day are never sent: late joiners get no backlog.
    plan_from: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    family: Mapped[Family] = relationship(back_populates="children")

    __table_args__ = (
        Index("ix_children_family_id", "family_id"),
        Index("ix_children_birth_date", "birth_date"),
        Index("ix_children_due_date", "due_date"),
    )

    @property
    def is_born(self) -> bool:
        return self.birth_date is not None


class ConversationState(Base):
    """Where a chat is in a multi-step conversation, so a restart of the bot loses nothing.

    A state older than the conversation timeout (resources/service.yaml) is over: it is not
    loaded again, and reminders no longer wait for it.
    """

    __tablename__ = "conversation_states"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    state: Mapped[dict[str, Any]]
    # The family's last step in the conversation, by the bot's clock.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_conversation_states_chat_id", "chat_id"),)


class ChatDraft(Base):
    """Answers a chat has given mid-conversation but not yet confirmed (e.g. a date to check)."""

    __tablename__ = "chat_drafts"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


FAMILY_ROW = "child_id IS NULL AND appointment_id IS NULL"
NOTICE_ROW = "referral_event_id IS NOT NULL"


class Delivery(Base):
    """The outbox: one row per child (appointment, or family) and message, so nothing is sent
    twice.

    Plan rows go out on `due_on` at the family's chosen time; rows with `send_at` go out at
    that exact moment (appointment reminders, the "where you are now" message).
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE")
    )
    entry_key: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    due_on: Mapped[date] = mapped_column(Date)
    stale_on: Mapped[date] = mapped_column(Date)
    send_at: Mapped[datetime | None]
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    # The claim sending this row (see domain/outbox.py): only its holder may record the send.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    # A notice to the family about its request (domain/referrals.py): what happened to it.
    referral_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral_events.id", ondelete="CASCADE")
    )
    # A targeted campaign's message (domain/campaigns.py), `entry_key` "campaign:<id>".
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("child_id", "entry_key", name="uq_deliveries_child_entry"),
        UniqueConstraint("appointment_id", "entry_key", name="uq_deliveries_appointment_entry"),
        # A row about the family, not a child (a campaign's question): once per family.
        Index(
            "uq_deliveries_family_entry",
            "family_id",
            "entry_key",
            unique=True,
            sqlite_where=text(FAMILY_ROW),
            postgresql_where=text(FAMILY_ROW),
        ),
        Index("ix_deliveries_due", "status", "due_on"),
        # The messages report counts rows by topic and status over a date range; this lets it
        # answer from the index alone (bench/reports.py: 2.9 s to 0.15 s for a year, 1M rows).
        Index("ix_deliveries_report", "topic", "status", "due_on"),
        Index("ix_deliveries_family_id", "family_id"),
        Index("ix_deliveries_campaign_id", "campaign_id"),
        # Notices about requests: the dispatcher looks for pending ones before every batch,
        # among a million planned rows (bench/dispatcher.py).
        Index(
            "ix_deliveries_notices",
            "status",
            "referral_event_id",
            sqlite_where=text(NOTICE_ROW),
            postgresql_where=text(NOTICE_ROW),
        ),
    )


class MutedTopic(Base):
    """A topic of tips the family switched off; time-critical messages cannot be muted."""

    __tablename__ = "muted_topics"

    family_id: Mapped[int] = mapped_column(
        ForeignKey("families.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(16), primary_key=True)


class Appointment(Base):
    """An appointment the family was given; reminded the evening before and two hours before."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    what: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_appointments_family_id", "family_id"),)


class SchedulerState(Base):
    """Small facts the scheduler keeps between runs, e.g. the last local day planned."""

    __tablename__ = "scheduler_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))


class ArticleVote(Base):
    """'Was this helpful?': one answer per family and article, which the family can change."""

    __tablename__ = "article_votes"

    family_id: Mapped[int] = mapped_column(
        ForeignKey("families.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    voted_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ArticleRead(Base):
    """How often each article was opened, a day at a time and in which language: counts only,
    no family, so library use can be reported without tracking anyone."""

    __tablename__ = "article_reads"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    article_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
    reads: Mapped[int] = mapped_column(Integer, default=0)


class StaffRole(enum.StrEnum):
    STAFF = "staff"  # acts on the requests of their own team
    ADMIN = "admin"  # acts on every team's requests


class StaffMember(Base):
    """A member of staff who works requests in Telegram. Never deleted, only disabled, so the
    action log always says who did what.

    Created by `growwell staff add` with a one-time link code (stored hashed); sending
    `/staff <code>` to the bot links the member's Telegram account (domain/staff.py).
    """

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The team (resources/spokes.yaml) whose requests the member works; an admin may have none.
    team_id: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole), default=StaffRole.STAFF)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    link_code_hash: Mapped[str | None] = mapped_column(String(64))
    link_code_expires_at: Mapped[datetime | None]
    linked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The dashboard login (domain/web_accounts.py): an e-mail, an argon2 hash, and a one-time
    # set-password token (SHA-256) printed by `growwell staff add --email` or `staff password`.
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    password_token_hash: Mapped[str | None] = mapped_column(String(64))
    password_token_expires_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # Raised when the password changes or the account is disabled: every session cookie
    # carries the value it was issued with, so older sessions end at their next request.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("uq_staff_members_email", "email", unique=True),
        Index("uq_staff_members_password_token_hash", "password_token_hash", unique=True),
    )


class AuditEvent(Base):
    """What staff did at the dashboard that is not a change to one request (those are
    `ReferralEvent`s): logins, refused logins, lock-outs, report downloads, campaigns."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # its messages are in the outbox, waiting for `send_on`
    SENDING = "sending"
    SENT = "sent"  # nothing of it is left to send
    CANCELLED = "cancelled"


class Campaign(Base):
    """A targeted health message an admin writes in every language for a segment of families.

    Every change of status is domain/campaigns.py's, guarded by the status it expects; its
    messages are outbox rows (`Delivery.campaign_id`) sent by the same dispatcher as reminders.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Locale -> the message in that language (every supported locale).
    texts: Mapped[dict[str, Any]]
    # Who it is for: lists of areas, age bands, roles, locales and sources ([] = anyone).
    segment: Mapped[dict[str, Any]]
    status: Mapped[CampaignStatus] = mapped_column(
        _enum(CampaignStatus), default=CampaignStatus.DRAFT
    )
    # The local day it goes, at each family's own time.
    send_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scheduled_at: Mapped[datetime | None]
    scheduled_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    # Families it was scheduled for (outbox rows made).
    reached: Mapped[int | None] = mapped_column(Integer)
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_campaigns_status", "status"),)


class ReferralStatus(enum.StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    CONTACTED = "contacted"
    CLOSED = "closed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


# Requests still waiting for, or getting, the team's help: one a family per spoke.
OPEN_REFERRAL = "status IN ('new', 'claimed', 'contacted')"


class ReferralPriority(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class ContactMethod(enum.StrEnum):
    MESSAGE = "message"  # in this chat, through the bot
    PHONE = "phone"  # a call to `phone` in the family's chosen `call_window`


class Referral(Base):
    """A request for support: a family's self-referral into a spoke, or a partner's concern.

    Every change of status is domain/referrals.py's, guarded by the status it expects. A family
    erased while a request is closed keeps the request for the service's figures, with every
    personal detail removed (`family_id` NULL, `erased_at` set); erasure is refused while staff
    hold the request, hence ON DELETE RESTRICT.
    """

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Shown to the family and staff, e.g. "GW-7K3M9" (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="RESTRICT"))
    spoke_id: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[ReferralStatus] = mapped_column(
        _enum(ReferralStatus), default=ReferralStatus.NEW
    )
    priority: Mapped[ReferralPriority] = mapped_column(
        _enum(ReferralPriority), default=ReferralPriority.NORMAL
    )
    urgent_reason: Mapped[str | None] = mapped_column(String(200))
    # Question id -> option id, the family's words, or true/false (resources/spokes.yaml).
    answers: Mapped[dict[str, Any]]
    contact_method: Mapped[ContactMethod] = mapped_column(_enum(ContactMethod))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    call_window: Mapped[str | None] = mapped_column(String(32))  # e.g. "morning"
    consent_at: Mapped[datetime]
    # The child's age band when asked, e.g. "pregnant" or "3-4 months": all a group post shows.
    child_age_band: Mapped[str | None] = mapped_column(String(32))
    # "bot", or "partner:<name>" for a partner agency's concern (with its contact details).
    source: Mapped[str] = mapped_column(String(64), default="bot")
    partner_contact: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_by: Mapped[datetime]
    assigned_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    claimed_at: Mapped[datetime | None]
    first_contact_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    decline_reason: Mapped[str | None] = mapped_column(String(32))
    # The team's group post about this request, edited to show its state.
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    group_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Each change bumps `post_version`; the group post is up to date when `posted_version`
    # has caught up (so a post never lags behind a change that was committed).
    post_version: Mapped[int] = mapped_column(Integer, default=1)
    posted_version: Mapped[int] = mapped_column(Integer, default=0)
    # The local day the request was last posted again as overdue.
    overdue_posted_on: Mapped[date | None] = mapped_column(Date)
    erased_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_referrals_family_id", "family_id"),
        Index("ix_referrals_team_status", "team_id", "status"),
        Index("ix_referrals_status_due", "status", "due_by"),
        # A second open request to the same spoke is the first one: the database says so too.
        Index(
            "uq_referrals_open_family_spoke",
            "family_id",
            "spoke_id",
            unique=True,
            sqlite_where=text(OPEN_REFERRAL),
            postgresql_where=text(OPEN_REFERRAL),
        ),
    )


class ReferralEvent(Base):
    """The action log of a request: who (family, staff member or the system) did what, when.

    Staff views are events too. `detail` holds ids and choices, never the family's words (those
    are in ReferralMessage, erased with the family).
    """

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(8))  # family | staff | system
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_referral_events_referral_id", "referral_id"),)


class ReferralMessage(Base):
    """The thread of a request: what the family and the staff member holding it wrote."""

    __tablename__ = "referral_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    sender: Mapped[str] = mapped_column(String(8))  # family | staff
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    text: Mapped[str] = mapped_column(String(4096))
    # When the bot passed a family's message on to the staff member holding the request
    # (a staff member's message reaches the family through the outbox instead).
    relayed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_referral_messages_referral_id", "referral_id"),)


class PartnerKey(Base):
    """A partner agency's key to the referral API (api/partner_routes.py), scoped to the spokes
    it may refer into, e.g. the police to safe sleep. Never deleted, only disabled, so every
    partner request keeps the key that made it.

    The key is shown once by `growwell partner add`; only its SHA-256 is kept (256 random bits
    need no slow hash). `prefix`, the key's public first part, finds the row to compare.
    """

    __tablename__ = "partner_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The agency, e.g. "police": requests are marked `source` "partner:<name>".
    partner: Mapped[str] = mapped_column(String(40))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    # Spoke ids (resources/spokes.yaml) the key may refer into.
    spokes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class IdempotencyRecord(Base):
    """The request a partner's `Idempotency-Key` made: a retry with the same key and body gets
    the same answer instead of a second request; the same key with another body is refused.
    The unique (partner, idempotency key) pair decides a race between two identical requests;
    keyed by the partner's name, so a retry still matches after the partner's key is replaced."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the request body as validated (key order and spacing do not matter).
    request_hash: Mapped[str] = mapped_column(String(64))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("partner", "idempotency_key", name="uq_idempotency_records_partner"),
    )
