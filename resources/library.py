"""The parent resource library: articles per locale, validated on load, shown as Telegram HTML.

Articles are ``library/articles/<id>.<locale>.md`` files: YAML front matter, then a body in a
small Markdown subset. ``load_library`` raises ``LibraryError`` with one line naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from html import escape, unescape
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from locales import SUPPORTED_LOCALES, in_reading_order
from resources.topics import Topic
from resources.validation_errors import describe
from resources.yaml_files import YamlProblem, parse_yaml

__all__ = [
    "DEFAULT_FOLDER",
    "MAX_HTML_CHARS",
    "MAX_MESSAGE_CHARS",
    "SUMMARY_MAX_CHARS",
    "Article",
    "Audience",
    "FrontMatter",
    "Library",
    "LibraryError",
    "ReadingOrder",
    "Topic",
    "family_audiences",
    "internal_links",
    "load_library",
    "plain_text",
    "read_article",
    "render_pages",
    "sources_footer",
    "telegram_length",
]

DEFAULT_FOLDER = Path(__file__).parent / "library" / "articles"
SOURCE_LOCALE = "en"
# Telegram's limit for one message, counted on the text left after parsing the HTML.
MAX_MESSAGE_CHARS = 4096
# Telegram also caps the request, so the HTML source itself stays under this too.
MAX_HTML_CHARS = 4096
SUMMARY_MAX_CHARS = 200
# Fields a translator may change; everything else must match the English file.
TRANSLATED_FIELDS = frozenset({"title", "summary", "keywords"})

_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_URL = re.compile(r"^https?://[^\s/?#.][^\s]*$")
_ROLES_WITH_FATHERS_FIRST = frozenset({"dad", "partner"})
# Roughly the third trimester: where an expecting family stands when it asks the library.
_PREGNANCY_MONTH = -3


class LibraryError(ValueError):
    """An article file is invalid or the library is incomplete; the message is one line."""


class Audience(StrEnum):
    """Who an article is written for; ``everyone`` unless it speaks to one group."""

    EVERYONE = "everyone"
    EXPECTING = "expecting"
    FATHERS = "fathers"


ArticleId = Annotated[str, Field(pattern=_ID_PATTERN)]


class FrontMatter(BaseModel):
    """The YAML block at the top of an article file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ArticleId
    topic: Topic
    audience: Audience
    age_months: tuple[int, int]
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    keywords: tuple[str, ...] = Field(min_length=1)
    sources: tuple[str, ...]
    last_reviewed: date
    next_review: date
    related: tuple[ArticleId, ...]

    @model_validator(mode="after")
    def _check_consistency(self) -> FrontMatter:
        low, high = self.age_months
        if low > high:
            raise ValueError(f"age_months [{low}, {high}]: the first number must not be larger")
        if low < -9:
            raise ValueError(f"age_months starts at {low}; pregnancy starts at -9")
        if len(self.summary) > SUMMARY_MAX_CHARS:
            raise ValueError(
                f"summary is {len(self.summary)} characters; the limit is {SUMMARY_MAX_CHARS}"
            )
        if not self.sources:
            raise ValueError("no sources: list at least one https:// URL that backs the article")
        for url in self.sources:
            if not _URL.match(url):
                raise ValueError(f"source {url!r} is not an http(s) URL")
        if self.next_review <= self.last_reviewed:
            raise ValueError(
                f"next_review {self.next_review} is not after last_reviewed {self.last_reviewed}"
            )
        if self.id in self.related:
            raise ValueError("related lists the article itself")
        return self


class Article(FrontMatter):
    """One article in one locale: its front matter, plus the locale and the Markdown body."""

    locale: str
    body: str

    def fits_age(self, months: int) -> bool:
        """Whether the article suits a child of this age (negative: months before the birth)."""
        low, high = self.age_months
        return low <= months <= high

    @property
    def fits_pregnancy(self) -> bool:
        """Whether the article is useful before the birth."""
        return self.age_months[0] < 0


@dataclass(frozen=True, slots=True)
class ReadingOrder:
    """The library as one family should see it: topics, and each topic's articles, best first."""

    topics: tuple[str, ...]
    articles: Mapping[str, tuple[Article, ...]]


