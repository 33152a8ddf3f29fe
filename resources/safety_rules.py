"""The emergency-recognition rules a clinician reviews, loaded from `safety/rules/*.yaml`.

The files hold words and phrases, never code: this module checks them and expands the named
word sets, and `domain.safety` compiles the result into the matcher. The syntax is explained in
`safety/README.md`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from resources.validation_errors import describe
from resources.yaml_files import YamlProblem, parse_yaml

RULES_DIR = Path(__file__).with_name("safety") / "rules"
CORPUS_DIR = Path(__file__).with_name("safety") / "corpus"
SHARED_SETS_FILE = "common.yaml"


class Emergency(StrEnum):
    """What an emergency message is about; each kind has its own reply, most urgent first.

    When a message reads as several kinds, the one listed first here wins.
    """

    # Before baby_unwell: "choking on popcorn and can't breathe" needs the choking reply.
    CHOKING = "choking"
    BABY_UNWELL = "baby_unwell"
    SHAKEN_BABY = "shaken_baby"
    SWALLOWED_BATTERY = "swallowed_battery"
    # Before poisoning: "I took too many tablets" is a parent's overdose, not a child's.
    SELF_HARM = "self_harm"
    POISONING = "poisoning"
    # Before injury: "he burnt my arm" needs the domestic abuse reply.
    ABUSE = "abuse"
    INJURY = "injury"
    YOUNG_BABY_FEVER = "young_baby_fever"


class SafetyRuleError(ValueError):
    """A rules file is invalid; the message names the file, the entry and what is wrong."""


_SET_NAME = re.compile(r"\{(\w+)\}")
_GAP = re.compile(r"~(\d+)")
# Line breaks in a folded YAML value may fall after a "|"; the step goes on on the next line.
_WRAPPED_CHOICE = re.compile(r"\s*\|\s*")


class RuleEntry(BaseModel):
    """One rule: words in order that make a message an emergency of `category`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    category: Emergency
    match: str = Field(min_length=1)
    unless_near: str = ""
    unless_followed_by: str = ""
    # Questions about a symptom ("what are the signs of…") get the softer reply, unless the
    # words themselves say it has happened ("swallowed a button battery").
    even_when_asked: bool = False

    @field_validator("unless_near")
    @classmethod
    def _single_words(cls, words: str) -> str:
        if "+" in words or "|" in words:
            raise ValueError("unless_near is a list of single words, with no + or |")
        return words


