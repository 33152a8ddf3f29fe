"""The message plan: which timed reminders a family gets, when, and their text in every locale.

The plan (``resources/plan/plan.yaml``) and its messages (``plan/messages/<locale>.yaml``) are
data a service manager edits; ``load_plan`` validates them together and raises ``PlanError``
with one line naming the file, the entry and what is wrong.
"""

from __future__ import annotations

import re
import string
from calendar import monthrange
from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from locales import SUPPORTED_LOCALES, in_reading_order
from resources.topics import Topic
from resources.validation_errors import describe
from resources.yaml_files import YamlProblem, parse_yaml

__all__ = [
    "DEFAULT_PLAN_PATH",
    "MAX_MESSAGE_CHARS",
    "Anchor",
    "MessagePlan",
    "PlanEntry",
    "PlanError",
    "Priority",
    "Topic",
    "Track",
    "load_plan",
]

DEFAULT_PLAN_PATH = Path(__file__).parent / "plan" / "plan.yaml"
SOURCE_LOCALE = "en"
MAX_MESSAGE_CHARS = 1000
# Keys travel in Telegram callback data (64 bytes in all), so leave room for a prefix.
MAX_KEY_CHARS = 48
ALLOWED_HTML_TAGS = frozenset({"b", "i"})

_KEY_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
# Outbox keys made from a plan key carry a character no plan key has, so they never clash:
# a yearly entry's season is "key:2026", a campaign's question to families is "key:ask".
SEASON_MARK = ":"
QUESTION_MARK = ":ask"
_ARTICLE_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);")


class PlanError(ValueError):
    """The plan or one of its message files is invalid; the message is one line."""


class Track(StrEnum):
    """Who an entry is for. ``fathers`` is the opt-in fathers' and partners' track."""

    EVERYONE = "everyone"
    FATHERS = "fathers"
    ANTENATAL = "antenatal"


class Anchor(StrEnum):
    """The date an entry is timed from: due date (expected babies) or date of birth (born)."""

    DUE_DATE = "due_date"
    BIRTH_DATE = "birth_date"


class Priority(StrEnum):
    """``critical``: reviews and immunisations, time-critical. ``tip``: everything else."""

    CRITICAL = "critical"
    TIP = "tip"


Month = Annotated[int, Field(ge=1, le=12, strict=True)]
Age = Annotated[int, Field(ge=0, le=18, strict=True)]


