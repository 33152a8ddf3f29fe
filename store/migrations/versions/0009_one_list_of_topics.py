"""one list of topics for the plan, the library and the spokes: stored reminder topics renamed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

The plan's topics took the library's names (resources/topics.py): review -> reviews,
immunisation -> immunisations, dental -> oral_health, wellbeing -> mental_health,
dads -> fathers. Outbox rows and muted topics keep their meaning; a family that muted the
wellbeing tips has muted the mental health ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED = {
    "review": "reviews",
    "immunisation": "immunisations",
    "dental": "oral_health",
    "wellbeing": "mental_health",
    "dads": "fathers",
}
TABLES = ("deliveries", "muted_topics")


def _rename(names: dict[str, str]) -> None:
    for table in TABLES:
        for old, new in names.items():
            op.execute(
                sa.text(f"UPDATE {table} SET topic = :new WHERE topic = :old").bindparams(
                    old=old, new=new
                )
            )


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
