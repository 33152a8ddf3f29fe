"""Every user-facing string is translated in every locale, with the same placeholders and tags."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from locales import CATALOG_DIR, SUPPORTED_LOCALES, catalog_path

PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
TAG = re.compile(r"</?[a-z-]+>")
COMMAND = re.compile(r"(?<![\w/])/[a-z]+\b")


def load(locale: str) -> Catalog:
    with catalog_path(locale).open("rb") as po_file:
        return read_po(po_file, locale=locale)


def forms(message: Message) -> list[tuple[str, str]]:
    """(source, translation) pairs, one per plural form."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return [(ids[min(i, len(ids) - 1)], s) for i, s in enumerate(strings)]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_is_complete_with_nothing_fuzzy(locale: str) -> None:
    catalog = load(locale)
    problems = [
        message.id
        for message in catalog
        if message.id and (message.fuzzy or not all(s.strip() for _, s in forms(message)))
    ]
    assert problems == [], f"{locale}: missing, empty or fuzzy translations"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_tags_and_commands_match_the_source(locale: str) -> None:
    problems = []
    for message in load(locale):
        for source, translation in forms(message):
            if not source:
                continue
            for pattern in (PLACEHOLDER, TAG, COMMAND):
                if sorted(pattern.findall(source)) != sorted(pattern.findall(translation)):
                    problems.append((source, translation))
    assert problems == [], f"{locale}: placeholders, tags or commands differ"


def test_every_string_in_the_code_is_in_the_catalogs() -> None:
    """A string added to the code without `growwell catalogs update` fails here."""
    root = CATALOG_DIR.parent
    in_code = set()
    for folder in ("bot", "domain", "scheduler", "resources"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            root / folder, keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
        ):
            in_code.add(message if isinstance(message, str) else message[0])
    in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in load("en") if m.id}
    assert sorted(in_code - in_catalog) == []
