"""article votes, longer family source

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_votes",
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("voted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_article_votes_family_id_families"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("family_id", "article_id", name=op.f("pk_article_votes")),
    )
    # Deep links (a_<article id>) are recorded as the source, so it needs more room.
    with op.batch_alter_table("families") as batch_op:
        batch_op.alter_column("source", type_=sa.String(length=64), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("families") as batch_op:
        batch_op.alter_column("source", type_=sa.String(length=32), existing_nullable=True)
    op.drop_table("article_votes")
