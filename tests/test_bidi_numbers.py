"""Numbers in Arabic show in their true order: the Unicode bidi algorithm run on what is sent.

python-bidi lays each line out the way a screen shows it (left to right, base direction right
to left, and again with the direction taken from the line's first letter, as chat apps do).
Every number group typed in the text must then appear in that layout as it was typed.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from datetime import date, time
from html import unescape

import pytest
from babel.messages.pofile import read_po
from bidi import get_display

from bot.library import article_pages
from locales import catalog_path, format_clock, format_day, gettext_for
from locales.bidi_numbers import LRI, PDI, isolate_number_groups
from resources.library import load_library
from resources.message_plan import load_plan

# Digits joined by spaces, dots, commas, colons or slashes, maybe with a leading plus: how
# a phone number, a time, a date or an amount is typed, and how it must be read.
NUMBER_GROUP = re.compile(r"\+?\d+(?:[.,:/]\d+)*(?:[ \u00a0]\+?\d+(?:[.,:/]\d+)*)*")
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
TAG = re.compile(r"<[^<>]*>")
# What the bot puts into placeholders when it sends a catalog string in Arabic.
PLACEHOLDER_VALUES = {
    "date": format_day(date(2026, 4, 3), "ar"),
    "time": format_clock(time(19, 0), "ar"),
    "count": "40",
    "page": "2",
    "pages": "3",
    "district": "PR8",
}


def visible(html: str) -> str:
    """What a family reads: the text left once Telegram has parsed the HTML."""
    return unescape(TAG.sub("", html))


def layouts(line: str) -> Iterator[tuple[str, str]]:
    """The line as a screen lays it out, left to right, in each base direction."""
    yield "right-to-left", get_display(line, base_dir="R")
    yield "from the first letter", get_display(line)


def misordered_groups(name: str, text: str) -> list[str]:
    """Every number group of ``text`` that its layout does not show in its true order."""
    problems = []
    for line in text.splitlines():
        typed = BIDI_CONTROLS.sub("", line)
        groups = [g for g in NUMBER_GROUP.findall(typed) if not g.isdigit()]
        for direction, shown in layouts(line):
            shown = BIDI_CONTROLS.sub("", shown)
            problems += [
                f"{name} ({direction}): {group!r} shows as {shown!r}"
                for group in dict.fromkeys(groups)
                if shown.count(group) < groups.count(group)
            ]
    return problems


def arabic_articles() -> Iterator[tuple[str, str]]:
    for article in load_library().articles("ar"):
        yield f"{article.id} title", article.title
        for number, page in enumerate(article_pages(article, "ar"), start=1):
            yield f"{article.id} page {number}", visible(page)


def arabic_plan_messages() -> Iterator[tuple[str, str]]:
    plan = load_plan()
    for entry in plan.entries:
        yield entry.key, visible(plan.text(entry.key, "ar"))


def arabic_catalog_strings() -> Iterator[tuple[str, str]]:
    _ = gettext_for("ar")
    with catalog_path("ar").open("rb") as po_file:
        catalog = read_po(po_file, locale="ar")
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        sent = _(message.id)
        fields = {name for _, name, _, _ in string.Formatter().parse(sent) if name}
        if fields:
            sent = sent.format(**{f: PLACEHOLDER_VALUES.get(f, "مثال") for f in fields})
        yield message.id[:40], visible(sent)


@pytest.mark.parametrize(
    "texts",
    [arabic_articles, arabic_plan_messages, arabic_catalog_strings],
    ids=["articles", "plan messages", "catalog strings"],
)
def test_every_number_group_in_arabic_shows_in_its_true_order(
    texts: Callable[[], Iterator[tuple[str, str]]],
) -> None:
    sent = list(texts())
    assert sent
    problems = [problem for name, text in sent for problem in misordered_groups(name, text)]
    assert not problems, f"{len(problems)} shown out of order:\n" + "\n".join(problems)


def test_the_samaritans_number_was_shown_backwards_and_now_shows_as_dialled() -> None:
    typed = "اتصل بـ Samaritans على الرقم 116 123، مجانًا."
    assert "123 116" in get_display(typed, base_dir="R")
    assert "116 123" in BIDI_CONTROLS.sub("", get_display(isolate_number_groups(typed), "R"))


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("الرقم 116 123.", f"الرقم {LRI}116 123{PDI}."),
        ("الرقم **0808 802 6869** مجانًا", f"الرقم **{LRI}0808 802 6869{PDI}** مجانًا"),
        ("اتصل بـ+44 151 123 4567", f"اتصل بـ{LRI}+44 151 123 4567{PDI}"),
        ("الرقم ١١٦ ١٢٣", f"الرقم {LRI}١١٦ ١٢٣{PDI}"),
        # A mark typed by hand gives way to the isolate.
        ("على الرقم \u200e116 123.", f"على الرقم {LRI}116 123{PDI}."),
    ],
)
def test_phone_numbers_are_isolated_left_to_right(typed: str, sent: str) -> None:
    assert isolate_number_groups(typed) == sent


@pytest.mark.parametrize(
    "typed",
    [
        "14/3/2027 أو 14 مارس 2027",
        "يُرجى كتابته هكذا: 9:30 أو 14:15.",
        "بمقدار 8.5 إلى 10 ميكروغرامات",
        "لا يقل عن 1,000 جزء في المليون",
        "نحو 30.7% من الأطفال",
        "المبالغ هي: £4.25 أسبوعيًا",
        "كوفيد-19",
    ],
)
def test_single_numbers_dates_times_and_amounts_are_left_as_typed(typed: str) -> None:
    assert isolate_number_groups(typed) == typed


def test_a_range_keeps_the_arabic_reading_order_with_its_first_number_on_the_right() -> None:
    typed = "مراجعة الأسبوع 6–8"
    assert isolate_number_groups(typed) == typed
    assert get_display(typed, base_dir="R").startswith("8–6 ")


@pytest.mark.parametrize(
    "typed",
    [
        "<b>116 123</b> {time} %(count)s {0} 1 2",
        "[الرقم 116 123](https://example.org/116%20123) و[المراجعة](article:review-6-8-weeks)",
        '<a href="tel:116 123">116 123</a> https://nhs.uk/a 1 2 www.nhs.uk/1 2',
    ],
)
def test_tags_placeholders_links_and_urls_are_never_changed(typed: str) -> None:
    sent = isolate_number_groups(typed)
    outside = re.compile(r"<[^<>]*>|\{[^{}]*\}|%\(\w+\)s|\]\([^)]*\)|(?:https?://|www\.)\S+")
    assert outside.findall(sent) == outside.findall(typed)
    assert BIDI_CONTROLS.sub("", sent) == typed


def test_isolating_twice_changes_nothing() -> None:
    typed = "اتصل بالرقم 116 123 أو 0808 802 6869 أو +44 20 7946 0000"
    once = isolate_number_groups(typed)
    assert once.count(LRI) == once.count(PDI) == 3
    assert isolate_number_groups(once) == once


def test_python_bidi_honours_isolates() -> None:
    """The check above relies on the algorithm treating U+2066..U+2069 as isolates."""
    assert get_display(f"الرقم {LRI}116 123{PDI}", base_dir="R") == f"{PDI}116 123{LRI} مقرلا"
