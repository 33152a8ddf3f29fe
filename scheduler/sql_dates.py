"""Date arithmetic in SQL that both SQLite and PostgreSQL understand."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class add_days(FunctionElement[Any]):
    """`add_days(column, n)`: the date n days after a DATE column (n a Python int)."""

    type = Date()
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any], days: int) -> None:
        self.days = days
        super().__init__(column)


@compiles(add_days, "sqlite")
def _sqlite(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"date({column}, '{element.days:+d} days')"


@compiles(add_days, "postgresql")
def _postgresql(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"({column} + {element.days:d})"
