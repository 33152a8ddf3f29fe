"""The hub's spokes as data: what a family can ask for, the questions, the team that answers.

``resources/spokes.yaml`` holds the spokes, the staff teams (with their Telegram groups), the
outcomes and decline reasons staff choose from, and the notices a family gets as its request
moves on, each text in every supported locale. ``load_spokes`` validates it all and raises
``SpokeFileError`` with one line naming the file, the spoke (or team) and what is wrong.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import time
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from locales import SUPPORTED_LOCALES
from resources.topics import Topic
from resources.validation_errors import describe
from resources.yaml_files import YamlProblem, parse_yaml

__all__ = [
    "MAX_CHILD_MONTHS",
    "NOTICE_PLACEHOLDERS",
    "SPOKES_FILE",
    "Label",
    "NoticeKind",
    "Option",
    "Question",
    "QuestionKind",
    "Spoke",
    "SpokeFileError",
    "Spokes",
    "Team",
    "Texts",
    "WhoFor",
    "WorkingHours",
    "load_spokes",
    "shipped_spokes",
]

SPOKES_FILE = Path(__file__).with_name("spokes.yaml")
# "Not sure? Talk to a health visitor": the front door every family can use, whatever its
# stage ("no wrong front door"); the library offers it when a search finds nothing.
HUB = "hub"
# The service is 0-19: a child's age in whole months stays below 19 years.
MAX_CHILD_MONTHS = 19 * 12 - 1
# Ids travel in Telegram callback data (64 bytes in all) and in stored answers: short slugs.
_ID = r"^[a-z][a-z0-9_]{0,23}$"

Id = Annotated[str, Field(pattern=_ID)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class SpokeFileError(ValueError):
    """The spokes file is invalid; the message is one line naming the file and the entry."""


class Texts(BaseModel):
    """One text in every supported locale; none may be missing or empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    en: Text
    pl: Text
    pt: Text
    ar: Text

    def __getitem__(self, locale: str) -> str:
        """The text in `locale`, or in English for a locale the service does not write."""
        value: str = getattr(self, locale if locale in SUPPORTED_LOCALES else "en")
        return value

    def longest(self) -> int:
        return max(len(self[locale]) for locale in SUPPORTED_LOCALES)


def _at_most(texts: Texts, limit: int, what: str) -> None:
    for locale in SUPPORTED_LOCALES:
        if len(texts[locale]) > limit:
            raise ValueError(f"{what} in {locale!r} is longer than {limit} characters")


class Label(BaseModel):
    """A choice staff make (an outcome, a decline reason) and how the family reads it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Id
    label: Texts

    @model_validator(mode="after")
    def _short(self) -> Label:
        _at_most(self.label, 100, "label")
        return self


class Option(BaseModel):
    """One button of a choice question; `id` is what is stored."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Id
    label: Texts

    @model_validator(mode="after")
    def _fits_a_button(self) -> Option:
        _at_most(self.label, 48, "option label")
        return self


