"""Bringing a database to the newest schema with Alembic (`growwell db upgrade`, at start-up).

The bot migrates in a child process (`upgrade_in_child`), so Alembic never sits in the memory
of the long-running bot (about 12 MiB; see bench/memory.py).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_URL_VARIABLE = "GROWWELL_MIGRATE_URL"  # the URL may hold a password: not in the arguments


def alembic_config(database_url: str) -> Config:
    """Alembic configuration built in code, so no alembic.ini must sit in the working directory."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_sync(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Run in a worker thread: Alembic's env starts its own event loop."""
    await asyncio.to_thread(upgrade_sync, database_url, revision)


def upgrade_in_child(database_url: str) -> None:
    env = {**os.environ, _URL_VARIABLE: database_url}
    subprocess.run([sys.executable, "-m", "store.migrate"], env=env, check=True)


def downgrade_sync(database_url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


if __name__ == "__main__":
    upgrade_sync(os.environ[_URL_VARIABLE])
