"""The database layer on a real database: migrations, families, erasure, conversation state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.persistence import DatabasePersistence
from domain import families
from store.engine import create_engine
from store.migrate import downgrade_sync, upgrade_sync
from store.models import Base, ChatDraft, Child, ConversationState, Family, Role

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TIMEOUT = timedelta(minutes=30)


async def test_migrations_build_exactly_the_schema_of_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    await engine.dispose()
    assert differences == []


def test_migrations_go_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cycle.db"
    upgrade_sync(url)
    downgrade_sync(url, "base")
    upgrade_sync(url)


async def test_consent_is_recorded_once_per_chat(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        first = await families.record_consent(
            session, 42, locale="pl", source="fwc_bootle", now=NOW
        )
        again = await families.record_consent(session, 42, locale="en", source=None, now=NOW)
        assert first.id == again.id
    async with sessions() as session:
        family = await session.scalar(select(Family))
        assert family is not None
        assert (family.locale, family.source, family.consented_at) == ("pl", "fwc_bootle", NOW)


async def test_a_family_holds_at_most_eight_children_and_only_its_own(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        family = await families.record_consent(session, 43, locale="en", source=None, now=NOW)
        families.set_role(family, Role.PARTNER)
        for _ in range(families.MAX_CHILDREN):
            families.add_child(family, due_date=date(2027, 3, 1))
        with pytest.raises(ValueError, match="too many"):
            families.add_child(family, due_date=date(2027, 3, 1))
        other = await families.record_consent(session, 44, locale="en", source=None, now=NOW)
        families.add_child(other, born=date(2026, 1, 1))
        await session.flush()
        with pytest.raises(families.NotYourChild):
            families.own_child(family, other.children[0].id)
        assert family.fathers_track is True


async def test_erasing_a_family_removes_every_row_about_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        gone = await families.record_consent(session, 50, locale="en", source=None, now=NOW)
        families.add_child(gone, born=date(2026, 5, 1))
        kept = await families.record_consent(session, 51, locale="en", source=None, now=NOW)
        families.add_child(kept, born=date(2026, 6, 1))
        session.add(ConversationState(name="settings", chat_id=50, user_id=50, state={"v": "x"}))
        session.add(ChatDraft(chat_id=50, data={"date": "2026-01-01"}))
    async with sessions.begin() as session:
        assert await families.erase_family(session, 50) is True
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Family)) == 1
        assert await session.scalar(select(func.count()).select_from(Child)) == 1
        assert await session.scalar(select(func.count()).select_from(ConversationState)) == 0
        assert await session.scalar(select(func.count()).select_from(ChatDraft)) == 0


async def test_persistence_keeps_conversation_steps_and_drafts_until_they_end(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    persistence = DatabasePersistence(sessions, clock=lambda: NOW, timeout=TIMEOUT)
    await persistence.update_conversation("conversation", (7, 7), "signup.child_date")
    await persistence.update_chat_data(7, {"q": 12, "kind": "due"})
    reloaded = DatabasePersistence(sessions, clock=lambda: NOW, timeout=TIMEOUT)
    assert await reloaded.get_conversations("conversation") == {(7, 7): "signup.child_date"}
    assert await reloaded.get_chat_data() == {7: {"q": 12, "kind": "due"}}
    await reloaded.update_conversation("conversation", (7, 7), None)
    await reloaded.update_chat_data(7, {})
    assert await reloaded.get_conversations("conversation") == {}
    assert await reloaded.get_chat_data() == {}


async def test_a_conversation_left_longer_than_the_timeout_is_not_loaded_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = [NOW]
    persistence = DatabasePersistence(sessions, clock=lambda: clock[0], timeout=TIMEOUT)
    await persistence.save_step("conversation", (7, 7), "settings.menu", {"q": 3})
    await persistence.save_step("conversation", (8, 8), "settings.menu", {"q": 4})
    still_answering = {"q": 5, "at": (NOW + timedelta(minutes=20)).isoformat()}
    clock[0] = NOW + timedelta(minutes=20)
    await persistence.update_chat_data(8, still_answering)
    clock[0] = NOW + timedelta(minutes=31)
    restarted = DatabasePersistence(sessions, clock=lambda: clock[0], timeout=TIMEOUT)
    assert await restarted.get_conversations("conversation") == {(8, 8): "settings.menu"}
    assert await restarted.get_chat_data() == {8: still_answering}
    async with sessions() as session:
        assert list(await session.scalars(select(ConversationState.chat_id))) == [8]


async def test_sign_ups_never_finished_are_erased_after_the_quiet_period(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    kept_for = timedelta(days=30)
    async with sessions.begin() as session:
        old = await families.record_consent(session, 60, locale="en", source=None, now=NOW)
        families.set_role(old, Role.MUM)
        await families.record_consent(session, 61, locale="en", source=None, now=NOW)
        done = await families.record_consent(session, 62, locale="en", source=None, now=NOW)
        families.complete_registration(done, NOW)
        session.add(ConversationState(name="conversation", chat_id=60, user_id=60, state={"v": 1}))
    async with sessions.begin() as session:
        await families.record_seen(session, 61, NOW + timedelta(days=10))  # came back since
    async with sessions.begin() as session:
        erased = await families.erase_unfinished_sign_ups(
            session, quiet_since=NOW + timedelta(days=31) - kept_for
        )
    assert erased == 1
    async with sessions() as session:
        assert sorted(await session.scalars(select(Family.chat_id))) == [61, 62]
        assert await session.scalar(select(func.count()).select_from(ConversationState)) == 0


def test_the_next_missing_answer_follows_the_order_of_sign_up() -> None:
    family = Family(chat_id=1, locale="en", consented_at=NOW, fathers_track=False)
    family.children = []
    assert families.next_missing_answer(family) == "role"
    families.set_role(family, Role.MUM)
    assert families.next_missing_answer(family) == "child"
    families.add_child(family, due_date=date(2027, 1, 1))
    assert families.next_missing_answer(family) == "area"
    families.set_area(family, "bootle", in_sefton=True)
    assert families.next_missing_answer(family) == "time"