class PlanEntry(BaseModel):
    """One timed message: who gets it, on which day, and what it links to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=_KEY_PATTERN, max_length=MAX_KEY_CHARS)
    track: Track
    anchor: Anchor
    offset_days: int | None = Field(default=None, strict=True)
    topic: Topic
    priority: Priority
    stale_after_days: int | None = Field(default=None, ge=1, strict=True)
    runs_from: date | None = None
    runs_until: date | None = None
    born_from: date | None = None
    born_until: date | None = None
    months: tuple[Month, ...] | None = Field(default=None, min_length=1)
    ages: tuple[Age, ...] | None = Field(default=None, min_length=1)
    time_critical: bool = Field(default=False, strict=True)
    ask_families: bool = Field(default=False, strict=True)
    article: str | None = Field(default=None, pattern=_ARTICLE_PATTERN)

    @model_validator(mode="after")
    def _check_consistency(self) -> PlanEntry:
        if self.track is Track.ANTENATAL and self.anchor is not Anchor.DUE_DATE:
            raise ValueError("track 'antenatal' needs anchor 'due_date', not 'birth_date'")
        if self.anchor is Anchor.DUE_DATE and (self.born_from or self.born_until):
            raise ValueError("born_from/born_until only apply to anchor 'birth_date'")
        if self.born_from and self.born_until and self.born_from > self.born_until:
            raise ValueError(f"born_from {self.born_from} is after born_until {self.born_until}")
        if self.months is not None and len(set(self.months)) != len(self.months):
            raise ValueError("months lists a month twice")
        if self.ages is not None:
            self._check_yearly()
        elif self.runs_from is None and self.runs_until is None:
            if self.offset_days is None or self.stale_after_days is None:
                raise ValueError(
                    "give offset_days and stale_after_days (a timed entry), "
                    "or runs_from and runs_until (a campaign), or ages and months (every year)"
                )
        else:
            self._check_campaign()
        if self.time_critical and self.offset_days is None:
            raise ValueError(
                "time_critical is only for a timed entry (offset_days): campaigns and yearly "
                "entries reach families who join late anyway"
            )
        if self.ask_families and self.runs_from is None:
            raise ValueError("ask_families is only for a campaign (runs_from/runs_until)")
        return self

    def _check_campaign(self) -> None:
        """A campaign (such as a vaccine catch-up) runs between two calendar dates for a
        birth cohort, so it has no offset, window or months of its own."""
        if self.runs_from is None or self.runs_until is None:
            raise ValueError("a campaign needs both runs_from and runs_until")
        if self.runs_from > self.runs_until:
            raise ValueError(f"runs_from {self.runs_from} is after runs_until {self.runs_until}")
        if self.offset_days is not None or self.stale_after_days is not None:
            raise ValueError(
                "a campaign (runs_from/runs_until) has no offset_days or stale_after_days"
            )
        if self.months is not None:
            raise ValueError("a campaign (runs_from/runs_until) has no months")
        if self.anchor is not Anchor.BIRTH_DATE:
            raise ValueError("a campaign needs anchor 'birth_date' and a birth cohort")
        if self.born_from is None and self.born_until is None:
            raise ValueError("a campaign needs born_from or born_until (who it is for)")

    def _check_yearly(self) -> None:
        """A yearly entry (such as the children's flu vaccine) comes every season, in its
        months, to each child whose age on the season's first day is one of its ages."""
        assert self.ages is not None
        if self.months is None:
            raise ValueError("a yearly entry (ages) needs months: the season it comes in")
        timing = ("offset_days", "stale_after_days", "runs_from", "runs_until")
        cohort = ("born_from", "born_until")
        given = [name for name in (*timing, *cohort) if getattr(self, name) is not None]
        if given:
            raise ValueError(f"a yearly entry (ages) has no {given[0]}: its ages decide who")
        if self.anchor is not Anchor.BIRTH_DATE:
            raise ValueError("a yearly entry (ages) needs anchor 'birth_date'")
        if list(self.ages) != list(range(self.ages[0], self.ages[0] + len(self.ages))):
            raise ValueError("ages must be years in a row, youngest first, e.g. [2, 3, 4]")
        pairs = zip(self.months, self.months[1:], strict=False)
        if any(after != before % 12 + 1 for before, after in pairs):
            raise ValueError(
                "the months of a yearly entry must follow on from its first month, "
                "e.g. [9, 10, 11, 12] or [11, 12, 1]"
            )

    @property
    def is_campaign(self) -> bool:
        """Sent once, on the campaign's first day (or on joining, while it runs)."""
        return self.runs_from is not None

    @property
    def is_yearly(self) -> bool:
        """Sent every season to the children of its ages; each season is a campaign."""
        return self.ages is not None

    @property
    def question_key(self) -> str:
        """The outbox key of a campaign's question to families (see ``ask_families``)."""
        return self.key + QUESTION_MARK

    def season(self, year: int) -> PlanEntry:
        """A yearly entry's season starting in ``year``, as a campaign for the children whose
        age on its first day is one of the entry's ages. Its key names the year: 'key:2026'."""
        assert self.ages is not None and self.months is not None
        first, last = self.months[0], self.months[-1]
        start = date(year, first, 1)
        end_year = year + 1 if last < first else year
        end = date(end_year, last, monthrange(end_year, last)[1])
        return self.model_copy(
            update={
                "key": f"{self.key}{SEASON_MARK}{year}",
                "runs_from": start,
                "runs_until": end,
                # Aged a on the first day: born on or before that day a years earlier.
                "born_from": date(year - self.ages[-1] - 1, first, 1) + timedelta(days=1),
                "born_until": date(year - self.ages[0], first, 1),
                "months": None,
                "ages": None,
            }
        )

    def seasons(self, first: date, last: date) -> list[PlanEntry]:
        """The seasons of a yearly entry that run on any day from ``first`` to ``last``."""
        found = (self.season(year) for year in range(first.year - 1, last.year + 1))
        return [season for season in found if season.runs_between(first, last)]

    def runs_between(self, first: date, last: date) -> bool:
        """Whether a campaign runs on any day from ``first`` to ``last``."""
        if self.runs_from is None or self.runs_until is None:
            return False
        return self.runs_from <= last and self.runs_until >= first

    def due_day(self, anchor_day: date) -> date:
        """The nominal day of this entry for a child with this due date or date of birth."""
        if self.runs_from is not None:
            return self.runs_from
        assert self.offset_days is not None
        return anchor_day + timedelta(days=self.offset_days)

    def last_day(self, anchor_day: date) -> date:
        """The last day it may still be sent; after this it is skipped, not sent late."""
        if self.runs_until is not None:
            return self.runs_until
        assert self.stale_after_days is not None
        return self.due_day(anchor_day) + timedelta(days=self.stale_after_days)

    def send_day(self, anchor_day: date, not_before: date | None = None) -> date | None:
        """The first day on or after the due day (and ``not_before``) it may be sent, or None.

        The day must fall in the stale window and, if ``months`` is set, in one of those months.
        None means the entry is stale (or its months never fall in the window): skip it.
        """
        day = self.due_day(anchor_day)
        if not_before is not None and not_before > day:
            day = not_before
        last = self.last_day(anchor_day)
        while day <= last:
            if self.months is None or day.month in self.months:
                return day
            # Jump to the 1st of the next month rather than walking day by day.
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return None

    def covers_birth(self, born_on: date) -> bool:
        """Whether a child born on this day is in the entry's birth cohort (if it has one)."""
        if self.born_from is not None and born_on < self.born_from:
            return False
        return self.born_until is None or born_on <= self.born_until


class MessagePlan:
    """The validated plan: its entries in file order and their text in every loaded locale."""

    __slots__ = ("_messages", "by_key", "entries", "locales")

    def __init__(
        self, entries: Sequence[PlanEntry], messages: Mapping[str, Mapping[str, str]]
    ) -> None:
        self.entries: tuple[PlanEntry, ...] = tuple(entries)
        self.by_key: Mapping[str, PlanEntry] = MappingProxyType({e.key: e for e in entries})
        self.locales: tuple[str, ...] = tuple(messages)
        self._messages = {loc: dict(texts) for loc, texts in messages.items()}

    def text(self, key: str, locale: str) -> str:
        """The message for ``key`` (a plan key or a season's key) in ``locale`` (Telegram HTML).

        ``pt-PT`` or ``pl_PL`` fall back to ``pt`` or ``pl``; a locale that is not loaded
        falls back to English. An unknown key raises KeyError.
        """
        self.entry(key)  # raises KeyError for a key the plan does not have
        plan_key = key.partition(SEASON_MARK)[0]
        for candidate in (locale, re.split(r"[-_]", locale, maxsplit=1)[0], SOURCE_LOCALE):
            if candidate in self._messages:
                return self._messages[candidate][plan_key]
        raise KeyError(f"no messages loaded for locale {locale!r}")

    def entry(self, key: str) -> PlanEntry:
        """The entry an outbox row or campaign marker names: a plan key, or a yearly entry's
        season ('key:2026'). Anything else raises KeyError."""
        plan_key, mark, year = key.partition(SEASON_MARK)
        if plan_key not in self.by_key:
            raise KeyError(f"no plan entry {key!r}")
        entry = self.by_key[plan_key]
        if not mark:
            return entry
        if not (entry.is_yearly and year.isdigit() and len(year) == 4):
            raise KeyError(f"no plan entry {key!r}")
        return entry.season(int(year))

    def asking(self, key: str) -> PlanEntry | None:
        """The campaign whose question to families has this outbox key, if it is one."""
        entry = self.by_key.get(key.removesuffix(QUESTION_MARK))
        if entry is None or not entry.ask_families or key != entry.question_key:
            return None
        return entry

    def campaigns(self, first: date, last: date) -> list[PlanEntry]:
        """Every campaign running on any day from ``first`` to ``last``, the seasons of yearly
        entries included, in plan order."""
        found: list[PlanEntry] = []
        for entry in self.entries:
            if entry.is_yearly:
                found += entry.seasons(first, last)
            elif entry.runs_between(first, last):
                found.append(entry)
        return found

    def entries_for(
        self,
        *,
        born_on: date | None,
        fathers: bool = False,
        seasons: tuple[date, date] | None = None,
    ) -> tuple[PlanEntry, ...]:
        """The entries that apply to one child: expected (``born_on`` None) or born on that day.

        Expected babies get the due-date entries; born babies get the birth-date entries of
        their birth cohort. Fathers' track entries are included only if ``fathers`` is set.
        With ``seasons`` (a first and last day), a yearly entry comes as its seasons running
        then that take this child, instead of as itself.
        """
        wanted = Anchor.DUE_DATE if born_on is None else Anchor.BIRTH_DATE
        found: list[PlanEntry] = []
        for entry in self.entries:
            if entry.anchor is not wanted or (entry.track is Track.FATHERS and not fathers):
                continue
            candidates = [entry]
            if seasons is not None and entry.is_yearly:
                candidates = entry.seasons(*seasons)
            found += [e for e in candidates if born_on is None or e.covers_birth(born_on)]
        return tuple(found)

    def __repr__(self) -> str:
        return f"MessagePlan({len(self.entries)} entries, locales={self.locales})"


def load_plan(
    path: Path | None = None,
    locales: Sequence[str] = SUPPORTED_LOCALES,
    article_ids: Collection[str] | None = None,
) -> MessagePlan:
    """Load and validate the plan at ``path`` and ``<its folder>/messages/<locale>.yaml``.

    ``locales`` must include English, the source every translation is checked against.
    Pass ``article_ids`` (the library's article ids) to reject links to unknown articles.
    Raises PlanError naming the file, the entry and the problem.
    """
    path = Path(path) if path is not None else DEFAULT_PLAN_PATH
    if SOURCE_LOCALE not in locales:
        raise PlanError(f"{path}: locales must include {SOURCE_LOCALE!r}, got {list(locales)}")
    entries = _load_entries(path, article_ids)
    keys = [e.key for e in entries]
    folder = path.parent / "messages"
    ordered = [SOURCE_LOCALE, *(loc for loc in locales if loc != SOURCE_LOCALE)]
    messages: dict[str, dict[str, str]] = {}
    for locale in ordered:
        messages[locale] = _load_messages(
            folder / f"{locale}.yaml", keys, messages.get(SOURCE_LOCALE)
        )
    # Right-to-left text gets its number groups isolated here, so authors type none.
    return MessagePlan(
        entries,
        {loc: {k: in_reading_order(t, loc) for k, t in messages[loc].items()} for loc in locales},
    )


# --- plan file -------------------------------------------------------------------------------


def _load_entries(path: Path, article_ids: Collection[str] | None) -> list[PlanEntry]:
    data = _read_yaml(path)
    if not isinstance(data, dict) or set(data) != {"entries"}:
        raise PlanError(f"{path}: the file must hold one top-level field, 'entries' (a list)")
    raw_entries = data["entries"]
    if not isinstance(raw_entries, list) or not raw_entries:
        raise PlanError(f"{path}: 'entries' must be a non-empty list")
    entries: list[PlanEntry] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_entries):
        where = _entry_label(raw, index)
        if not isinstance(raw, dict):
            raise PlanError(f"{path}: {where}: must be a mapping of field: value")
        try:
            entry = PlanEntry.model_validate(raw)
        except ValidationError as exc:
            raise PlanError(f"{path}: {where}: {describe(exc, PlanEntry)}") from None
        if entry.key in seen:
            raise PlanError(
                f"{path}: {where}: duplicate key, already used by entry #{seen[entry.key] + 1}"
            )
        if article_ids is not None and entry.article and entry.article not in article_ids:
            raise PlanError(f"{path}: {where}: article {entry.article!r} is not in the library")
        seen[entry.key] = index
        entries.append(entry)
    return entries