class QuestionKind(StrEnum):
    CHOICE = "choice"  # buttons: the answer is an option id
    TEXT = "text"  # typed: the answer is the family's words, at most max_length characters
    YES_NO = "yes_no"  # two buttons: the answer is true or false


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Id
    kind: QuestionKind
    required: bool = Field(strict=True)
    prompt: Texts
    options: tuple[Option, ...] = ()
    max_length: int | None = Field(default=None, ge=1, le=1000, strict=True)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Question:
        _at_most(self.prompt, 300, "prompt")
        if self.kind is QuestionKind.CHOICE:
            if len(self.options) < 2:
                raise ValueError(f"question {self.id!r}: a choice needs at least 2 options")
            ids = [option.id for option in self.options]
            if len(ids) != len(set(ids)):
                raise ValueError(f"question {self.id!r}: an option id is used twice")
        elif self.options:
            raise ValueError(f"question {self.id!r}: only a choice has options")
        if (self.kind is QuestionKind.TEXT) != (self.max_length is not None):
            raise ValueError(f"question {self.id!r}: give max_length to text questions only")
        return self

    def option(self, option_id: str) -> Option | None:
        return next((option for option in self.options if option.id == option_id), None)

    def check(self, answer: object) -> str | bool:
        """The answer as stored, or ValueError saying why it does not fit this question."""
        if self.kind is QuestionKind.YES_NO:
            if not isinstance(answer, bool):
                raise ValueError(f"{self.id}: answer yes (true) or no (false)")
            return answer
        if not isinstance(answer, str) or not answer.strip():
            raise ValueError(f"{self.id}: the answer is empty")
        if self.kind is QuestionKind.CHOICE:
            if self.option(answer) is None:
                raise ValueError(f"{self.id}: {answer!r} is not one of the options")
            return answer
        assert self.max_length is not None
        text = answer.strip()
        if len(text) > self.max_length:
            raise ValueError(f"{self.id}: longer than {self.max_length} characters")
        return text


class WhoFor(BaseModel):
    """Who may ask: in pregnancy, and/or with a child aged `from_months` to `to_months` (whole
    months, both included) when the request is made."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pregnancy: bool = Field(strict=True)
    from_months: int | None = Field(default=None, ge=0, le=MAX_CHILD_MONTHS, strict=True)
    to_months: int | None = Field(default=None, ge=0, le=MAX_CHILD_MONTHS, strict=True)

    @model_validator(mode="after")
    def _a_real_range(self) -> WhoFor:
        if (self.from_months is None) != (self.to_months is None):
            raise ValueError("give both from_months and to_months, or neither")
        if self.from_months is not None and self.to_months is not None:
            if self.from_months > self.to_months:
                raise ValueError(
                    f"from_months {self.from_months} is after to_months {self.to_months}"
                )
        elif not self.pregnancy:
            raise ValueError("takes nobody: give pregnancy: true or an age range")
        return self

    def takes_child(self, months_old: int) -> bool:
        return (
            self.from_months is not None
            and self.to_months is not None
            and self.from_months <= months_old <= self.to_months
        )


class Spoke(BaseModel):
    """A support offer a family can ask for, and the team that answers it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Id
    name: Texts
    description: Texts
    who_for: WhoFor
    team: Id
    target_working_days: int = Field(ge=0, le=30, strict=True)
    topics: tuple[Topic, ...]
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _tidy(self) -> Spoke:
        _at_most(self.name, 64, "name")
        _at_most(self.description, 200, "description")
        ids = [question.id for question in self.questions]
        if len(ids) != len(set(ids)):
            raise ValueError("a question id is used twice")
        if len(self.topics) != len(set(self.topics)):
            raise ValueError("a topic is listed twice")
        return self

    def fits(self, *, pregnant: bool, children_months: Iterable[int]) -> bool:
        """Whether a family expecting a baby (`pregnant`) or with children of these ages (whole
        months) may ask for this spoke."""
        if pregnant and self.who_for.pregnancy:
            return True
        return any(self.who_for.takes_child(months) for months in children_months)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def check_answers(self, answers: Mapping[str, object]) -> dict[str, str | bool]:
        """The answers as stored (texts trimmed), or ValueError: an unknown question, a
        required one unanswered, or an answer that does not fit its question."""
        unknown = set(answers) - {q.id for q in self.questions}
        if unknown:
            raise ValueError(f"no question {sorted(unknown)[0]!r} in spoke {self.id!r}")
        checked: dict[str, str | bool] = {}
        for question in self.questions:
            if question.id in answers and answers[question.id] is not None:
                checked[question.id] = question.check(answers[question.id])
            elif question.required:
                raise ValueError(f"{question.id}: this question must be answered")
        return checked