class RulesFile(BaseModel):
    """One language's file: named word sets, rules, asking phrases and red-flag mentions."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sets: dict[str, list[str]] = {}
    rules: list[RuleEntry] = []
    asking: list[str] = []
    mentions: list[str] = []
    slip_tolerant: list[str] = []
    lookalikes: list[str] = []

    @field_validator("sets", mode="before")
    @classmethod
    def _numbers_are_words(cls, sets: object) -> object:
        """A bare 38 in a set is the word "38", not a number to reject."""
        if isinstance(sets, dict):
            return {
                name: [
                    str(w) if isinstance(w, int | float) and not isinstance(w, bool) else w
                    for w in words
                ]
                if isinstance(words, list)
                else words
                for name, words in sets.items()
            }
        return sets

    @field_validator("sets")
    @classmethod
    def _sets_have_words(cls, sets: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, words in sets.items():
            if not words or any(not str(word).strip() for word in words):
                raise ValueError(f"set {name!r} needs words, and no empty ones")
        return sets


@dataclass(frozen=True)
class Rule:
    """A rule with its sets expanded: patterns hold only words, `|`, `+`, `_` and `~N`."""

    category: Emergency
    match: str
    unless_near: str
    unless_followed_by: str
    even_when_asked: bool
    where: str  # "en.yaml, rule 3": for messages about this rule


@dataclass(frozen=True)
class SafetyRules:
    rules: tuple[Rule, ...]
    asking: tuple[str, ...]
    mentions: tuple[str, ...]
    slip_tolerant: frozenset[str]
    lookalikes: frozenset[str]


def _expand(pattern: str, sets: dict[str, str], where: str) -> str:
    def choices(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in sets:
            known = ", ".join(sorted(sets)) or "none"
            raise SafetyRuleError(f"{where}: no word set named {name!r} (sets: {known})")
        return sets[name]

    expanded = _WRAPPED_CHOICE.sub("|", _SET_NAME.sub(choices, pattern)).strip()
    steps = expanded.split()
    for step in steps:
        if step.startswith("~") and not _GAP.fullmatch(step):
            raise SafetyRuleError(f"{where}: {step!r} must be ~ and a number, like ~2")
        if not step.startswith("~") and "" in step.split("|"):
            raise SafetyRuleError(f"{where}: {step!r} has an empty choice")
    words = [step for step in steps if not step.startswith("~")]
    if not words:
        raise SafetyRuleError(f"{where}: the pattern has no words")
    if "_" in words[0].split("|"):
        raise SafetyRuleError(f"{where}: a pattern cannot start with an optional word (_)")
    if steps[-1].startswith("~"):
        raise SafetyRuleError(f"{where}: a pattern cannot end with a gap ({steps[-1]})")
    return expanded


def _near_words(words: str, sets: dict[str, str], where: str) -> str:
    """`unless_near` words with any {set} spelt out, one word after another."""
    if not words:
        return ""
    return " ".join(
        choice
        for word in words.split()
        for choice in (
            _expand(word, sets, where + " (unless_near)").replace("+", " ").split("|")
            if _SET_NAME.fullmatch(word)
            else (word,)
        )
    )


def _read(path: Path) -> RulesFile:
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SafetyRuleError(f"{path}: cannot read: {error.strerror}") from None
    except YamlProblem as problem:
        raise SafetyRuleError(f"{path}: {problem}") from None
    try:
        return RulesFile.model_validate(data or {})
    except ValidationError as error:
        raise SafetyRuleError(f"{path}: {describe(error, RulesFile)}") from None


def _set_choices(words: list[str]) -> str:
    """A set's words as one choice: "little one" is a two-word phrase."""
    return "|".join("+".join(str(word).split()) for word in words)


def load_safety_rules(folder: Path = RULES_DIR) -> SafetyRules:
    """Every language's rules. A file's patterns may use its own word sets and those of
    `common.yaml`, which holds the sets several languages share."""
    files = {path.name: _read(path) for path in sorted(folder.glob("*.yaml"))}
    if not any(file.rules for file in files.values()):
        raise SafetyRuleError(f"{folder}: no rules found")
    common = files.get(SHARED_SETS_FILE, RulesFile())
    shared = {name: _set_choices(words) for name, words in common.sets.items()}
    rules: list[Rule] = []
    asking: list[str] = []
    mentions: list[str] = []
    for name, file in files.items():
        if clash := sorted(set(file.sets) & set(shared)) if file is not common else []:
            raise SafetyRuleError(f"{folder / name}: set {clash[0]!r} is in {SHARED_SETS_FILE}")
        sets = shared | {set_name: _set_choices(words) for set_name, words in file.sets.items()}
        for number, entry in enumerate(file.rules, start=1):
            where = f"{folder / name}, rule {number}"
            rules.append(
                Rule(
                    category=entry.category,
                    match=_expand(entry.match, sets, where),
                    unless_near=_near_words(entry.unless_near, sets, where),
                    unless_followed_by=(
                        _expand(entry.unless_followed_by, sets, where + " (unless_followed_by)")
                        if entry.unless_followed_by
                        else ""
                    ),
                    even_when_asked=entry.even_when_asked,
                    where=f"{name}, rule {number}",
                )
            )
        for number, pattern in enumerate(file.asking, start=1):
            asking.append(_expand(pattern, sets, f"{folder / name}, asking {number}"))
        for number, pattern in enumerate(file.mentions, start=1):
            mentions.append(_expand(pattern, sets, f"{folder / name}, mentions {number}"))
    return SafetyRules(
        rules=tuple(rules),
        asking=tuple(asking),
        mentions=tuple(mentions),
        slip_tolerant=frozenset(w for f in files.values() for w in f.slip_tolerant),
        lookalikes=frozenset(w for f in files.values() for w in f.lookalikes),
    )


@cache
def shipped_safety_rules() -> SafetyRules:
    """The rules in this repository, read once."""
    return load_safety_rules()