class Library:
    """Every article in every loaded locale, with the orderings the bot's menus need."""

    __slots__ = ("_by_topic", "_ids", "_versions", "locales")

    def __init__(self, articles: Iterable[Article], locales: Sequence[str]) -> None:
        self.locales: tuple[str, ...] = tuple(locales)
        self._versions: dict[tuple[str, str], Article] = {(a.id, a.locale): a for a in articles}
        topic_order = list(Topic)
        english = sorted(
            (a for a in self._versions.values() if a.locale == self.locales[0]),
            key=lambda a: (topic_order.index(a.topic), _shelf_key(a)),
        )
        self._ids: tuple[str, ...] = tuple(a.id for a in english)
        by_topic: dict[str, list[str]] = {}
        for article in english:
            by_topic.setdefault(article.topic.value, []).append(article.id)
        self._by_topic: dict[str, tuple[str, ...]] = {
            t.value: tuple(by_topic[t.value]) for t in Topic if t.value in by_topic
        }

    @property
    def ids(self) -> tuple[str, ...]:
        """Every article id, in shelf order (topic, then the age it starts to matter)."""
        return self._ids

    def locale_for(self, locale: str) -> str:
        """The loaded locale to use for ``locale``: ``pt-PT`` -> ``pt``; unknown -> the first."""
        for candidate in (locale, re.split(r"[-_]", locale, maxsplit=1)[0]):
            if candidate in self.locales:
                return candidate
        return self.locales[0]

    def get(self, article_id: str, locale: str) -> Article:
        """The article in ``locale`` (see ``locale_for``); an unknown id raises KeyError."""
        try:
            return self._versions[(article_id, self.locale_for(locale))]
        except KeyError:
            raise KeyError(f"no article {article_id!r}") from None

    def __len__(self) -> int:
        return len(self._ids)

    def articles(self, locale: str) -> list[Article]:
        """Every article in ``locale``, in shelf order."""
        return [self.get(article_id, locale) for article_id in self._ids]

    def topics(self, locale: str) -> list[str]:
        """The topic keys that have articles, in the default shelf order.

        Every loaded locale has every article, so today the answer is the same for all.
        """
        return list(self._by_topic)

    def articles_in(self, topic: str, locale: str) -> list[Article]:
        """The articles of one topic in ``locale``, in shelf order; [] for an empty topic."""
        return [self.get(article_id, locale) for article_id in self._by_topic.get(topic, ())]

    def for_family(
        self,
        locale: str,
        *,
        role: str,
        expecting: bool,
        child_ages_months: Sequence[int] = (),
    ) -> ReadingOrder:
        """Topics and articles ordered for one family, the ones that fit its stage first.

        A dad or partner sees the fathers' topic first. An article fits if its age range
        holds a child's age, or if the family is expecting (or a child's age is negative)
        and it is useful in pregnancy.
        Fitting articles come first, nearest to the child's stage first; topics with a
        fitting article come before topics without; ties keep the shelf order.
        """
        ages = list(child_ages_months)
        if expecting:
            ages.append(_PREGNANCY_MONTH)
        fathers_first = role in _ROLES_WITH_FATHERS_FIRST
        audiences = family_audiences(role, expecting=expecting)

        def article_key(article: Article) -> tuple[bool, bool, float, tuple[int, int, str]]:
            fitting = [age for age in ages if _fits_stage(article, age)]
            distance = min((_distance(article, age) for age in fitting), default=0.0)
            for_them = article.audience is not Audience.EVERYONE and article.audience in audiences
            return (not fitting, not for_them, distance, _shelf_key(article))

        ordered: dict[str, tuple[Article, ...]] = {}
        for topic in self._by_topic:
            ordered[topic] = tuple(sorted(self.articles_in(topic, locale), key=article_key))
        shelf = list(self._by_topic)

        def topic_key(topic: str) -> tuple[bool, bool, int]:
            first = ordered[topic][0]
            has_fitting = any(_fits_stage(first, age) for age in ages)
            return (
                not (fathers_first and topic == Topic.FATHERS),
                not has_fitting,
                shelf.index(topic),
            )

        topics = tuple(sorted(shelf, key=topic_key))
        return ReadingOrder(topics=topics, articles=MappingProxyType(ordered))

    def __repr__(self) -> str:
        return f"Library({len(self._ids)} articles, locales={self.locales})"


def family_audiences(role: str, *, expecting: bool) -> frozenset[Audience]:
    """The audiences whose articles speak to this family: everyone's, the fathers' for a dad
    or partner, and the pregnancy ones while a baby is on the way."""
    audiences = {Audience.EVERYONE}
    if role in _ROLES_WITH_FATHERS_FIRST:
        audiences.add(Audience.FATHERS)
    if expecting:
        audiences.add(Audience.EXPECTING)
    return frozenset(audiences)


