"""dashboard logins for staff, the audit log of what staff do there, and article reads

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Staff sign in to the web dashboard with an e-mail and a password (argon2 hash). A password is
set through a one-time token printed by `growwell staff add --email` or `growwell staff
password`; failed logins lock the account for a while; `session_version` ends old sessions.
`article_reads` counts library opens per day, article and language (no family) for reports,
and `ix_deliveries_report` lets the messages report count the outbox from an index alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_members") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("password_token_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("password_token_expires_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="1")
        )
    op.create_index("uq_staff_members_email", "staff_members", ["email"], unique=True)
    op.create_index(
        "uq_staff_members_password_token_hash",
        "staff_members",
        ["password_token_hash"],
        unique=True,
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name=op.f("fk_audit_events_staff_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_deliveries_report", "deliveries", ["topic", "status", "due_on"])
    op.create_table(
        "article_reads",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "article_id", "locale", name=op.f("pk_article_reads")),
    )


def downgrade() -> None:
    op.drop_table("article_reads")
    op.drop_index("ix_deliveries_report", table_name="deliveries")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("uq_staff_members_password_token_hash", table_name="staff_members")
    op.drop_index("uq_staff_members_email", table_name="staff_members")
    with op.batch_alter_table("staff_members") as batch:
        for column in (
            "session_version",
            "locked_until",
            "failed_logins",
            "password_token_expires_at",
            "password_token_hash",
            "password_hash",
            "email",
        ):
            batch.drop_column(column)
