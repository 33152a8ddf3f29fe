"""Gettext catalogs for every user-facing string, and locale-aware date formatting.

Catalogs are the `.po` files under this folder, compiled in memory on first use, so a clean
clone runs with no compile step.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from locales.bidi_numbers import isolate_number_groups
from locales.dates import format_clock, format_day

__all__ = [
    "LANGUAGE_NAMES",
    "N_",
    "RIGHT_TO_LEFT",
    "SUPPORTED_LOCALES",
    "catalog_path",
    "format_clock",
    "format_day",
    "gettext_for",
    "in_reading_order",
    "ngettext_for",
    "normalise_locale",
    "translations",
]

CATALOG_DIR = Path(__file__).parent
DOMAIN = "messages"
SUPPORTED_LOCALES = ("en", "pl", "pt", "ar")
# Each language offered in its own name, as families recognise it.
LANGUAGE_NAMES = {"en": "English", "pl": "Polski", "pt": "Português", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})


def in_reading_order(text: str, locale: str) -> str:
    """``text`` as it is sent in ``locale``: in a right-to-left language, phone numbers and
    other number groups are isolated so they show in their true order (see bidi_numbers)."""
    return isolate_number_groups(text) if locale in RIGHT_TO_LEFT else text


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
    for message in catalog:
        if not message.id or not message.string:
            continue  # the header, or an untranslated string
        if isinstance(message.string, str):
            message.string = in_reading_order(message.string, locale)
        else:
            message.string = tuple(in_reading_order(text, locale) for text in message.string)
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
