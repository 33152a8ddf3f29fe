"""The long-running bot process: no docstrings in memory, few malloc arenas, and no
cryptography library when no web server runs."""

from __future__ import annotations

import os
import sys

# glibc gives each thread that allocates its own arena (up to 8 per core); the database
# driver's threads left most of theirs near empty, 1.7 MiB in all (bench/memory.py).
MALLOC_ARENAS = "2"


def restart_without_docstrings() -> None:
    """Start this command again under ``python -OO``, unless it already runs so.

    Every imported module keeps its docstrings in memory; SQLAlchemy's, PTB's and pydantic's
    come to about 7 MiB of the bot's 120 MiB budget (bench/memory.py). ``-OO`` also drops
    ``assert`` statements, which in this code base only narrow types for mypy. The process
    keeps its id, its open files and its environment, with MALLOC_ARENA_MAX set unless the
    operator set it already (glibc reads it only as a process starts).
    """
    if sys.flags.optimize >= 2:
        return
    environment = {"MALLOC_ARENA_MAX": MALLOC_ARENAS, **os.environ}
    os.execve(sys.executable, [sys.executable, "-OO", *sys.orig_argv[1:]], environment)


def without_telegram_passport() -> None:
    """Keep the `cryptography` package out of a bot that serves no web pages.

    PTB imports it whenever it is installed, for Telegram Passport, which Grow Well never
    uses: 8.6 MiB of the bot's 120 MiB budget (bench/memory.py). It is installed for the
    dashboard's encrypted cookies, so only a bot without WEB_PORT goes without it; PTB then
    runs as it does where the package is missing.
    """
    if "telegram" not in sys.modules:
        sys.modules.setdefault("cryptography", None)  # type: ignore[arg-type]
