"""The family's data as one update's handlers reach it, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.family_access import FamilyAccess, NestedTransaction, NoFamily
from store.models import Family

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CHAT = 4201


@pytest.fixture
async def family(sessions: async_sessionmaker[AsyncSession]) -> FamilyAccess:
    """A new update's view of a family that has agreed to the privacy notice."""
    await FamilyAccess(sessions, CHAT).consent(locale="en", source=None, now=NOW)
    return FamilyAccess(sessions, CHAT)


async def test_a_change_started_inside_another_is_refused_at_once(
    family: FamilyAccess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with family.editing() as edit:
        edit.family.paused = True
        with pytest.raises(NestedTransaction):
            async with family.editing():
                pass
        with pytest.raises(NestedTransaction):
            await family.muted_topics()
    async with sessions() as session:  # the outer change was still written
        assert await session.scalar(select(Family.paused)) is True


async def test_reading_inside_a_change_gives_the_family_being_changed(
    family: FamilyAccess,
) -> None:
    async with family.editing() as edit:
        edit.family.locale = "pl"
        found = await family.find()
        assert found is edit.family
        assert found.locale == "pl"
    found = await family.find()
    assert found is not None
    assert found.locale == "pl"


async def test_a_failed_change_keeps_nothing_and_the_family_is_read_again(
    family: FamilyAccess, sessions: async_sessionmaker[AsyncSession]
) -> None:

    async def change_then_fail() -> None:
        async with family.editing() as edit:
            edit.family.locale = "pt"
            raise ValueError("the step failed")

    with pytest.raises(ValueError, match="the step failed"):
        await change_then_fail()
    found = await family.find()
    assert found is not None
    assert found.locale == "en"
    async with sessions() as session:
        assert await session.scalar(select(Family.locale)) == "en"


async def test_the_family_is_read_from_the_database_once_per_update(
    family: FamilyAccess, sessions: async_sessionmaker[AsyncSession]
) -> None:
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    checkouts: list[object] = []

    def checked_out(*args: object) -> None:
        checkouts.append(args)

    event.listen(engine.sync_engine, "checkout", checked_out)
    try:
        first, again, registered = (
            await family.find(),
            await family.find(),
            await family.registered(),
        )
    finally:
        event.remove(engine.sync_engine, "checkout", checked_out)
    assert first is again is not None
    assert registered is None  # consented, still signing up
    assert len(checkouts) == 1


async def test_a_chat_without_a_family_has_nothing_to_change(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    family = FamilyAccess(sessions, CHAT)
    assert await family.find() is None
    assert await family.export() is None
    assert await family.muted_topics() == set()
    with pytest.raises(NoFamily):
        async with family.editing():
            pass
    with pytest.raises(NoFamily):
        await family.require()
