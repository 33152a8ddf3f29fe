"""requests for support (referrals), their action log and thread, and staff accounts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

A request keeps its family with ON DELETE RESTRICT: erasing a family is decided in
domain/families.py (refused while staff hold a request; closed ones are kept without personal
details). Outbox rows can now carry a notice about a request (`referral_event_id`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_REFERRAL = "status IN ('new', 'claimed', 'contacted')"
NOTICE_ROW = "referral_event_id IS NOT NULL"


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "staff_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("role", _enum("staff", "admin", name="staffrole"), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("link_code_hash", sa.String(length=64), nullable=True),
        sa.Column("link_code_expires_at", sa.DateTime(), nullable=True),
        sa.Column("linked_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_members")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_staff_members_telegram_user_id")),
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("spoke_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            _enum(
                "new",
                "claimed",
                "contacted",
                "closed",
                "declined",
                "cancelled",
                name="referralstatus",
            ),
            nullable=False,
        ),
        sa.Column("priority", _enum("normal", "urgent", name="referralpriority"), nullable=False),
        sa.Column("urgent_reason", sa.String(length=200), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column(
            "contact_method", _enum("message", "phone", name="contactmethod"), nullable=False
        ),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("call_window", sa.String(length=32), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.Column("child_age_band", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("partner_contact", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_by", sa.DateTime(), nullable=False),
        sa.Column("assigned_staff_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("first_contact_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("decline_reason", sa.String(length=32), nullable=True),
        sa.Column("group_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("group_message_id", sa.BigInteger(), nullable=True),
        sa.Column("post_version", sa.Integer(), nullable=False),
        sa.Column("posted_version", sa.Integer(), nullable=False),
        sa.Column("overdue_posted_on", sa.Date(), nullable=True),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_referrals_family_id_families"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["assigned_staff_id"],
            ["staff_members.id"],
            name=op.f("fk_referrals_assigned_staff_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("reference", name=op.f("uq_referrals_reference")),
    )
    op.create_index("ix_referrals_family_id", "referrals", ["family_id"])
    op.create_index("ix_referrals_team_status", "referrals", ["team_id", "status"])
    op.create_index("ix_referrals_status_due", "referrals", ["status", "due_by"])
    op.create_index(
        "uq_referrals_open_family_spoke",
        "referrals",
        ["family_id", "spoke_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_REFERRAL),
        postgresql_where=sa.text(OPEN_REFERRAL),
    )
    op.create_table(
        "referral_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=8), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_events_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_referral_events_staff_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_events")),
    )
    op.create_index("ix_referral_events_referral_id", "referral_events", ["referral_id"])
    op.create_table(
        "referral_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("sender", sa.String(length=8), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=4096), nullable=False),
        sa.Column("relayed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_messages_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_referral_messages_staff_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_messages")),
    )
    op.create_index("ix_referral_messages_referral_id", "referral_messages", ["referral_id"])
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(sa.Column("referral_event_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_deliveries_referral_event_id_referral_events"),
            "referral_events",
            ["referral_event_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index(
        "ix_deliveries_notices",
        "deliveries",
        ["status", "referral_event_id"],
        sqlite_where=sa.text(NOTICE_ROW),
        postgresql_where=sa.text(NOTICE_ROW),
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_notices", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_deliveries_referral_event_id_referral_events"), type_="foreignkey"
        )
        batch_op.drop_column("referral_event_id")
    op.drop_table("referral_messages")
    op.drop_table("referral_events")
    op.drop_index("uq_referrals_open_family_spoke", table_name="referrals")
    op.drop_table("referrals")
    op.drop_table("staff_members")
