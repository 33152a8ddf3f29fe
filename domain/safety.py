"""Spot messages that read like an emergency, in English, Polish, Portuguese or Arabic.

The bot checks every message with `assess` before anything else. The words to look for live in
`resources/safety/rules/` for a clinician to review; this module only matches them. Recall
matters most; ordinary talk, and questions about a symptom, must not raise the alarm.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Generic, TypeVar, cast

from rapidfuzz.distance import OSA, Indel
from rapidfuzz.process import extractOne

from locales.text_folding import ARABIC_DIGITS, LETTER_VARIANTS
from resources.safety_rules import Emergency, SafetyRuleError, SafetyRules, shipped_safety_rules

__all__ = ["Assessment", "Emergency", "EmergencyDetector", "assess", "detect_emergency"]

# Telegram messages stop at 4096 characters; this bounds the work for anything else pasted in.
_MAX_CHARS = 10_000
# Short words have too many real neighbours ("hit"/"sit", "blue"/"glue") to forgive a slip.
_FUZZY_MIN_LENGTH = 5
# Words around a match looked at when a rule names words that make it ordinary.
_NEAR_WINDOW = 4
# Words whose lookups are remembered, and whose spelling is (see `_canonical`).
_CACHED_WORDS = 50_000

_FOLDS = (
    ARABIC_DIGITS | LETTER_VARIANTS | str.maketrans({"'": None, "’": None, "ʼ": None, "`": None})
)
# Combining marks left by NFKD: Latin accents, and Arabic tashkeel and hamza (so أ إ آ -> ا).
_MARKS = re.compile("[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_WORD = re.compile(r"[^\W_]+")
# A sentence ends at . ? ! ; or a new line, but not at the point of "38.5".
_SENTENCE_END = re.compile(r"(?<!\d)\.|\.(?!\d)|[?!;؟\n]")
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_T = TypeVar("_T")
# Longest first, so "وال" is tried before "و".
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل")


def _words(text: str) -> list[str]:
    """Fold case, accents, Arabic spelling variants and digits, then split into words."""
    folded = text.casefold().translate(_FOLDS)
    if not folded.isascii():
        folded = _MARKS.sub("", unicodedata.normalize("NFKD", folded))
    return _WORD.findall(folded)


# A rule word ending in * stands for every word that starts with it ("połkn*" for połknął,
# połknęła, połknąć…); the stem must be this long, so it cannot swallow short common words.
PREFIX_MIN_LENGTH = 3


# What most rule words carry: "the word alone will do" (a choice of one word) and "yes, it is
# one of the set" (an "unless near" list). About 26,000 words share these two tuples instead
# of a tuple each: 1.3 MiB of the bot's memory budget (bench/memory.py).
_ALONE: Any = ((),)
_IN_THE_SET: Any = (True,)


def _with(values: tuple[_T, ...] | None, value: _T) -> tuple[_T, ...]:
    """``values`` and ``value``, as a tuple."""
    if values:
        return (*values, value)
    if value is True:
        return cast(tuple[_T, ...], _IN_THE_SET)
    if isinstance(value, tuple) and not value:
        return cast(tuple[_T, ...], _ALONE)
    return (value,)


class _WordIndex(Generic[_T]):
    """Values keyed by a word, or by a stem that a word starts with."""

    __slots__ = ("_exact", "_found", "_longest_stem", "_stems")

    def __init__(self, *, remember: bool = False) -> None:
        # Tuples, not lists: there are tens of thousands of these, and they never change.
        self._exact: dict[str, tuple[_T, ...]] = {}
        self._stems: dict[str, tuple[_T, ...]] = {}
        self._longest_stem = 0
        # What `get` found, per word: only for the few indexes every word of a message is
        # looked up in (thousands of per-rule indexes each keeping one would grow without end).
        self._found: dict[str, tuple[_T, ...]] | None = {} if remember else None

    def add(self, token: str, value: _T) -> None:
        if self._found:
            self._found.clear()
        if token.endswith("*"):
            stem = sys.intern(token[:-1])
            self._stems[stem] = _with(self._stems.get(stem), value)
            self._longest_stem = max(self._longest_stem, len(stem))
        else:
            token = sys.intern(token)
            self._exact[token] = _with(self._exact.get(token), value)

    def get(self, word: str) -> tuple[_T, ...]:
        if self._found is not None and (found := self._found.get(word)) is not None:
            return found
        found = self._exact.get(word, ())
        if self._stems:
            for length in range(PREFIX_MIN_LENGTH, min(len(word), self._longest_stem) + 1):
                if more := self._stems.get(word[:length]):
                    found = (*found, *(value for value in more if value not in found))
        if self._found is not None:
            if len(self._found) > _CACHED_WORDS:
                self._found.clear()
            self._found[word] = found
        return found

    def __contains__(self, word: str) -> bool:
        return bool(self.get(word))

    def tokens(self) -> set[str]:
        return set(self._exact) | {stem + "*" for stem in self._stems}

    def values(self) -> Iterator[_T]:
        for values in (*self._exact.values(), *self._stems.values()):
            yield from values

    def any_in(self, words: frozenset[str], prefixes: frozenset[str]) -> bool:
        """Whether some key could match one of `words` (`prefixes`: their beginnings)."""
        return not (
            self._exact.keys().isdisjoint(words) and self._stems.keys().isdisjoint(prefixes)
        )


def _same(token: str, word: str) -> bool:
    return word.startswith(token[:-1]) if token.endswith("*") else token == word


def _tokens(text: str) -> list[str]:
    """Rule words folded like messages, keeping a trailing * (a stem)."""
    tokens = []
    for piece in text.replace("+", " ").split():
        words = _words(piece)
        if piece.endswith("*") and words:
            words[-1] += "*"
        tokens.extend(words)
    return tokens


@dataclass(frozen=True, slots=True)
class _Step:
    """One place in a phrase: the word sequences allowed there, after up to `gap` other words.

    The sequences are keyed by their first word (or stem), so a step costs one lookup however
    many choices it has; `optional` says the place may also be left empty.
    """

    by_first_word: _WordIndex[tuple[str, ...]]
    optional: bool
    gap: int


@dataclass(frozen=True, slots=True)
class _Phrase:
    """A compiled rule: the words to find, and the company that shows it is ordinary talk."""

    category: Emergency
    steps: tuple[_Step, ...]
    ordinary_near: _WordIndex[bool]
    ordinary_after: tuple[_Step, ...]
    even_when_asked: bool
    where: str

    def may_match(self, words: frozenset[str], prefixes: frozenset[str]) -> bool:
        """A cheap first look: every place that must be filled has a word that could fill it."""
        return all(
            step.optional or step.by_first_word.any_in(words, prefixes) for step in self.steps[1:]
        )


def _compile_steps(pattern: str) -> tuple[_Step, ...]:
    steps: list[_Step] = []
    gap = 0
    for part in pattern.split():
        if part.startswith("~"):
            gap = int(part[1:])
            continue
        steps.append(_Step(_choices(part), "_" in part.split("|"), gap))
        gap = 0
    return tuple(steps)


@cache
def _choices(part: str) -> _WordIndex[tuple[str, ...]]:
    """One place's choices, built once and shared: a word set is used by many rules."""
    by_first_word: _WordIndex[tuple[str, ...]] = _WordIndex()
    for choice in part.split("|"):
        if choice != "_":
            first, *rest = _tokens(choice)
            by_first_word.add(first, tuple(rest))
    return by_first_word


