"""The spokes file: the shipped one loads complete, and each kind of mistake is named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from locales import SUPPORTED_LOCALES
from resources.spokes import (
    SPOKES_FILE,
    NoticeKind,
    QuestionKind,
    SpokeFileError,
    load_spokes,
)
from resources.topics import Topic

SHIPPED = yaml.safe_load(SPOKES_FILE.read_text(encoding="utf-8"))


def test_the_shipped_file_has_the_ten_spokes_of_the_hub() -> None:
    spokes = load_spokes()
    assert [s.id for s in spokes.spokes] == [
        "hub",
        "babs",
        "infant_feeding",
        "fathers",
        "safe_sleep",
        "oral_health",
        "emotional_wellbeing",
        "enhanced",
        "family_wellbeing_centre",
        "vaccinations",
    ]
    babs = spokes.spoke("babs")
    assert babs.team == "babs"
    assert babs.fits(pregnant=True, children_months=[])
    assert babs.fits(pregnant=False, children_months=[6])
    assert not babs.fits(pregnant=False, children_months=[7, 30])
    assert [s.id for s in spokes.for_topic(Topic.MENTAL_HEALTH)] == [
        "babs",
        "emotional_wellbeing",
    ]
    assert all(team.group_chat_id < 0 for team in spokes.teams.values())
    assert spokes.placeholder_teams()  # until the service sets its real groups


def test_every_text_is_written_in_every_language() -> None:
    spokes = load_spokes()
    texts = [text for spoke in spokes.spokes for text in (spoke.name, spoke.description)]
    for spoke in spokes.spokes:
        for question in spoke.questions:
            texts.append(question.prompt)
            texts += [option.label for option in question.options]
    texts += [label.label for label in (*spokes.outcomes, *spokes.decline_reasons)]
    texts += list(spokes.notices.values())
    for text in texts:
        for locale in SUPPORTED_LOCALES:
            assert text[locale].strip(), (text, locale)
    assert set(spokes.notices) == set(NoticeKind)


def test_a_group_can_be_set_per_team_without_editing_the_file() -> None:
    spokes = load_spokes().with_group_chats({"babs": -1009876543210})
    assert spokes.team("babs").group_chat_id == -1009876543210
    assert not spokes.team("babs").placeholder
    assert spokes.team_of_group(-1009876543210) == spokes.team("babs")


def test_answers_are_checked_against_the_questions() -> None:
    oral = load_spokes().spoke("oral_health")
    assert oral.questions[1].kind is QuestionKind.YES_NO
    assert oral.check_answers({"question": "  When to brush?  ", "has_dentist": False}) == {
        "question": "When to brush?",
        "has_dentist": False,
    }
    with pytest.raises(ValueError, match="must be answered"):
        oral.check_answers({"has_dentist": True})
    with pytest.raises(ValueError, match="longer than 500"):
        oral.check_answers({"question": "x" * 501})
    with pytest.raises(ValueError, match="yes"):
        oral.check_answers({"question": "q", "has_dentist": "maybe"})
    with pytest.raises(ValueError, match="not one of the options"):
        load_spokes().spoke("babs").check_answers({"what_is_hard": "sleep"})


def _write(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "spokes.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _broken(change: str) -> dict[str, object]:
    data = yaml.safe_load(SPOKES_FILE.read_text(encoding="utf-8"))
    spokes = data["spokes"]
    babs = next(s for s in spokes if s["id"] == "babs")
    if change == "unknown team":
        babs["team"] = "midwives"
    elif change == "missing locale":
        del babs["name"]["ar"]
    elif change == "empty text":
        babs["description"]["pl"] = "  "
    elif change == "bad age range":
        babs["who_for"] = {"pregnancy": True, "from_months": 6, "to_months": 0}
    elif change == "nobody":
        babs["who_for"] = {"pregnancy": False}
    elif change == "duplicate id":
        spokes.append(dict(babs))
    elif change == "unknown topic":
        babs["topics"] = ["sleeping"]
    elif change == "choice without options":
        babs["questions"][0]["options"] = babs["questions"][0]["options"][:1]
    elif change == "notice placeholder":
        data["notices"]["closed"]["pt"] = "Fechado: {reference}"
    elif change == "positive group":
        data["teams"][0]["group_chat_id"] = 12345
    elif change == "unknown field":
        babs["colour"] = "blue"
    elif change == "no hub":
        data["spokes"] = [s for s in spokes if s["id"] != "hub"]
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unknown team", "spoke 'babs': unknown team 'midwives'"),
        ("missing locale", "spoke 'babs': missing field 'name.ar'"),
        ("empty text", "spoke 'babs': 'description.pl'"),
        ("bad age range", "spoke 'babs': 'who_for' .*from_months 6 is after to_months 0"),
        ("nobody", "spoke 'babs': .*takes nobody"),
        ("duplicate id", "spoke 'babs': the id is used twice"),
        ("unknown topic", "spoke 'babs': 'topics\\[1\\]' is 'sleeping'; allowed values"),
        ("choice without options", "spoke 'babs': .*at least 2 options"),
        ("notice placeholder", "notice closed in 'pt' must use"),
        ("positive group", "team 'health_visiting': 'group_chat_id'"),
        ("unknown field", "spoke 'babs': unknown field 'colour'"),
        ("no hub", "no spoke 'hub': every family needs the hub"),
    ],
)
def test_each_mistake_is_named_in_one_line(tmp_path: Path, change: str, message: str) -> None:
    path = _write(tmp_path, _broken(change))
    with pytest.raises(SpokeFileError, match=message) as caught:
        load_spokes(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


def test_a_key_written_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "spokes.yaml"
    path.write_text("working_hours: {start: '09:00', end: '17:00'}\nteams: []\nteams: []\n")
    with pytest.raises(SpokeFileError, match=r"line 3: .*'teams' is written twice"):
        load_spokes(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SpokeFileError, match="cannot read"):
        load_spokes(tmp_path / "nope.yaml")
