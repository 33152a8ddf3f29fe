"""Dates and times in words, in the family's language, with Babel's CLDR data.

Babel keeps every locale it has loaded whole (names of languages, territories, currencies,
time zones ...): about 2 MiB for each of our four languages, a fifteenth of the bot's memory
budget (bench/memory.py). The bot only says days and clock times, so each locale here holds
just the parts of the data that date and time formatting read, and Babel's cache is cleared
once they are taken. `tests/test_locale_dates.py` checks every day and minute against Babel's own
output with the whole data.
"""

from __future__ import annotations

import copy
import threading
from datetime import date, time
from functools import cache
from typing import Any

from babel import Locale, localedata
from babel.core import parse_locale
from babel.dates import format_date, format_time

# The Babel locale used for each of ours: British English reads day-first.
BABEL_LOCALES = {"en": "en_GB", "pl": "pl_PL", "pt": "pt_PT", "ar": "ar"}
# What babel.dates reads for day and time patterns (babel.core.Locale's properties).
_DATE_TIME_KEYS = (
    "date_formats",
    "time_formats",
    "datetime_formats",
    "days",
    "months",
    "quarters",
    "eras",
    "day_periods",
    "day_period_rules",
    "week_data",
)
_LOADING = threading.Lock()


class _DateTimeLocale(Locale):
    """A Babel locale that carries only its date and time data."""

    def __init__(self, identifier: str, data: localedata.LocaleDataDict) -> None:
        language, territory, script, variant, *_ = parse_locale(identifier)
        super().__init__(language, territory, script, variant)
        self._kept = data

    @property
    def _data(self) -> localedata.LocaleDataDict:
        return self._kept


@cache
def babel_locale(locale: str) -> Locale:
    """The date-and-time-only Babel locale for one of ours (English for any other)."""
    identifier = BABEL_LOCALES.get(locale, BABEL_LOCALES["en"])
    with _LOADING:
        whole = localedata.load(identifier)
        # A copy, so the kept parts do not pin the memory of the rest once it is freed.
        kept: dict[str | int | None, Any] = copy.deepcopy(
            {key: whole[key] for key in _DATE_TIME_KEYS if key in whole}
        )
        del whole
        localedata.clear_caches()
    return _DateTimeLocale(identifier, localedata.LocaleDataDict(kept))


def format_day(day: date, locale: str, *, weekday: bool = True) -> str:
    """A date in words in the family's language, e.g. 'Friday, 3 April 2026'."""
    return format_date(day, "full" if weekday else "long", locale=babel_locale(locale))


def format_clock(moment: time, locale: str) -> str:
    """A time of day as the family's language writes it, e.g. '18:30' or '6:30 م'."""
    return format_time(moment, "short", locale=babel_locale(locale))
