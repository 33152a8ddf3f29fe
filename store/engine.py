"""Opening the database: one async engine and session factory per process."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, event, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from store.models import CLOCK_OPTION

# What opening or migrating a database raises when it is missing, down or cannot be written.
DATABASE_FAULTS = (SQLAlchemyError, sqlite3.Error, OSError, TimeoutError)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # Foreign keys make ON DELETE CASCADE work; WAL lets readers go on while a handler writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_manual_transactions(dbapi_connection: DBAPIConnection, _record: object) -> None:
    # Let SQLAlchemy's "begin" event start transactions instead of the driver.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _sqlite_begin_immediate(connection: Connection) -> None:
    # Take the write lock up front. A transaction that reads and then writes would otherwise
    # fail with "database is locked" when another process (the planner) wrote in between.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, clock: Callable[[], datetime] | None = None) -> AsyncEngine:
    """Create the engine with the settings each backend needs.

    `hide_parameters`: an error's text would otherwise carry the row's values (names, chat ids)
    into whatever logs or shows it. `clock` stamps the rows' created_at and updated_at, for a
    bot whose time is not the system's (the sandbox); the bot passes the same clock to its
    handlers.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "connect", _sqlite_manual_transactions)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    else:
        engine = create_async_engine(
            url, pool_size=10, max_overflow=5, pool_pre_ping=True, hide_parameters=True
        )
    if clock is not None:
        engine = engine.execution_options(**{CLOCK_OPTION: clock})
    return engine


def database_fault(error: BaseException, url: str) -> str:
    """One line for the operator on why the database cannot be used, e.g. 'DATABASE_URL: cannot
    use sqlite+aiosqlite:////x/y.db: unable to open database file'.

    The driver's own words say what to fix (refused, no such database, read-only), and at start-up
    they name no family's data; a constraint error's words may, so only its kind is shown.
    """
    driver_error = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(error, IntegrityError | sqlite3.IntegrityError) or driver_error is None:
        reason = type(error).__name__
    elif isinstance(driver_error, OSError) and driver_error.strerror:
        reason = driver_error.strerror
    else:
        reason = (str(driver_error).splitlines() or [type(error).__name__])[0]
    where = make_url(url).render_as_string(hide_password=True)
    return f"DATABASE_URL: cannot use {where}: {reason[:200]}"


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
