"""0008 on a database already holding families (at 0007): they stay, and requests can be made.

Runs on its own SQLite file; on PostgreSQL the shared database is migrated by the session
fixture and checked against the models in test_store.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from cli.main import main
from store.engine import create_engine
from store.migrate import downgrade_sync, upgrade


async def test_upgrading_from_0007_keeps_families_and_deliveries(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await upgrade(url, "0007")
    engine = create_engine(url)
    now = datetime(2026, 12, 1, tzinfo=UTC).replace(tzinfo=None)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO families (id, chat_id, locale, fathers_track, consented_at, paused,"
                " blocked, created_at, updated_at) VALUES (1, 42, 'pl', 0, :t, 0, 0, :t, :t)"
            ),
            {"t": now},
        )
        await connection.execute(
            text(
                "INSERT INTO deliveries (family_id, entry_key, topic, priority, due_on, stale_on,"
                " status, attempts, created_at) VALUES (1, 'k', 'feeding', 0, '2026-12-01',"
                " '2026-12-09', 'pending', 0, :t)"
            ),
            {"t": now},
        )
    await upgrade(url)
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT chat_id FROM families"))).all() == [(42,)]
        rows = await connection.execute(
            text("SELECT entry_key, referral_event_id FROM deliveries")
        )
        assert rows.all() == [("k", None)]
    await engine.dispose()
    await asyncio.to_thread(downgrade_sync, url, "0007")
    await upgrade(url)


def test_the_staff_commands_add_list_and_disable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)  # no .env from the repository
    assert main(["staff", "add", "--name", "Ann Example", "--team", "babs"]) == 0
    out = capsys.readouterr().out
    assert "staff member 1 added: Ann Example" in out
    assert "/staff " in out
    assert main(["staff", "add", "--name", "X", "--team", "midwives"]) == 2
    assert "unknown team 'midwives'" in capsys.readouterr().err
    assert main(["staff", "disable", "1"]) == 0
    assert main(["staff", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "1\tAnn Example\tstaff\tbabs\tno e-mail\tnot linked\tdisabled"
    )
    assert main(["staff", "disable", "7"]) == 2
