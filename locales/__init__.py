"""Gettext catalogs for every user-facing string, and locale-aware date formatting.

Catalogs are the `.po` files under this folder, compiled in memory on first use, so a clean
clone runs with no compile step.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

CATALOG_DIR = Path(__file__).parent
DOMAIN = "messages"
SUPPORTED_LOCALES = ("en", "pl", "pt", "ar")
# Each language offered in its own name, as families recognise it.
LANGUAGE_NAMES = {"en": "English", "pl": "Polski", "pt": "Português", "ar": "العربية"}
# The Babel locale used for dates: British English reads day-first.
BABEL_LOCALES = {"en": "en_GB", "pl": "pl_PL", "pt": "pt_PT", "ar": "ar"}
RIGHT_TO_LEFT = frozenset({"ar"})


def catalog_path(locale: str) -> Path:
    return CATALOG_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog for a locale; unknown locales fall back to English."""
    if locale not in SUPPORTED_LOCALES:
        locale = "en"
    path = catalog_path(locale)
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(locale: str) -> Callable[[str], str]:
    return translations(locale).gettext


def ngettext_for(locale: str) -> Callable[[str, str, int], str]:
    return translations(locale).ngettext


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


def normalise_locale(code: str | None, default: str = "en") -> str:
    """Map a Telegram language code such as 'pt-BR' to one of ours."""
    if not code:
        return default
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in SUPPORTED_LOCALES else default


def format_day(day: date, locale: str, *, weekday: bool = True) -> str:
    """A date in words in the family's language, e.g. 'Friday, 3 April 2026'."""
    babel_locale = BABEL_LOCALES.get(locale, "en_GB")
    return format_date(day, "full" if weekday else "long", locale=babel_locale)
