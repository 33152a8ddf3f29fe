"""Shared fixtures: a real database (SQLite file, or PostgreSQL when DATABASE_URL says so)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config.settings import async_database_url
from store.engine import create_engine, session_factory
from store.migrate import upgrade_sync
from store.models import Base


class Clock:
    """The time the bot believes it is; tests move it instead of waiting."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrated once per run; PostgreSQL is wiped first so every run starts from nothing."""
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres", "postgresql")):
        url = async_database_url(configured)
        _drop_everything(url)
    else:
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite+aiosqlite:///{path}"
    upgrade_sync(url)
    return url


def _drop_everything(url: str) -> None:
    import asyncio

    async def drop() -> None:
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(drop())


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on the migrated database; every row is removed after the test."""
    engine = create_engine(database_url)
    yield session_factory(engine)
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
    await engine.dispose()
