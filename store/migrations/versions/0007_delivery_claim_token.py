"""the claim sending an outbox row, so only that claim can record how the send went

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Rows a running dispatcher holds (status 'sending') have no claim yet; they are abandoned by the
upgrade's restart and go back to pending after a few minutes, as any abandoned claim does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_column("claim_token")
