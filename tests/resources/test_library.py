"""The parent library: the shipped articles, validation errors, Telegram pages and family order."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from locales import SUPPORTED_LOCALES
from locales.text_folding import ARABIC_DIGITS
from resources.library import (
    DEFAULT_FOLDER,
    MAX_HTML_CHARS,
    Library,
    LibraryError,
    internal_links,
    load_library,
    read_article,
    render_pages,
    sources_footer,
    telegram_length,
)

# Content must stay in review: nothing may fall due on or before this day.
REVIEW_DAY = date(2026, 11, 23)
DOMAIN_FACTS = Path(__file__).resolve().parents[2].parent / "shared" / "domain-facts.md"
ARTICLE_IDS = frozenset(
    [
        "safe-sleep-basics",
        "room-sharing-and-temperature",
        "co-sleeping-safely",
        "sofas-and-chairs",
        "slings-ticks",
        "swaddling-and-dummies",
        "hot-weather",
        "car-seats",
        "brushing-first-teeth",
        "fluoride-toothpaste",
        "drinks-and-sugar",
        "first-dentist-visit",
        "free-dental-care",
        "dads-bonding",
        "dads-soothing",
        "dads-practical-care",
        "dads-mental-health",
        "dads-supporting-partner",
        "dads-sleep-deprivation",
        "dads-home-safety",
        "dads-before-birth",
        "review-antenatal",
        "review-new-birth",
        "review-6-8-weeks",
        "review-12-months",
        "review-2-years",
        "immunisations-pregnancy",
        "immunisations-schedule",
        "immunisations-18-months",
        "immunisations-mmrv",
        "immunisations-why",
        "feeding-breastfeeding",
        "feeding-formula",
        "feeding-vitamin-d",
        "feeding-healthy-start",
        "feeding-starting-solids",
        "feeding-first-foods-safety",
        "crying-icon",
        "crying-soothing",
        "mental-health-baby-blues-pnd",
        "mental-health-dads",
        "mental-health-where-to-get-help",
        "mental-health-postpartum-psychosis",
        "urgent-help-baby-unwell",
        "urgent-help-crisis",
    ]
)
ARTICLE_FILES = sorted(DEFAULT_FOLDER.glob("*.md"))


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(today=REVIEW_DAY)


class TelegramHtmlChecker(HTMLParser):
    """Fails on anything Telegram would reject in our messages: only b, i and a href, nested
    properly and all closed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"b", "i", "a"}:
            self.problems.append(f"tag <{tag}>")
        if tag == "a" and [name for name, _ in attrs] != ["href"]:
            self.problems.append(f"<a> attributes {attrs}")
        if tag != "a" and attrs:
            self.problems.append(f"<{tag}> attributes {attrs}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def html_problems(html: str) -> list[str]:
    """What is wrong with ``html`` as Telegram HTML; [] if nothing."""
    checker = TelegramHtmlChecker()
    checker.feed(html)
    checker.close()
    problems = checker.problems + [f"<{tag}> never closed" for tag in checker.stack]
    # A bare & or < in text would be read as markup by Telegram.
    stripped = re.sub(r"<(/?)(b|i|a)( href=\"[^\"]*\")?>", "", html)
    if re.search(r"<|>|&(?!(amp|lt|gt|quot);)", stripped):
        problems.append("unescaped <, > or &")
    return problems


# --- the shipped content ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ARTICLE_FILES, ids=lambda p: p.name)
def test_every_article_file_parses_and_is_in_review(path: Path) -> None:
    article = read_article(path, today=REVIEW_DAY)
    assert article.sources
    assert article.next_review > REVIEW_DAY


def test_the_shipped_library_is_complete_in_every_locale(library: Library) -> None:
    assert set(library.ids) == ARTICLE_IDS
    for locale in SUPPORTED_LOCALES:
        assert {a.id for a in library.articles(locale)} == ARTICLE_IDS
        assert all(a.locale == locale for a in library.articles(locale))


def test_every_article_renders_to_valid_telegram_pages_under_the_limit(library: Library) -> None:
    for locale in SUPPORTED_LOCALES:
        for article in library.articles(locale):
            footer = sources_footer(article, "Sources")
            pages = render_pages(article, footer=footer)
            where = f"{article.id}.{locale}"
            assert pages[0].startswith(f"<b>{article.title.replace('&', '&amp;')}</b>"), where
            assert pages[-1].endswith(footer), where
            for page in pages:
                assert telegram_length(page) <= 4096, where
                assert len(page) <= MAX_HTML_CHARS, where
                assert html_problems(page) == [], where


def test_every_internal_link_and_related_article_exists(library: Library) -> None:
    for locale in SUPPORTED_LOCALES:
        for article in library.articles(locale):
            assert set(article.related) <= ARTICLE_IDS, f"{article.id}.{locale}"
            assert set(internal_links(article)) <= ARTICLE_IDS, f"{article.id}.{locale}"


# Digit runs that read as phone numbers: a leading 0, several groups ("116 123"), a short code
# of five or more digits ("85258"), or three equal digits ("999", "111"). Years, ages and
# counts ("2026", "189 babies") are left alone.
_NUMBER_RUN = re.compile(r"(?<![\w/-])(?<!\d[.,])\d{2,}(?: \d{2,})*(?!\w|[.,]\d|[%/-])")
_THOUSANDS = re.compile(r"^[1-9]\d{0,2}( \d{3})+$")
_URL = re.compile(r"https?://[^\s)>\]\"']+")


def _phone_numbers(text: str) -> list[str]:
    found = []
    for match in _NUMBER_RUN.finditer(text.translate(ARABIC_DIGITS)):
        run = match.group()
        digits = run.replace(" ", "")
        if (
            run.startswith("0")
            or " " in run
            or len(digits) >= 5
            or (len(digits) == 3 and len(set(digits)) == 1)
        ):
            found.append(run)
    return found


def test_only_links_and_phone_numbers_from_the_domain_facts(library: Library) -> None:
    if not DOMAIN_FACTS.exists():
        pytest.skip(f"{DOMAIN_FACTS} is absent: cannot check facts against it")
    facts = DOMAIN_FACTS.read_text(encoding="utf-8").translate(ARABIC_DIGITS)
    problems = []
    for locale in SUPPORTED_LOCALES:
        for article in library.articles(locale):
            where = f"{article.id}.{locale}.md"
            for url in [*_URL.findall(article.body), *article.sources]:
                if url not in facts and url.rstrip("/") not in facts:
                    problems.append(f"{where}: URL {url}")
            text = " ".join([article.title, article.summary, article.body])
            for number in _phone_numbers(text):
                # Polish and Portuguese write 20,000 as "20 000": the same fact, not a phone.
                as_thousands = number.replace(" ", ",") if _THOUSANDS.match(number) else number
                if number not in facts and as_thousands not in facts:
                    problems.append(f"{where}: phone number {number}")
    assert problems == []


def test_phone_number_detection_finds_numbers_and_skips_dates_and_counts() -> None:
    text = (
        "Call 116 123 or 0808 802 6869, text 85258, ring 999 or 111. In 2026, around 189 "
        "babies; 2.5 kg; 16–20 °C; 10am; 6-in-1; ٩٩٩"
    )
    assert _phone_numbers(text) == ["116 123", "0808 802 6869", "85258", "999", "111", "999"]


# --- validation ------------------------------------------------------------------------------

GOOD_FRONT = {
    "id": "alpha",
    "topic": "safe_sleep",
    "audience": "everyone",
    "age_months": "[-9, 12]",
    "title": "Alpha",
    "summary": "A short summary.",
    "keywords": "[cot, sleep]",
    "sources": "\n  - https://www.lullabytrust.org.uk/research/evidence-base/",
    "last_reviewed": "2026-11-23",
    "next_review": "2027-11-23",
    "related": "[beta]",
}
GOOD_BODY = "A paragraph with **bold** and _italics_.\n\n## A heading\n\n- one\n- two\n"


def write_article(
    folder: Path,
    article_id: str,
    locale: str,
    body: str = GOOD_BODY,
    **changes: Any,
) -> Path:
    """Write one article file; ``changes`` replace front matter lines (None drops a field)."""
    front = {**GOOD_FRONT, "id": article_id, **changes}
    lines = [f"{key}: {value}" for key, value in front.items() if value is not None]
    path = folder / f"{article_id}.{locale}.md"
    path.write_text("---\n" + "\n".join(lines) + "\n---\n" + body, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A valid two-article library in every locale, for each test to break in one way."""
    for locale in SUPPORTED_LOCALES:
        write_article(tmp_path, "alpha", locale)
        write_article(tmp_path, "beta", locale, related="[alpha]")
    return tmp_path


def load_error(folder: Path) -> str:
    with pytest.raises(LibraryError) as caught:
        load_library(folder)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_valid_small_library_loads(folder: Path) -> None:
    library = load_library(folder)
    assert library.ids == ("alpha", "beta")
    assert library.get("alpha", "pl").locale == "pl"
    assert library.get("alpha", "pt-BR").locale == "pt"
    assert library.get("alpha", "fr").locale == "en"


def test_bad_yaml_names_the_file_and_line(folder: Path) -> None:
    path = write_article(folder, "alpha", "pl", keywords="[cot, sleep")
    message = load_error(folder)
    assert str(path) in message
    assert "invalid YAML" in message


def test_unknown_field_is_named(folder: Path) -> None:
    path = write_article(folder, "alpha", "en", colour="blue")
    message = load_error(folder)
    assert str(path) in message
    assert "unknown field 'colour'" in message


def test_missing_field_is_named(folder: Path) -> None:
    path = write_article(folder, "alpha", "en", audience=None)
    message = load_error(folder)
    assert str(path) in message
    assert "missing field 'audience'" in message


def test_bad_topic_lists_the_allowed_values(folder: Path) -> None:
    path = write_article(folder, "alpha", "en", topic="sleeping")
    message = load_error(folder)
    assert str(path) in message
    assert "'topic' is 'sleeping'" in message
    assert "'safe_sleep'" in message
    assert "'urgent_help'" in message


def test_summary_over_200_characters_is_rejected(folder: Path) -> None:
    path = write_article(folder, "alpha", "ar", summary="x" * 201)
    message = load_error(folder)
    assert str(path) in message
    assert "summary is 201 characters; the limit is 200" in message


def test_an_article_without_sources_is_rejected(folder: Path) -> None:
    path = write_article(folder, "alpha", "en", sources="[]")
    message = load_error(folder)
    assert str(path) in message
    assert "no sources" in message


def test_a_source_that_is_not_a_web_address_is_rejected(folder: Path) -> None:
    path = write_article(folder, "alpha", "en", sources="[www.nhs.uk]")
    message = load_error(folder)
    assert str(path) in message
    assert "source 'www.nhs.uk' is not an http(s) URL" in message


def test_next_review_must_be_after_last_reviewed(folder: Path) -> None:
    path = write_article(folder, "alpha", "en", next_review="2026-11-23")
    message = load_error(folder)
    assert str(path) in message
    assert "next_review 2026-11-23 is not after last_reviewed 2026-11-23" in message


def test_a_review_that_is_due_fails_when_today_is_given(folder: Path) -> None:
    with pytest.raises(
        LibraryError, match=r"alpha\.\w\w\.md: next_review 2027-11-23 is not after"
    ):
        load_library(folder, today=date(2027, 11, 23))


def test_id_must_match_the_file_name(folder: Path) -> None:
    path = write_article(folder, "alpha", "en", id="alfa")
    path.rename(folder / "alpha.en.md")
    message = load_error(folder)
    assert "alpha.en.md" in message
    assert "id 'alfa' differs from the file name" in message


def test_an_unknown_locale_suffix_is_rejected(folder: Path) -> None:
    path = write_article(folder, "alpha", "fr")
    message = load_error(folder)
    assert str(path) in message
    assert "unknown locale suffix 'fr'" in message


def test_a_missing_translation_is_named(folder: Path) -> None:
    (folder / "beta.pt.md").unlink()
    message = load_error(folder)
    assert "beta.pt.md" in message
    assert "missing translation" in message


def test_front_matter_may_differ_across_locales_only_in_translated_fields(folder: Path) -> None:
    write_article(folder, "alpha", "pl", title="Alfa", summary="Krótko.", keywords="[sen]")
    load_library(folder)
    path = write_article(folder, "alpha", "pl", age_months="[0, 12]")
    message = load_error(folder)
    assert str(path) in message
    assert "differs from alpha.en.md in age_months" in message


def test_related_must_name_existing_articles(folder: Path) -> None:
    for locale in SUPPORTED_LOCALES:
        path = write_article(folder, "beta", locale, related="[alpha, gamma]")
    message = load_error(folder)
    assert "beta." in message
    assert "related article 'gamma' does not exist" in message
    assert path.parent.name in message


def test_article_links_must_name_existing_articles(folder: Path) -> None:
    body = "See [the other one](article:gamma).\n"
    for locale in SUPPORTED_LOCALES:
        write_article(folder, "beta", locale, body=body, related="[alpha]")
    message = load_error(folder)
    assert re.search(r"/beta\.\w\w\.md: link to article:gamma which does not exist$", message)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Some <b>bold</b> text.", "HTML tags are not supported"),
        ("| a | b |\n| --- | --- |", "tables are not supported"),
        ("# Big heading", "only '## ' headings are supported"),
        ("- one\n\n  - nested", "nested lists"),
        ("1. first", "numbered lists are not supported"),
        ("![a picture](https://example.org/p.png)", "images are not supported"),
        ("A [link](ftp://example.org) here.", "neither an http(s) URL nor article:<id>"),
        ("Unclosed **bold here.", "'**' without its closing '**'"),
    ],
)
def test_unsupported_markdown_is_rejected_with_its_line(
    folder: Path, body: str, problem: str
) -> None:
    path = write_article(folder, "alpha", "pt", body=f"Fine.\n\n{body}\n")
    lines = path.read_text(encoding="utf-8").splitlines()
    offending = body.splitlines()[0] if body.startswith("|") else body.splitlines()[-1]
    bad_line = lines.index(offending) + 1
    message = load_error(folder)
    assert f"{path}: line {bad_line}: " in message
    assert problem in message


# --- rendering -------------------------------------------------------------------------------


def small_article(folder: Path, body: str) -> Library:
    for locale in SUPPORTED_LOCALES:
        write_article(folder, "alpha", locale, body=body, title="Tom & Jerry <3")
        write_article(folder, "beta", locale, related="[alpha]")
    return load_library(folder)


def test_markdown_becomes_telegram_html(tmp_path: Path) -> None:
    body = (
        "Milk & water < juice > squash, **really** _truly_.\n\n"
        "## What to do\n"
        "- Ring [NHS 111](https://111.nhs.uk/) any time\n"
        "- Read [**the other article**](article:beta)\n"
    )
    article = small_article(tmp_path, body).get("alpha", "en")
    [page] = render_pages(article)
    assert page == (
        "<b>Tom &amp; Jerry &lt;3</b>\n\n"
        "Milk &amp; water &lt; juice &gt; squash, <b>really</b> <i>truly</i>.\n\n"
        "<b>What to do</b>\n"
        '• Ring <a href="https://111.nhs.uk/">NHS 111</a> any time\n'
        "• Read <b>the other article</b>"
    )
    assert internal_links(article) == ["beta"]


def test_telegram_length_counts_visible_text_in_utf16_units() -> None:
    assert telegram_length('<b>a &amp; b</b> <a href="https://x.org">link</a>') == 10
    assert telegram_length("👶") == 2


def test_a_long_article_splits_into_pages_under_the_limit(library: Library) -> None:
    for article_id in ("safe-sleep-basics", "feeding-starting-solids"):
        article = library.get(article_id, "en")
        footer = sources_footer(article, "Sources")
        pages = render_pages(article, limit=4096, footer=footer)
        assert len(pages) >= 2, article_id
        assert pages[0].startswith("<b>")
        assert pages[-1].endswith(footer)
        for page in pages:
            assert telegram_length(page) <= 4096
            assert html_problems(page) == []


def test_pages_break_between_blocks_and_never_mid_word(library: Library) -> None:
    article = library.get("safe-sleep-basics", "pl")
    whole = render_pages(article)
    pages = render_pages(article, limit=600)
    assert len(pages) > 5
    for page in pages:
        assert telegram_length(page) <= 600
        assert html_problems(page) == []
        assert not page.endswith("</b>") or not page.rsplit("\n", 1)[-1].startswith("<b>")

    def words(html: str) -> list[str]:
        return re.sub(r"<[^>]+>", " ", html).split()

    assert [w for page in pages for w in words(page)] == [w for p in whole for w in words(p)]


def test_a_paragraph_longer_than_a_page_is_split_between_words(tmp_path: Path) -> None:
    body = " ".join(f"**word{n}** and [link {n}](https://www.nhs.uk/{n})" for n in range(200))
    article = small_article(tmp_path, body + "\n").get("alpha", "en")
    pages = render_pages(article, limit=500, footer="<b>Sources</b>")
    assert len(pages) > 3
    for page in pages:
        assert telegram_length(page) <= 500
        assert html_problems(page) == []
    assert pages[-1].endswith("\n\n<b>Sources</b>")


def test_sources_footer_lists_each_source_as_a_link(library: Library) -> None:
    article = library.get("safe-sleep-basics", "ar")
    footer = sources_footer(article, "المصادر")
    assert footer.startswith("<b>المصادر</b>\n• <a href=")
    assert footer.count("<a href=") == len(article.sources)
    assert html_problems(footer) == []


# --- ordering for a family -------------------------------------------------------------------


def test_topics_follow_the_shelf_order(library: Library) -> None:
    assert library.topics("en")[0] == "safe_sleep"
    assert set(library.topics("ar")) == {a.topic for a in library.articles("ar")}
    assert [a.topic for a in library.articles_in("crying", "pl")] == ["crying", "crying"]


@pytest.mark.parametrize("role", ["dad", "partner"])
def test_a_dad_or_partner_sees_the_fathers_topic_first(library: Library, role: str) -> None:
    order = library.for_family("en", role=role, expecting=False, child_ages_months=[3])
    assert order.topics[0] == "fathers"
    mum = library.for_family("en", role="mum", expecting=False, child_ages_months=[3])
    assert mum.topics[0] != "fathers"


def test_an_expecting_family_sees_pregnancy_articles_first_not_weaning(library: Library) -> None:
    order = library.for_family("pl", role="mum", expecting=True)
    for topic in order.topics:
        first = order.articles[topic][0]
        if any(a.age_months[0] < 0 for a in order.articles[topic]):
            assert first.age_months[0] < 0, topic
    assert order.articles["feeding"][0].id != "feeding-starting-solids"
    assert order.articles["reviews"][0].id == "review-antenatal"
    assert order.topics[-1] == "crying"  # nothing about crying fits before the birth


def test_articles_that_fit_a_childs_age_come_first(library: Library) -> None:
    order = library.for_family("en", role="carer", expecting=False, child_ages_months=[7, 26])
    for topic, articles in order.articles.items():
        fits = [any(a.fits_age(age) for age in (7, 26)) for a in articles]
        assert fits == sorted(fits, reverse=True), topic
    baby = library.for_family("en", role="mum", expecting=False, child_ages_months=[7])
    assert "feeding-starting-solids" in [a.id for a in baby.articles["feeding"][:3]]
    assert order.articles["reviews"][0].id == "review-2-years"
    assert sum(len(a) for a in order.articles.values()) == len(library)
