"""longer scheduler state names, for campaign markers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduler_state") as batch_op:
        batch_op.alter_column("name", type_=sa.String(length=64), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduler_state") as batch_op:
        batch_op.alter_column("name", type_=sa.String(length=32), existing_nullable=False)
