"""family-level outbox rows: a campaign's question, once per family

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAMILY_ROW = "child_id IS NULL AND appointment_id IS NULL"


def upgrade() -> None:
    # The child and appointment keys leave rows with neither unconstrained (NULLs differ).
    op.create_index(
        "uq_deliveries_family_entry",
        "deliveries",
        ["family_id", "entry_key"],
        unique=True,
        sqlite_where=sa.text(FAMILY_ROW),
        postgresql_where=sa.text(FAMILY_ROW),
    )


def downgrade() -> None:
    op.drop_index("uq_deliveries_family_entry", table_name="deliveries")
