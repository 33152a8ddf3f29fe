"""one conversation per chat, and when it last moved, so an abandoned one times out

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

The three conversations (sign-up, settings, appointment) became one, with new state names, so
the old states and their unconfirmed answers mean nothing now and are dropped. A family that was
mid-sign-up carries on with /start, which asks the first question it has not answered.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM conversation_states")
    op.execute("DELETE FROM chat_drafts")
    with op.batch_alter_table("conversation_states") as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=False))
        batch_op.create_index("ix_conversation_states_chat_id", ["chat_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversation_states") as batch_op:
        batch_op.drop_index("ix_conversation_states_chat_id")
        batch_op.drop_column("updated_at")
