"""The slimmed Babel locales say every day and time exactly as Babel does with all its data."""

from datetime import date, time, timedelta

import pytest
from babel import Locale
from babel.dates import format_date, format_time

from locales import SUPPORTED_LOCALES, format_clock, format_day
from locales.dates import BABEL_LOCALES

DAYS = [date(2026, 1, 1) + timedelta(days=n) for n in range(731)]
MINUTES = [time(hour, minute) for hour in range(24) for minute in range(60)]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_day_of_two_years_reads_as_babel_says(locale: str) -> None:
    whole = Locale.parse(BABEL_LOCALES[locale])
    for day in DAYS:
        assert format_day(day, locale) == format_date(day, "full", locale=whole)
        assert format_day(day, locale, weekday=False) == format_date(day, "long", locale=whole)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_minute_of_the_day_reads_as_babel_says(locale: str) -> None:
    whole = Locale.parse(BABEL_LOCALES[locale])
    for moment in MINUTES:
        assert format_clock(moment, locale) == format_time(moment, "short", locale=whole)


def test_the_words_are_the_languages_own() -> None:
    day = date(2026, 12, 4)
    assert format_day(day, "en") == "Friday, 4 December 2026"
    assert format_day(day, "pl", weekday=False) == "4 grudnia 2026"
    assert format_day(day, "pt") == "sexta-feira, 4 de dezembro de 2026"
    assert format_clock(time(18, 30), "en") == "18:30"
    assert format_clock(time(18, 30), "ar") == "6:30 م"


def test_a_language_we_do_not_offer_reads_in_english() -> None:
    assert format_day(date(2026, 12, 4), "fr") == "Friday, 4 December 2026"
