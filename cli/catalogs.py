"""Keeping the gettext catalogs in step with the code (`growwell catalogs update`).

Extracts every marked string into `locales/messages.pot`, merges it into each locale's `.po`,
and fills the English catalog (its text is the source). New strings then show up as untranslated
in the other catalogs, and the catalog test fails until someone translates them.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from locales import CATALOG_DIR, DOMAIN, SUPPORTED_LOCALES, catalog_path

ROOT = CATALOG_DIR.parent
SOURCE_DIRS = ("bot", "domain", "scheduler", "resources", "locales")


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def update_catalogs() -> None:
    template = CATALOG_DIR / f"{DOMAIN}.pot"
    _pybabel(
        "extract",
        "-F",
        str(CATALOG_DIR / "babel.cfg"),
        "-k",
        "N_",
        "--no-location",
        "--sort-output",
        "--project",
        "growwell",
        "-o",
        str(template),
        *(str(ROOT / d) for d in SOURCE_DIRS if (ROOT / d).exists()),
    )
    for locale in SUPPORTED_LOCALES:
        path = catalog_path(locale)
        if path.exists():
            _pybabel(
                "update",
                "-i",
                str(template),
                "-d",
                str(CATALOG_DIR),
                "-D",
                DOMAIN,
                "-l",
                locale,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            _pybabel(
                "init", "-i", str(template), "-d", str(CATALOG_DIR), "-D", DOMAIN, "-l", locale
            )
    _fill_english(catalog_path("en"))


def _fill_english(path: Path) -> None:
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale="en")
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
    with path.open("wb") as po_file:
        write_po(po_file, catalog, width=99, omit_header=False)
