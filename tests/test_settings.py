"""Configuration errors are one clear line naming the variable, with exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: unsupported database 'mysql'"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE: unknown time zone"),
        ("DEFAULT_LOCALE", "de", "DEFAULT_LOCALE: must be one of en, pl, pt, ar"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN: expected the form"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL: must start with http"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("LIBRARY_LOG_LEVEL", "ALL", "LIBRARY_LOG_LEVEL: must be one of DEBUG, INFO"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(message)


def test_database_urls_get_the_async_driver(tmp_path: Path) -> None:
    sqlite = load_settings(database_url=f"sqlite:///{tmp_path}/x.db")
    assert sqlite.database_url == f"sqlite+aiosqlite:///{tmp_path}/x.db"
    postgres = load_settings(database_url="postgresql://root@127.0.0.1/test")
    assert postgres.database_url == "postgresql+asyncpg://root@127.0.0.1/test"


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_exits_2_with_one_line_on_a_bad_setting(tmp_path: Path) -> None:
    result = run_cli({"TIMEZONE": "Nowhere/Land"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "growwell: TIMEZONE: unknown time zone 'Nowhere/Land', e.g. Europe/London"
    ]


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    result = run_cli({"DATABASE_URL": f"sqlite:///{tmp_path}/new.db"}, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "database is up to date" in result.stdout


def test_an_invalid_data_file_stops_the_bot_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A service manager's mistake in the plan never starts a half-working bot."""
    from cli.main import main
    from resources import bundle
    from resources.message_plan import load_plan

    broken = tmp_path / "plan.yaml"
    broken.write_text("entries:\n  - key: x\n    track: dad\n", encoding="utf-8")
    monkeypatch.setattr(bundle, "load_plan", lambda **_: load_plan(broken))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:TEST-token-abcdefghij")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    assert main(["run"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("growwell: ")
    assert "plan.yaml" in line