class Team(BaseModel):
    """A staff team and the Telegram group its requests are posted to."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Id
    name: Text
    group_chat_id: int = Field(lt=0, strict=True)
    # True while the group id is not a real group yet: the service must set it.
    placeholder: bool = Field(default=False, strict=True)


class WorkingHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: time
    end: time

    @model_validator(mode="after")
    def _in_order(self) -> WorkingHours:
        if self.start >= self.end:
            raise ValueError("the working day must start before it ends")
        return self


class NoticeKind(StrEnum):
    """What happened to a request that the family is told about."""

    CLAIMED = "claimed"
    CONTACTED = "contacted"
    CLOSED = "closed"
    DECLINED = "declined"
    STAFF_MESSAGE = "staff_message"


# The placeholders each notice must use, in every locale.
NOTICE_PLACEHOLDERS: Mapping[NoticeKind, frozenset[str]] = MappingProxyType(
    {
        NoticeKind.CLAIMED: frozenset({"reference", "spoke"}),
        NoticeKind.CONTACTED: frozenset({"reference", "spoke"}),
        NoticeKind.CLOSED: frozenset({"reference", "spoke", "outcome"}),
        NoticeKind.DECLINED: frozenset({"reference", "spoke", "reason"}),
        NoticeKind.STAFF_MESSAGE: frozenset({"reference", "text"}),
    }
)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


class _Header(BaseModel):
    """Everything but the spokes and teams, which are checked one by one to name them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    working_hours: WorkingHours
    teams: list[Any] = Field(min_length=1)
    shared_questions: list[Any] = []
    spokes: list[Any] = Field(min_length=1)
    outcomes: tuple[Label, ...] = Field(min_length=1)
    decline_reasons: tuple[Label, ...] = Field(min_length=1)
    notices: dict[NoticeKind, Texts]

    @model_validator(mode="after")
    def _complete(self) -> _Header:
        for what, labels in (
            ("outcomes", self.outcomes),
            ("decline_reasons", self.decline_reasons),
        ):
            ids = [label.id for label in labels]
            if len(ids) != len(set(ids)):
                raise ValueError(f"{what}: an id is used twice")
        missing = [kind.value for kind in NoticeKind if kind not in self.notices]
        if missing:
            raise ValueError(f"notices: missing {', '.join(missing)}")
        for kind, texts in self.notices.items():
            _at_most(texts, 1000, f"notice {kind.value}")
            for locale in SUPPORTED_LOCALES:
                used = _placeholders(texts[locale])
                if used != NOTICE_PLACEHOLDERS[kind]:
                    wanted = ", ".join(
                        "{" + name + "}" for name in sorted(NOTICE_PLACEHOLDERS[kind])
                    )
                    raise ValueError(f"notice {kind.value} in {locale!r} must use {wanted}")
        return self


@dataclass(frozen=True)
class Spokes:
    """The loaded file: spokes in the order families see them, teams, and staff's choices."""

    spokes: tuple[Spoke, ...]
    teams: Mapping[str, Team]
    outcomes: tuple[Label, ...]
    decline_reasons: tuple[Label, ...]
    notices: Mapping[NoticeKind, Texts]
    working_hours: WorkingHours

    def spoke(self, spoke_id: str) -> Spoke:
        """The spoke with this id; KeyError if there is none (e.g. removed from the file)."""
        for spoke in self.spokes:
            if spoke.id == spoke_id:
                return spoke
        raise KeyError(spoke_id)

    def get(self, spoke_id: str) -> Spoke | None:
        return next((spoke for spoke in self.spokes if spoke.id == spoke_id), None)

    def team(self, team_id: str) -> Team:
        return self.teams[team_id]

    def team_of_group(self, chat_id: int) -> Team | None:
        """The team whose staff group this is (for a button pressed in a group)."""
        return next((team for team in self.teams.values() if team.group_chat_id == chat_id), None)

    def for_topic(self, topic: str) -> tuple[Spoke, ...]:
        """The spokes an article or reminder on this library topic offers."""
        return tuple(spoke for spoke in self.spokes if topic in spoke.topics)

    def open_to(self, *, pregnant: bool, children_months: Iterable[int]) -> tuple[Spoke, ...]:
        ages = tuple(children_months)
        return tuple(s for s in self.spokes if s.fits(pregnant=pregnant, children_months=ages))

    def outcome(self, outcome_id: str) -> Label | None:
        return next((label for label in self.outcomes if label.id == outcome_id), None)

    def decline_reason(self, reason_id: str) -> Label | None:
        return next((label for label in self.decline_reasons if label.id == reason_id), None)

    def placeholder_teams(self) -> tuple[Team, ...]:
        """Teams whose staff group is not set yet: start-up can warn about them."""
        return tuple(team for team in self.teams.values() if team.placeholder)

    def with_group_chats(self, chat_ids: Mapping[str, int]) -> Spokes:
        """A copy whose teams post to these groups instead (team id -> group chat id), e.g. a
        sandbox's staff chat or a deployment's real groups; an unknown team is a KeyError."""
        teams = dict(self.teams)
        for team_id, chat_id in chat_ids.items():
            teams[team_id] = teams[team_id].model_copy(
                update={"group_chat_id": chat_id, "placeholder": False}
            )
        return replace(self, teams=MappingProxyType(teams))


