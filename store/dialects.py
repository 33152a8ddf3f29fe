"""SQL that PostgreSQL and SQLite spell differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


def insert_or_ignore(table: Any, dialect: str) -> Any:
    """``INSERT`` for `dialect` that can end ``.on_conflict_do_nothing()``: planning the same
    row twice must never send twice."""
    return postgresql_insert(table) if dialect == "postgresql" else sqlite_insert(table)


class utc_hour(FunctionElement[str]):
    """A stored UTC datetime cut to its hour as text, ``'YYYY-MM-DD HH'``.

    Reports count rows per hour in SQL and put the hours into local days and weeks in Python:
    London's offset is a whole hour, so this is exact across the clock changes, and a year of
    rows comes back as at most 8,784 groups instead of every row."""

    type = String()
    name = "utc_hour"
    inherit_cache = True


@compiles(utc_hour, "sqlite")
def _utc_hour_sqlite(element: utc_hour, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores datetimes on SQLite as text, 'YYYY-MM-DD HH:MM:SS.ffffff'.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 13)"


@compiles(utc_hour, "postgresql")
def _utc_hour_postgresql(element: utc_hour, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD HH24')"
