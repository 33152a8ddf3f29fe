"""`growwell staff add --email` and `growwell staff password` print a one-time link that lets
a member choose a dashboard password; and migration 0011 goes up and down with data kept."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import inspect, text

from cli.main import main
from store.engine import create_engine, session_factory
from store.migrate import downgrade_sync, upgrade
from tests.conftest import Clock
from tests.dashboard.conftest import post_form, sign_in, web_app

LINK = re.compile(r"http://127\.0\.0\.1:8090/dashboard/password/(\S+)")


def _link(out: str) -> str:
    found = LINK.search(out)
    assert found, out
    return found.group(1)


async def test_an_admin_made_on_the_command_line_chooses_a_password_and_signs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("WEB_PORT", "8090")
    monkeypatch.chdir(tmp_path)
    command = ["staff", "add", "--name", "Alex Morgan", "--role", "admin"]
    code = await asyncio.to_thread(main, [*command, "--email", "Alex.Morgan@NHS.example"])
    assert code == 0
    token = _link(capsys.readouterr().out)
    again = await asyncio.to_thread(main, [*command, "--email", "alex.morgan@nhs.example"])
    assert again == 2
    assert "already the e-mail of staff member 1" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["staff", "list"]) == 0
    assert "1\tAlex Morgan\tadmin\tall teams\talex.morgan@nhs.example\t" in capsys.readouterr().out

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    sessions = session_factory(engine)
    clock = Clock(datetime.now(UTC))
    try:
        async with TestClient(TestServer(web_app(sessions, clock))) as client:
            chosen = "a sentence nobody guesses"
            response = await post_form(
                client, f"/dashboard/password/{token}", {"password": chosen, "again": chosen}
            )
            assert response.status == 303
            assert (await sign_in(client, "alex.morgan@nhs.example", chosen)).status == 303
            # A forgotten password: an admin prints a new link; the used one stays dead.
            assert await asyncio.to_thread(main, ["staff", "password", "1"]) == 0
            fresh = _link(capsys.readouterr().out)
            assert fresh != token
            assert (await client.get(f"/dashboard/password/{token}")).status == 404
            assert (await client.get(f"/dashboard/password/{fresh}")).status == 200
    finally:
        await engine.dispose()
    assert await asyncio.to_thread(main, ["staff", "password", "9"]) == 2
    assert "no enabled staff member with id 9" in capsys.readouterr().err


async def test_migration_0011_goes_up_from_0010_and_down_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await upgrade(url, "0010")
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO staff_members (name, role, enabled, created_at) "
                "VALUES ('Ann', 'staff', 1, '2026-12-01 09:00:00')"
            )
        )
    await upgrade(url)
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT name, email, failed_logins, session_version FROM staff_members")
            )
        ).one()
        assert tuple(row) == ("Ann", None, 0, 1)
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert {"audit_events", "article_reads"} <= set(tables)
    await engine.dispose()
    await asyncio.to_thread(downgrade_sync, url, "0010")
    engine = create_engine(url)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        columns = await connection.run_sync(
            lambda sync: [c["name"] for c in inspect(sync).get_columns("staff_members")]
        )
        names = (await connection.execute(text("SELECT name FROM staff_members"))).all()
    await engine.dispose()
    assert not {"audit_events", "article_reads"} & set(tables)
    assert "email" not in columns
    assert names == [("Ann",)]