def _validate_each(
    raw: list[Any], model: type[Team] | type[Spoke], what: str, path: Path
) -> list[Any]:
    parsed = []
    for number, item in enumerate(raw, start=1):
        name = item.get("id") if isinstance(item, dict) else None
        where = f"{what} {name!r}" if isinstance(name, str) else f"{what} #{number}"
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as error:
            raise SpokeFileError(f"{path}: {where}: {describe(error, model)}") from None
    return parsed


def load_spokes(path: Path = SPOKES_FILE) -> Spokes:
    """Read and check the spokes file; SpokeFileError says what is wrong, in one line."""
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SpokeFileError(f"{path}: cannot read: {error.strerror or error}") from None
    except YamlProblem as problem:
        raise SpokeFileError(f"{path}: {problem}") from None
    if not isinstance(raw, dict):
        raise SpokeFileError(f"{path}: expected a mapping with teams and spokes")
    try:
        header = _Header.model_validate(raw)
    except ValidationError as error:
        raise SpokeFileError(f"{path}: {describe(error, _Header)}") from None
    teams: list[Team] = _validate_each(header.teams, Team, "team", path)
    spokes: list[Spoke] = _validate_each(header.spokes, Spoke, "spoke", path)
    team_ids = [team.id for team in teams]
    for team in teams:
        if team_ids.count(team.id) > 1:
            raise SpokeFileError(f"{path}: team {team.id!r}: the id is used twice")
    groups = [team.group_chat_id for team in teams]
    for team in teams:
        if groups.count(team.group_chat_id) > 1:
            raise SpokeFileError(f"{path}: team {team.id!r}: another team has the same group")
    spoke_ids = [spoke.id for spoke in spokes]
    for spoke in spokes:
        if spoke_ids.count(spoke.id) > 1:
            raise SpokeFileError(f"{path}: spoke {spoke.id!r}: the id is used twice")
        if spoke.team not in team_ids:
            raise SpokeFileError(
                f"{path}: spoke {spoke.id!r}: unknown team {spoke.team!r} "
                f"(teams: {', '.join(team_ids)})"
            )
    if HUB not in spoke_ids:
        raise SpokeFileError(f"{path}: no spoke {HUB!r}: every family needs the hub to ask")
    return Spokes(
        spokes=tuple(spokes),
        teams=MappingProxyType({team.id: team for team in teams}),
        outcomes=header.outcomes,
        decline_reasons=header.decline_reasons,
        notices=MappingProxyType(dict(header.notices)),
        working_hours=header.working_hours,
    )


@cache
def shipped_spokes() -> Spokes:
    """The shipped file, loaded once (for code that is not handed the bot's resources)."""
    return load_spokes()
