"""Bringing a database to the newest schema with Alembic (`growwell db upgrade`, at start-up).

The bot migrates in a child process (`upgrade_in_child`), so Alembic never sits in the memory
of the long-running bot (about 12 MiB; see bench/memory.py).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_URL_VARIABLE = "GROWWELL_MIGRATE_URL"  # the URL may hold a password: not in the arguments
_DATABASE_FAULT = 2  # the child's exit status when the database cannot be used; it said why


def alembic_config(database_url: str) -> Config:
    """Alembic configuration built in code, so no alembic.ini must sit in the working directory."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_sync(database_url: str, revision: str = "head") -> None:
    from alembic import command

    _open_sqlite_file(database_url)
    command.upgrade(alembic_config(database_url), revision)


def _open_sqlite_file(database_url: str) -> None:
    """Open an SQLite file once with the standard library, so that a file that cannot be opened
    fails here: aiosqlite, failing to open it, leaves a thread that prints a traceback after
    the event loop has closed."""
    from sqlalchemy import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        sqlite3.connect(url.database).close()


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Run in a worker thread: Alembic's env starts its own event loop."""
    await asyncio.to_thread(upgrade_sync, database_url, revision)


class MigrationFailed(Exception):
    """The database could not be brought up to date; the message is one line for the operator."""


def upgrade_in_child(database_url: str) -> None:
    env = {**os.environ, _URL_VARIABLE: database_url}
    child = subprocess.run(
        [sys.executable, "-m", "store.migrate"], env=env, stderr=subprocess.PIPE, text=True
    )
    if child.returncode == _DATABASE_FAULT:
        raise MigrationFailed(child.stderr.strip())
    if child.returncode:
        sys.stderr.write(child.stderr)  # not a fault we know: the whole story, for a developer
        raise MigrationFailed(f"migrating the database failed (exit status {child.returncode})")


def downgrade_sync(database_url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def _main() -> int:
    from store.engine import DATABASE_FAULTS, database_fault

    url = os.environ[_URL_VARIABLE]
    try:
        upgrade_sync(url)
    except DATABASE_FAULTS as error:
        print(database_fault(error, url), file=sys.stderr)
        return _DATABASE_FAULT
    return 0


if __name__ == "__main__":
    sys.exit(_main())
