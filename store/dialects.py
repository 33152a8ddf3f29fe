"""SQL that PostgreSQL and SQLite spell differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_or_ignore(table: Any, dialect: str) -> Any:
    """``INSERT`` for `dialect` that can end ``.on_conflict_do_nothing()``: planning the same
    row twice must never send twice."""
    return postgresql_insert(table) if dialect == "postgresql" else sqlite_insert(table)