def _shelf_key(article: Article) -> tuple[int, int, str]:
    low, high = article.age_months
    return (low, high, article.id)


def _distance(article: Article, age: int) -> float:
    """How far ``age`` is from the middle of the article's range, seen from that stage.

    The range is cut at the birth first, so an article for "pregnancy to 12 months" counts as
    "0 to 12 months" for a baby and ties with the articles written for that first year.
    """
    low, high = article.age_months
    if age >= 0:
        low = max(low, 0)
    else:
        high = min(high, 0)
    return abs(age - (low + high) / 2)


def _fits_stage(article: Article, age: int) -> bool:
    """Whether the article suits this age; any age before the birth means "in pregnancy"."""
    if age < 0:
        return article.fits_pregnancy
    return article.fits_age(age)


# --- loading ---------------------------------------------------------------------------------


def load_library(
    folder: Path = DEFAULT_FOLDER,
    locales: Sequence[str] = SUPPORTED_LOCALES,
    today: date | None = None,
) -> Library:
    """Load and check every article in ``folder``; raise LibraryError on the first problem.

    Every article needs a file per locale, with the same front matter apart from the
    translated fields. With ``today`` set, an article whose ``next_review`` is not after it is
    an error too (the content tests use this; the running bot does not refuse to start).
    """
    locales = tuple(locales)
    if not locales:
        raise LibraryError(f"{folder}: no locales given")
    if not folder.is_dir():
        raise LibraryError(f"{folder}: the library folder does not exist")
    source = SOURCE_LOCALE if SOURCE_LOCALE in locales else locales[0]
    versions: dict[str, dict[str, Article]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        article = read_article(path, locales, today)
        versions.setdefault(article.id, {})[article.locale] = article
    if not versions:
        raise LibraryError(f"{folder}: no articles found")

    for article_id, by_locale in sorted(versions.items()):
        for locale in locales:
            if locale not in by_locale:
                have = ", ".join(sorted(by_locale))
                raise LibraryError(
                    f"{folder / f'{article_id}.{locale}.md'}: missing translation "
                    f"(the article exists in {have})"
                )
        original = by_locale[source]
        for locale, article in by_locale.items():
            differing = [
                name
                for name in FrontMatter.model_fields
                if name not in TRANSLATED_FIELDS
                and getattr(article, name) != getattr(original, name)
            ]
            if differing:
                raise LibraryError(
                    f"{folder / f'{article_id}.{locale}.md'}: front matter differs from "
                    f"{article_id}.{source}.md in {', '.join(differing)} (only "
                    f"{', '.join(sorted(TRANSLATED_FIELDS))} may be translated)"
                )

    for article_id, by_locale in sorted(versions.items()):
        for locale, article in by_locale.items():
            path = folder / f"{article_id}.{locale}.md"
            for other in article.related:
                if other not in versions:
                    raise LibraryError(f"{path}: related article {other!r} does not exist")
            for other in internal_links(article):
                if other not in versions:
                    raise LibraryError(f"{path}: link to article:{other} which does not exist")

    return Library(
        (article for by_locale in versions.values() for article in by_locale.values()),
        locales,
    )


def _split_name(path: Path, locales: Sequence[str]) -> tuple[str, str]:
    parts = path.name.split(".")
    if len(parts) != 3 or parts[2] != "md" or not parts[0]:
        raise LibraryError(f"{path}: the file name must be <id>.<locale>.md")
    article_id, locale = parts[0], parts[1]
    if locale not in locales:
        raise LibraryError(
            f"{path}: unknown locale suffix {locale!r} (expected one of {', '.join(locales)})"
        )
    return article_id, locale


def read_article(
    path: Path, locales: Sequence[str] = SUPPORTED_LOCALES, today: date | None = None
) -> Article:
    """Read and check one article file on its own (``load_library`` checks them together).

    Raises LibraryError naming the file; ``today`` as for ``load_library``.
    """
    article_id, locale = _split_name(path, locales)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(f"{path}: cannot read the file ({exc})") from None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise LibraryError(f"{path}: line 1: the file must start with a '---' line")
    try:
        end = next(n for n, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise LibraryError(f"{path}: the front matter has no closing '---' line") from None
    data = _read_yaml("\n".join(lines[1:end]), path)
    if not isinstance(data, dict):
        raise LibraryError(f"{path}: the front matter must be a mapping of field: value")
    try:
        front = FrontMatter.model_validate(data)
    except ValidationError as exc:
        raise LibraryError(f"{path}: {describe(exc, FrontMatter)}") from None
    if front.id != article_id:
        raise LibraryError(
            f"{path}: id {front.id!r} differs from the file name (expected {article_id!r})"
        )
    if today is not None and front.next_review <= today:
        raise LibraryError(f"{path}: next_review {front.next_review} is not after {today}")
    body_lines = lines[end + 1 :]
    leading = next((n for n, line in enumerate(body_lines) if line.strip()), len(body_lines))
    body = "\n".join(body_lines[leading:]).rstrip()
    if not body:
        raise LibraryError(f"{path}: the article has no body")
    try:
        _blocks(body)
    except _MarkupError as exc:
        # Report the line in the file, not in the body, so an editor can jump to it.
        raise LibraryError(f"{path}: line {end + 1 + leading + exc.line}: {exc.problem}") from None
    # Right-to-left text gets its number groups isolated here, so authors type none.
    shown = {name: in_reading_order(getattr(front, name), locale) for name in ("title", "summary")}
    return Article(
        **(front.model_dump() | shown), locale=locale, body=in_reading_order(body, locale)
    )


def _read_yaml(text: str, path: Path) -> Any:
    try:
        return parse_yaml(text, first_line=2)  # the front matter starts on line 2
    except YamlProblem as problem:
        raise LibraryError(f"{path}: {problem}") from None


# --- the Markdown subset ---------------------------------------------------------------------


class _MarkupError(ValueError):
    """A body uses Markdown the library does not support; ``line`` counts from the body's top."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


@dataclass(frozen=True, slots=True)
class _Run:
    """A stretch of text with one formatting; ``article`` is set for an internal link."""

    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None
    article: str | None = None


@dataclass(frozen=True, slots=True)
class _Block:
    """A heading, a paragraph or a bullet list; ``lines`` holds one entry per list item."""

    kind: Literal["heading", "paragraph", "list"]
    lines: tuple[tuple[_Run, ...], ...]


_INLINE = re.compile(
    r"\[(?P<label>[^\]\n]*)\]\((?P<target>[^)\n]*)\)"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|(?<!\w)_(?P<italic>[^_\n]+?)_(?!\w)"
)
_ARTICLE_TARGET = re.compile(r"^article:(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)$")
_LINE_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s"), "indented line: nested lists and code blocks are not supported"),
    (re.compile(r"^#(?!# )"), "only '## ' headings are supported"),
    (re.compile(r"^[*+] "), "bullets start with '- '"),
    (re.compile(r"^\d+[.)] "), "numbered lists are not supported; use '- ' bullets"),
    (re.compile(r"^\|"), "tables are not supported"),
    (re.compile(r"^>"), "block quotes are not supported"),
    (re.compile(r"^(```|~~~)"), "code blocks are not supported"),
    (re.compile(r"^(-{3,}|\*{3,}|_{3,})$"), "horizontal rules are not supported"),
    (re.compile(r"!\["), "images are not supported"),
)
_TEXT_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<[A-Za-z/!?]"), "HTML tags are not supported"),
    (re.compile(r"&(#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);"), "HTML entities are not supported"),
    (re.compile(r"\]\(|\[[^\]]*\]\s*\("), "a link is not written as [text](target)"),
    (re.compile(r"\*\*"), "'**' without its closing '**'"),
    (re.compile(r"__"), "write bold as **text** and italics as _text_"),
    (re.compile(r"`"), "code is not supported"),
    (re.compile(r"\|\s*-{3,}"), "tables are not supported"),
)


@lru_cache(maxsize=1024)
def _blocks(body: str) -> tuple[_Block, ...]:
    """Parse a body into blocks, or raise _MarkupError for anything outside the subset."""
    blocks: list[_Block] = []
    kind: Literal["heading", "paragraph", "list"] | None = None
    pending: list[tuple[int, str]] = []  # (line number, source) per paragraph or list item

    def close() -> None:
        nonlocal kind
        if kind is not None and pending:
            lines = tuple(_inline(source, number) for number, source in pending)
            blocks.append(_Block(kind, lines))
        kind = None
        pending.clear()

    for number, raw in enumerate(body.splitlines(), start=1):
        line = raw.rstrip()
        if not line:
            close()
            continue
        for pattern, problem in _LINE_PROBLEMS:
            if pattern.search(line):
                raise _MarkupError(number, f"{problem}: {line[:40]!r}")
        if line.startswith("## "):
            close()
            blocks.append(_Block("heading", (_inline(line[3:].strip(), number, bold=True),)))
        elif line.startswith("- "):
            if kind != "list":
                close()
                kind = "list"
            pending.append((number, line[2:].strip()))
        elif kind is None:
            kind = "paragraph"
            pending.append((number, line))
        else:
            # A line straight after another continues that paragraph or list item.
            first, source = pending[-1]
            pending[-1] = (first, f"{source} {line}")
    close()
    return tuple(blocks)


def _inline(
    source: str, number: int, *, bold: bool = False, italic: bool = False, href: str | None = None
) -> tuple[_Run, ...]:
    """Runs for one line of text: **bold**, _italic_ and [text](target) links, nested."""
    runs: list[_Run] = []
    pos = 0

    def plain(text: str) -> None:
        for pattern, problem in _TEXT_PROBLEMS:
            if pattern.search(text):
                raise _MarkupError(number, f"{problem}: {text.strip()[:40]!r}")
        if text:
            runs.append(_Run(text, bold=bold, italic=italic, href=href))

    for match in _INLINE.finditer(source):
        plain(source[pos : match.start()])
        pos = match.end()
        if match.group("bold") is not None:
            runs.extend(_inline(match.group("bold"), number, bold=True, italic=italic, href=href))
        elif match.group("italic") is not None:
            runs.extend(_inline(match.group("italic"), number, bold=bold, italic=True, href=href))
        else:
            label, target = match.group("label").strip(), match.group("target").strip()
            if href is not None:
                raise _MarkupError(number, f"a link inside a link: {match.group()[:40]!r}")
            if not label:
                raise _MarkupError(number, f"a link without text: {match.group()[:40]!r}")
            internal = _ARTICLE_TARGET.match(target)
            if internal:
                # Article links become buttons in the bot; in the text they are just bold.
                for run in _inline(label, number, bold=True, italic=italic):
                    runs.append(_Run(run.text, True, run.italic, None, internal.group("id")))
            elif _URL.match(target):
                runs.extend(_inline(label, number, bold=bold, italic=italic, href=target))
            else:
                raise _MarkupError(
                    number, f"link target {target!r} is neither an http(s) URL nor article:<id>"
                )
    plain(source[pos:])
    return tuple(runs)


def plain_text(article: Article) -> str:
    """The body as plain text without markup, one line per paragraph, heading or item."""
    return "\n".join(
        "".join(run.text for run in line)
        for block in _blocks(article.body)
        for line in block.lines
    )


def internal_links(article: Article) -> list[str]:
    """The ids the body links to with [text](article:id), in order, each once."""
    seen: dict[str, None] = {}
    for block in _blocks(article.body):
        for line in block.lines:
            for run in line:
                if run.article is not None:
                    seen.setdefault(run.article)
    return list(seen)


# --- Telegram HTML ---------------------------------------------------------------------------


_TAG = re.compile(r"<[^>]*>")


def telegram_length(html: str) -> int:
    """The length Telegram counts for a message: visible text, in UTF-16 code units."""
    visible = unescape(_TAG.sub("", html))
    return len(visible.encode("utf-16-le")) // 2


def _render(runs: Iterable[_Run]) -> str:
    """Telegram HTML for runs; each run closes its own tags, so any split stays balanced."""
    merged: list[_Run] = []
    for run in runs:
        last = merged[-1] if merged else None
        if last and (last.bold, last.italic, last.href) == (run.bold, run.italic, run.href):
            merged[-1] = _Run(last.text + run.text, run.bold, run.italic, run.href)
        else:
            merged.append(run)
    parts = []
    for run in merged:
        text = escape(run.text, quote=False)
        if run.italic:
            text = f"<i>{text}</i>"
        if run.bold:
            text = f"<b>{text}</b>"
        if run.href is not None:
            text = f'<a href="{escape(run.href)}">{text}</a>'
        parts.append(text)
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class _Piece:
    """One line of a page: its HTML, visible length, the separator before it and its group."""

    html: str
    visible: int
    sep: str
    group: int
    runs: tuple[_Run, ...] = ()


def _piece(runs: Sequence[_Run], sep: str, group: int) -> _Piece:
    html = _render(runs)
    return _Piece(html, telegram_length(html), sep, group, tuple(runs))


def _measure(pieces: Sequence[_Piece]) -> tuple[int, int]:
    seps = sum(len(p.sep) for p in pieces[1:])
    return sum(p.visible for p in pieces) + seps, sum(len(p.html) for p in pieces) + seps


def _fits_page(pieces: Sequence[_Piece], limit: int) -> bool:
    visible, html = _measure(pieces)
    return visible <= limit and html <= MAX_HTML_CHARS


def _join(pieces: Sequence[_Piece]) -> str:
    return pieces[0].html + "".join(p.sep + p.html for p in pieces[1:]) if pieces else ""


def render_pages(article: Article, limit: int = MAX_MESSAGE_CHARS, footer: str = "") -> list[str]:
    """The article as Telegram HTML messages, each at most ``limit`` characters as Telegram
    counts them (and under MAX_HTML_CHARS of HTML), with ``footer`` ending the last one.

    The first page starts with the title in bold. Pages break between blocks, a heading stays
    with what follows it, and only a block longer than a page is broken, between list items
    or words, never inside a tag.
    """
    groups = _groups(article)
    pages: list[list[_Piece]] = [[]]
    for group in groups:
        if _fits_page(pages[-1] + group, limit):
            pages[-1].extend(group)
            continue
        if _fits_page(group, limit):
            pages.append(list(group))
            continue
        for piece in group:
            for part in [piece] if _fits_page([piece], limit) else _split_piece(piece, limit):
                if _fits_page([*pages[-1], part], limit):
                    pages[-1].append(part)
                else:
                    pages.append([part])
    if footer:
        _attach_footer(pages, _Piece(footer, telegram_length(footer), "\n\n", -1), limit)
    return [_join(page) for page in pages]


def _groups(article: Article) -> list[list[_Piece]]:
    """Pieces grouped so a page never breaks inside a group unless it must."""
    groups: list[list[_Piece]] = [[_piece([_Run(article.title, bold=True)], "", 0)]]
    heading: _Piece | None = None
    for block in _blocks(article.body):
        index = len(groups)
        if block.kind == "heading":
            if heading is not None:
                groups.append([heading])
            heading = _piece(block.lines[0], "\n\n", index)
            continue
        group = [] if heading is None else [heading]
        for n, line in enumerate(block.lines):
            if block.kind == "list":
                line = (_Run("• "), *line)
            sep = "\n" if n or heading is not None else "\n\n"
            group.append(_piece(line, sep, index))
        heading = None
        groups.append(group)
    if heading is not None:
        groups.append([heading])
    return groups


def _split_piece(piece: _Piece, limit: int) -> list[_Piece]:
    """Break a line longer than a page between words; each part renders balanced HTML."""
    words: list[list[_Run]] = [[]]
    for run in piece.runs:
        for chunk in re.findall(r"\S+\s*|\s+", run.text):
            words[-1].append(_Run(chunk, run.bold, run.italic, run.href))
            if chunk[-1].isspace():
                words.append([])
    parts: list[_Piece] = []
    current: list[_Run] = []
    for word in (w for w in words if w):
        candidate = _piece([*current, *word], piece.sep if not parts else "\n", piece.group)
        if current and not _fits_page([candidate], limit):
            parts.append(_piece(current, piece.sep if not parts else "\n", piece.group))
            current = list(word)
        else:
            current.extend(word)
    if current:
        parts.append(_piece(current, piece.sep if not parts else "\n", piece.group))
    for part in parts:
        if not _fits_page([part], limit):
            raise ValueError(f"a single word is longer than {limit} characters")
    return parts


def _attach_footer(pages: list[list[_Piece]], footer: _Piece, limit: int) -> None:
    """Put the footer on the last page, moving the last group to a new page if it must."""
    if not _fits_page([footer], limit):
        raise ValueError(f"the footer alone is longer than {limit} characters")
    last = pages[-1]
    if _fits_page([*last, footer], limit):
        last.append(footer)
        return
    tail = [p for p in last if p.group == last[-1].group]
    if len(tail) < len(last) and _fits_page([*tail, footer], limit):
        del last[len(last) - len(tail) :]
        pages.append([*tail, footer])
    else:
        pages.append([footer])


def sources_footer(article: Article, heading: str) -> str:
    """The sources as a Telegram HTML footer: ``heading`` in bold, then one link per line."""
    lines = [f"<b>{escape(heading, quote=False)}</b>"]
    for url in article.sources:
        lines.append(f'• <a href="{escape(url)}">{escape(_short_url(url), quote=False)}</a>')
    return "\n".join(lines)


def _short_url(url: str, width: int = 60) -> str:
    """A URL as a reader needs to see it: no scheme, no www., cut to ``width`` characters."""
    text = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
    return text if len(text) <= width else text[: width - 1] + "…"
