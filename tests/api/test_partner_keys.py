"""`growwell partner add | list | disable` and migration 0010, each on its own SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect

from cli.main import main
from domain import partners
from store.engine import create_engine, session_factory
from store.migrate import downgrade_sync, upgrade


async def _authenticates(url: str, key: str) -> bool:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return await partners.authenticate(session, key) is not None
    finally:
        await engine.dispose()


def test_the_partner_commands_add_list_and_disable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)  # no .env from the repository
    assert main(["partner", "add", "--name", "police", "--spokes", "safe_sleep"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "partner key 1 added: police (safe_sleep)"
    key = out[1].removeprefix("key (shown only now): ")
    assert key.startswith(partners.KEY_PREFIX)
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    assert asyncio.run(_authenticates(url, key))
    assert main(["partner", "add", "--name", "council", "--spokes", "babs,midwives"]) == 2
    assert "unknown spoke 'midwives'" in capsys.readouterr().err
    assert main(["partner", "add", "--name", "Police Dept", "--spokes", "babs"]) == 2
    assert "partner name" in capsys.readouterr().err
    assert main(["partner", "disable", "1"]) == 0
    assert main(["partner", "list"]) == 0
    [listed] = capsys.readouterr().out.splitlines()[1:]
    number, name, spokes, prefix, _, state = listed.split("\t")
    assert (number, name, spokes, state) == ("1", "police", "safe_sleep", "disabled")
    assert key.startswith(f"{partners.KEY_PREFIX}{prefix}_")
    assert key not in listed
    assert not asyncio.run(_authenticates(url, key))
    assert main(["partner", "disable", "7"]) == 2
    assert "no partner key with id 7" in capsys.readouterr().err


async def test_migration_0010_goes_up_from_0009_and_down_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await upgrade(url, "0009")
    assert not await _tables(url) & {"partner_keys", "idempotency_records"}
    await upgrade(url)
    assert {"partner_keys", "idempotency_records"} <= await _tables(url)
    await asyncio.to_thread(downgrade_sync, url, "0009")
    assert not await _tables(url) & {"partner_keys", "idempotency_records"}
    assert "referrals" in await _tables(url)


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            return set(names)
    finally:
        await engine.dispose()