def _word_set(words: str) -> _WordIndex[bool]:
    index: _WordIndex[bool] = _WordIndex()
    for token in _tokens(words):
        index.add(token, True)
    return index


def _vocabulary_of(steps: Iterable[_Step]) -> set[str]:
    return {token for step in steps for token in step.by_first_word.tokens()}


def _match(steps: Sequence[_Step], words: Sequence[str], start: int) -> int | None:
    """Where the phrase ends if it matches `words` at `start`, else None."""
    if not steps:
        return start
    step, rest = steps[0], steps[1:]
    for at in range(start, min(start + step.gap + 1, len(words) + 1)):
        if step.optional and (found := _match(rest, words, at)) is not None:
            return found
        for tail in step.by_first_word.get(words[at]) if at < len(words) else ():
            end = at + 1 + len(tail)
            if (
                end <= len(words)
                and all(_same(t, w) for t, w in zip(tail, words[at + 1 : end], strict=True))
                and (found := _match(rest, words, end)) is not None
            ):
                return found
    return None


def _finds(index: _WordIndex[tuple[_Step, ...]], words: Sequence[str]) -> bool:
    return _first_found(index, words) is not None


def _first_found(index: _WordIndex[tuple[_Step, ...]], words: Sequence[str]) -> int | None:
    """Where the first pattern of `index` found in `words` starts, if any is."""
    for start, word in enumerate(words):
        if any(_match(steps, words, start) is not None for steps in index.get(word)):
            return start
    return None