def _entry_label(raw: object, index: int) -> str:
    key = raw.get("key") if isinstance(raw, dict) else None
    if isinstance(key, str) and key:
        return f"entry {key!r} (#{index + 1})"
    return f"entry #{index + 1}"


# --- message files ---------------------------------------------------------------------------


def _load_messages(
    path: Path, keys: Sequence[str], english: Mapping[str, str] | None
) -> dict[str, str]:
    if not path.exists():
        raise PlanError(f"{path}: message file is missing")
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise PlanError(f"{path}: the file must be a mapping of entry key: message text")
    known = set(keys)
    for key in data:
        if key not in known:
            raise PlanError(f"{path}: message {key!r} has no plan entry")
    texts: dict[str, str] = {}
    for key in keys:
        where = f"{path}: message {key!r}"
        text = data.get(key)
        if text is None:
            raise PlanError(f"{where}: missing")
        if not isinstance(text, str):
            raise PlanError(f"{where}: must be text, got {type(text).__name__}")
        text = text.strip()
        if not text:
            raise PlanError(f"{where}: empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise PlanError(f"{where}: {len(text)} characters, the limit is {MAX_MESSAGE_CHARS}")
        tags = _check_html(text, where)
        fields = _placeholders(text, where)
        if english is not None:
            if fields != _placeholders(english[key], where):
                raise PlanError(
                    f"{where}: placeholders {sorted(fields)} differ from English "
                    f"{sorted(_placeholders(english[key], where))}"
                )
            english_tags = _check_html(english[key], where)
            if tags != english_tags:
                raise PlanError(
                    f"{where}: HTML tags {sorted(tags)} differ from English {sorted(english_tags)}"
                )
        texts[key] = text
    return texts


def _placeholders(text: str, where: str) -> frozenset[str]:
    try:
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(text) if name is not None
        )
    except ValueError:
        raise PlanError(f"{where}: a lone '{{' or '}}' (write placeholders as {{name}})") from None


