"""0009: the plan's topics took the library's names; stored rows keep their meaning.

Runs on its own SQLite file; on PostgreSQL the shared database is migrated by the session
fixture and checked against the models in test_store.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from resources.topics import Topic
from store.engine import create_engine
from store.migrate import downgrade_sync, upgrade

OLD_TO_NEW = {
    "review": "reviews",
    "immunisation": "immunisations",
    "dental": "oral_health",
    "wellbeing": "mental_health",
    "dads": "fathers",
    "feeding": "feeding",
}


async def _topics(url: str) -> tuple[list[str], list[str]]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        sent = await connection.scalars(text("SELECT topic FROM deliveries ORDER BY id"))
        muted = await connection.scalars(text("SELECT topic FROM muted_topics ORDER BY topic"))
        result = (list(sent), list(muted))
    await engine.dispose()
    return result


async def test_stored_topics_are_renamed_and_back(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/topics.db"
    await upgrade(url, "0008")
    engine = create_engine(url)
    now = datetime(2026, 12, 1, tzinfo=UTC).replace(tzinfo=None)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO families (id, chat_id, locale, fathers_track, consented_at, paused,"
                " blocked, created_at, updated_at) VALUES (1, 42, 'en', 1, :t, 0, 0, :t, :t)"
            ),
            {"t": now},
        )
        for number, topic in enumerate(OLD_TO_NEW):
            await connection.execute(
                text(
                    "INSERT INTO deliveries (family_id, entry_key, topic, priority, due_on,"
                    " stale_on, status, attempts, created_at) VALUES (1, :key, :topic, 0,"
                    " '2026-12-01', '2026-12-09', 'pending', 0, :t)"
                ),
                {"key": f"entry_{number}", "topic": topic, "t": now},
            )
        for topic in ("dads", "wellbeing"):
            await connection.execute(
                text("INSERT INTO muted_topics (family_id, topic) VALUES (1, :topic)"),
                {"topic": topic},
            )
    await engine.dispose()

    await upgrade(url)
    sent, muted = await _topics(url)
    assert sent == list(OLD_TO_NEW.values())
    assert muted == ["fathers", "mental_health"]
    assert set(sent + muted) <= {topic.value for topic in Topic}

    await asyncio.to_thread(downgrade_sync, url, "0008")
    assert await _topics(url) == (list(OLD_TO_NEW), ["dads", "wellbeing"])
