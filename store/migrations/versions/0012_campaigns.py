"""targeted campaigns: the campaigns an admin writes, their outbox rows, and families' opt-out

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08

A campaign's messages are ordinary outbox rows (`deliveries.campaign_id`, entry key
"campaign:<id>"), so the dispatcher sends them with every rule reminders follow. Families can
say no to campaigns (`families.campaigns_opt_out`) and keep their reminders.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "scheduled",
                "sending",
                "sent",
                "cancelled",
                name="campaignstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("send_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("scheduled_by", sa.Integer(), nullable=True),
        sa.Column("reached", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_members.id"],
            name=op.f("fk_campaigns_created_by_staff_members"),
        ),
        sa.ForeignKeyConstraint(
            ["scheduled_by"],
            ["staff_members.id"],
            name=op.f("fk_campaigns_scheduled_by_staff_members"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"],
            ["staff_members.id"],
            name=op.f("fk_campaigns_cancelled_by_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index("ix_campaigns_status", "campaigns", ["status"])
    with op.batch_alter_table("families") as batch:
        batch.add_column(
            sa.Column("campaigns_opt_out", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_deliveries_campaign_id_campaigns"),
            "campaigns",
            ["campaign_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index("ix_deliveries_campaign_id", "deliveries", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_campaign_id", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(op.f("fk_deliveries_campaign_id_campaigns"), type_="foreignkey")
        batch.drop_column("campaign_id")
    with op.batch_alter_table("families") as batch:
        batch.drop_column("campaigns_opt_out")
    op.drop_index("ix_campaigns_status", table_name="campaigns")
    op.drop_table("campaigns")
