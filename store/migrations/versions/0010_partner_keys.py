"""partner agencies' API keys, and the Idempotency-Key of each partner request

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10

A partner request is a `referrals` row (source "partner:<name>", no family, the details the
partner sent in `partner_contact`); these tables hold who may send them and which request each
Idempotency-Key made, so a retried POST never makes a second request.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=40), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("spokes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_partner_keys_prefix")),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_idempotency_records_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint("partner", "idempotency_key", name="uq_idempotency_records_partner"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_records")
    op.drop_table("partner_keys")