def _pattern_index(patterns: Iterable[str]) -> _WordIndex[tuple[_Step, ...]]:
    index: _WordIndex[tuple[_Step, ...]] = _WordIndex(remember=True)
    for pattern in patterns:
        steps = _compile_steps(pattern)
        for token in steps[0].by_first_word.tokens():
            index.add(token, steps)
    return index


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a message needs before anything else.

    `emergency`: the kind of emergency it reads like (send that reply at once), or None.
    `red_flag`: it names a red-flag symptom without reading as one happening now (a question
    such as "signs of meningitis?"): answer it, under the line "if this is happening now, 999".
    """

    emergency: Emergency | None = None
    red_flag: bool = False


class EmergencyDetector:
    """The compiled rules; `assess` is the only thing callers need."""

    __slots__ = ("_asking", "_by_first_word", "_canonical", "_known", "_mentions", "_tolerant")

    def __init__(self, rules: SafetyRules) -> None:
        self._by_first_word: _WordIndex[_Phrase] = _WordIndex(remember=True)
        vocabulary: set[str] = set()
        for rule in rules.rules:
            steps = _compile_steps(rule.match)
            after = _compile_steps(rule.unless_followed_by) if rule.unless_followed_by else ()
            near = _word_set(rule.unless_near)
            phrase = _Phrase(rule.category, steps, near, after, rule.even_when_asked, rule.where)
            for token in steps[0].by_first_word.tokens():
                self._by_first_word.add(token, phrase)
            vocabulary |= _vocabulary_of((*steps, *after)) | near.tokens()
        self._asking = _pattern_index(rules.asking)
        self._mentions = _pattern_index(rules.mentions)
        vocabulary |= _vocabulary_of(
            step
            for index in (self._asking, self._mentions)
            for steps in index.values()
            for step in steps
        )
        # Words spelt right, and real words one slip from a rule word, are never "corrected".
        known: _WordIndex[bool] = _WordIndex(remember=True)
        for token in vocabulary | {w for word in rules.lookalikes for w in _words(word)}:
            known.add(token, True)
        self._known = known
        tolerant = {w for word in rules.slip_tolerant for w in _words(word)}
        if missing := sorted(w for w in tolerant if w not in known):
            raise SafetyRuleError(
                f"slip_tolerant words not used in any rule: {', '.join(missing)}"
            )
        if short := sorted(w for w in tolerant if len(w) < _FUZZY_MIN_LENGTH):
            raise SafetyRuleError(
                f"slip_tolerant words need {_FUZZY_MIN_LENGTH}+ letters: {short}"
            )
        by_length: dict[int, list[str]] = {}
        for word in sorted(tolerant):
            by_length.setdefault(len(word), []).append(word)
        self._tolerant = by_length
        self._canonical = lru_cache(maxsize=_CACHED_WORDS)(self._canonical_uncached)

    def _canonical_uncached(self, typed: str) -> str:
        """The rule word a typed word stands for, allowing one slip; else the word itself.

        Latin-script words may have one letter changed, added, dropped or two swapped. Arabic
        words only one added or dropped: swapping one Arabic letter for another usually makes a
        different root word (انتظار "waiting" against انتحار "suicide"), whereas a dropped or
        extra letter is a typo or a dialect prefix (بيتنفس for يتنفس).
        """
        if typed in self._known or len(typed) < _FUZZY_MIN_LENGTH - 1:
            return typed
        arabic = bool(_ARABIC_LETTER.search(typed))
        if arabic:  # "and", "so", "with", "for" and "the" are written joined to the word
            for prefix in _ARABIC_PREFIXES:
                rest = typed.removeprefix(prefix)
                if rest != typed and len(rest) >= PREFIX_MIN_LENGTH and rest in self._known:
                    return rest
        scorer = Indel.distance if arabic else OSA.distance
        for length in (len(typed), len(typed) - 1, len(typed) + 1):
            best = extractOne(typed, self._tolerant.get(length, ()), scorer=scorer, score_cutoff=1)
            if best is not None:
                return str(best[0])
        return typed

    def assess(self, text: str) -> Assessment:
        """The emergency a message reads like, and whether it names a red flag at all.

        A baby in danger outranks the other kinds when a message reads as several; the order
        is the order of `Emergency`.
        """
        found: set[Emergency] = set()
        red_flag = False
        for phrase, asked in self._matches(text, found):
            if asked:
                red_flag = True
            else:
                found.add(phrase.category)
        if not red_flag and not found:
            red_flag = any(_finds(self._mentions, words) for words in self._sentences(text))
        emergency = next((kind for kind in Emergency if kind in found), None)
        return Assessment(emergency, red_flag and emergency is None)

    def explain(self, text: str) -> list[str]:
        """Which rules a message matches and where they are written: for reviewing the rules."""
        return [
            f"{phrase.category} ({'asked about' if asked else 'emergency'}): {phrase.where}"
            for phrase, asked in self._matches(text, set())
        ]

    def _sentences(self, text: str) -> Iterator[list[str]]:
        for sentence in _SENTENCE_END.split(text[:_MAX_CHARS]):
            if words := [self._canonical(word) for word in _words(sentence)]:
                yield words

    def _matches(self, text: str, skip: set[Emergency]) -> Iterator[tuple[_Phrase, bool]]:
        """Each rule that matches, and whether its sentence asks about the symptom.

        Categories in `skip` (already found by the caller) are not looked for again.
        """
        for words in self._sentences(text):
            # Where the sentence starts asking about something; worked out on the first match.
            # Only a match after that point is asked about: "he's fitting, could it cause
            # brain damage?" still raises the alarm.
            asking_from: int | None = -1
            present = frozenset(words)
            prefixes = frozenset(
                word[:length]
                for word in present
                for length in range(PREFIX_MIN_LENGTH, len(word) + 1)
            )
            viable: dict[int, bool] = {}  # per phrase: common first words repeat
            for start, word in enumerate(words):
                for phrase in self._by_first_word.get(word):
                    if phrase.category in skip:
                        continue
                    if (ok := viable.get(id(phrase))) is None:
                        ok = viable[id(phrase)] = phrase.may_match(present, prefixes)
                    if not ok:
                        continue
                    end = _match(phrase.steps, words, start)
                    if end is None or self._reads_as_ordinary(phrase, words, start, end):
                        continue
                    if not phrase.even_when_asked and asking_from == -1:
                        asking_from = _first_found(self._asking, words)
                    asked = asking_from is not None and asking_from != -1 and asking_from <= start
                    yield phrase, asked and not phrase.even_when_asked

    @staticmethod
    def _reads_as_ordinary(phrase: _Phrase, words: Sequence[str], start: int, end: int) -> bool:
        # The words around the match and in its gaps ("her eyes are blue").
        near = words[max(0, start - _NEAR_WINDOW) : end + _NEAR_WINDOW]
        if any(word in phrase.ordinary_near for word in near):
            return True
        after = phrase.ordinary_after
        return bool(after) and _match(after, words, end) is not None


@cache
def shipped_detector() -> EmergencyDetector:
    """The detector for the rules in this repository, compiled once."""
    return EmergencyDetector(shipped_safety_rules())


def assess(text: str) -> Assessment:
    return shipped_detector().assess(text)


def detect_emergency(text: str) -> Emergency | None:
    """The emergency a message reads like, or None for an ordinary message."""
    return shipped_detector().assess(text).emergency