def _check_html(text: str, where: str) -> frozenset[str]:
    """Check the text is valid Telegram HTML using only <b> and <i>; return the tags used."""
    stack: list[str] = []
    used: set[str] = set()
    pos = 0
    for match in re.finditer(r"[<>&]", text):
        if match.start() < pos:
            continue
        char = match.group()
        if char == "&":
            if not _ENTITY.match(text, match.start()):
                raise PlanError(f"{where}: a bare '&' (write &amp;)")
            continue
        tag = _TAG.match(text, match.start())
        if char == ">" or tag is None:
            raise PlanError(f"{where}: a stray {char!r} (write &lt; or &gt;)")
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if name not in ALLOWED_HTML_TAGS:
            raise PlanError(f"{where}: tag <{name}> is not allowed (only <b> and <i>)")
        if closing:
            if not stack or stack[-1] != name:
                raise PlanError(f"{where}: </{name}> does not close an open <{name}>")
            stack.pop()
        else:
            stack.append(name)
            used.add(name)
        pos = tag.end()
    if stack:
        raise PlanError(f"{where}: <{stack[-1]}> is never closed")
    return frozenset(used)


# --- YAML ------------------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"{path}: cannot read file ({exc.strerror})") from None
    try:
        return parse_yaml(text)
    except YamlProblem as problem:
        raise PlanError(f"{path}: {problem}") from None
