"""Logging for the bot process: one line per event, safe to keep, and safe to turn up to DEBUG.

Logs are read by operators and kept on disk, so they never hold what a family wrote, a name, a
chat id or the bot token. Our own modules log only counts, ids of rows and kinds of errors.
Libraries are noisier: at DEBUG, PTB logs every update and message, SQLAlchemy and aiosqlite
every query's values, httpx every URL (which holds the token). So they stay at WARNING unless
LIBRARY_LOG_LEVEL asks for more, and every line is scrubbed of the token as a last guard.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from config.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Our packages: they log at LOG_LEVEL.
PROJECT_PACKAGES = (
    "api", "bot", "cli", "config", "domain", "locales", "resources", "scheduler", "store",
)  # fmt: skip
# Libraries whose lower levels hold personal data or the token; they log at LIBRARY_LOG_LEVEL.
LIBRARIES = (
    "telegram",
    "httpx",
    "httpcore",
    "aiohttp",
    "apscheduler",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "alembic",
)
_ROOT = Path(__file__).resolve().parents[1]
_REDACTED = "<redacted>"
_OUR_FRAMES = 3  # how much of the path through our code an error line shows
_CHAINED = 4  # how many of the errors that led to it


def describe_error(error: BaseException) -> str:
    """The error's kind and where it happened, e.g. 'IntegrityError (from UniqueViolationError)
    at bot/app.py:50 flush_after_update > domain/families.py:88 record_seen, raised in
    sqlalchemy/engine/default.py:945 do_execute'.

    Never the message: a database error's message holds the row's values, an HTTP error's the
    URL, which holds the token.
    """
    kinds: list[str] = []
    current: BaseException | None = error
    for _ in range(_CHAINED):
        if current is None:
            break
        if not kinds or kinds[-1] != type(current).__name__:  # a driver's error of the same name
            kinds.append(type(current).__name__)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    text = kinds[0] + (f" (from {', '.join(kinds[1:])})" if kinds[1:] else "")
    where = _where(error.__traceback__)
    return f"{text} {where}" if where else text


def _where(trace: TracebackType | None) -> str:
    frames = traceback.StackSummary.extract(traceback.walk_tb(trace), lookup_lines=False)
    if not frames:
        return ""
    ours = [frame for frame in frames if _is_ours(frame.filename)][-_OUR_FRAMES:]
    innermost = frames[-1]
    parts = []
    if ours:
        parts.append("at " + " > ".join(_place(frame) for frame in ours))
    if not ours or ours[-1] is not innermost:
        parts.append(f"raised in {_place(innermost)}")
    return ", ".join(parts)


def _is_ours(filename: str) -> bool:
    return filename.startswith(str(_ROOT)) and "site-packages" not in filename


def _place(frame: traceback.FrameSummary) -> str:
    path = Path(frame.filename)
    if _is_ours(frame.filename):
        shown = str(path.relative_to(_ROOT))
    elif "site-packages" in path.parts:
        shown = "/".join(path.parts[path.parts.index("site-packages") + 1 :])
    else:
        shown = "/".join(path.parts[-2:])
    return f"{shown}:{frame.lineno} {frame.name}"


class SafeFormatter(logging.Formatter):
    """One line per record: an exception becomes its kind and place, secrets become a mark."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(FORMAT)
        # Longest first, so a token is replaced whole before its secret part alone.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        exc_info, exc_text, stack_info = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            text = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = exc_info, exc_text, stack_info
        if exc_info and exc_info[1] is not None:
            text = f"{text} [{describe_error(exc_info[1])}]"
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        return " | ".join(text.splitlines())


def configure_logging(
    level: str,
    library_level: str | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Send every log line to stderr through the safe formatter.

    Our packages log at `level`; libraries at `library_level`, by default WARNING (or `level`
    if that is higher). Python warnings go through the same formatter. Like `basicConfig`, it
    leaves alone a process whose logging is set up already (a test run calling `main`).
    """
    root = logging.getLogger()
    if root.handlers:
        return
    levels = logging.getLevelNamesMapping()
    ours = levels[level]
    theirs = levels[library_level] if library_level else max(ours, logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter(secrets))
    root.addHandler(handler)
    root.setLevel(theirs)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(theirs)
    for name in PROJECT_PACKAGES:
        logging.getLogger(name).setLevel(ours)
    logging.captureWarnings(True)


def secrets_of(settings: Settings) -> list[str]:
    """What must never be printed: the bot token (and its secret half), the database password."""
    token = settings.token
    secrets = [token, token.partition(":")[2]] if token else []
    password = urlsplit(settings.database_url).password
    return [secret for secret in [*secrets, password] if secret]
