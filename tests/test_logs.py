"""The log format: whatever a library logs, a line holds no exception text and no token."""

from __future__ import annotations

import logging
import sys

from config.logs import SafeFormatter

TOKEN = "123456789:TEST-token-for-the-local-bot-api"


def test_a_library_error_is_one_line_with_its_kind_and_place_and_no_text_or_token() -> None:
    def poll() -> None:
        raise RuntimeError(f"POST /bot{TOKEN}/getUpdates failed; chat 5550123 wrote 'hello'")

    try:
        poll()
    except RuntimeError:
        record = logging.LogRecord(
            "telegram.ext.Updater",
            logging.ERROR,
            __file__,
            1,
            "polling failed for %s",
            (f"https://api.telegram.org/bot{TOKEN}/getUpdates",),
            sys.exc_info(),
        )
    line = SafeFormatter([TOKEN, TOKEN.partition(":")[2]]).format(record)
    assert "\n" not in line
    assert (
        "ERROR telegram.ext.Updater: polling failed for "
        "https://api.telegram.org/bot<redacted>/getUpdates [RuntimeError at tests/test_logs.py:"
    ) in line
    assert line.endswith(f" > tests/test_logs.py:{poll.__code__.co_firstlineno + 1} poll]")
    assert "5550123" not in line
    assert "hello" not in line
    assert TOKEN.partition(":")[2] not in line
