"""The emergency rules files are checked on load, with errors that name the file and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.safety import Assessment, Emergency, EmergencyDetector
from resources.safety_rules import SafetyRuleError, load_safety_rules, shipped_safety_rules


def write_rules(folder: Path, text: str) -> Path:
    (folder / "en.yaml").write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_rules_load_and_cover_every_kind_of_emergency() -> None:
    rules = shipped_safety_rules()
    assert {rule.category for rule in rules.rules} == set(Emergency)
    assert rules.asking
    assert rules.mentions


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "rules:\n  - category: baby_unwell\n    match: '{kid} ~1 blue'\n",
            "no word set named 'kid'",
        ),
        (
            "rules:\n  - category: baby_unwell\n    match: 'not ~x breathing'\n",
            "must be ~ and a number",
        ),
        (
            "rules:\n  - category: baby_unwell\n    match: '_|not breathing'\n",
            "cannot start with an optional",
        ),
        (
            "rules:\n  - category: baby_unwell\n    match: 'not breathing ~2'\n",
            "cannot end with a gap",
        ),
        (
            "rules:\n  - category: baby_unwell\n    match: 'not||no breathing'\n",
            "has an empty choice",
        ),
        ("rules:\n  - category: flu\n    match: 'fever'\n", "'rules[1].category' is 'flu'"),
        (
            "rules:\n  - category: abuse\n    match: 'hits me'\n    unless_near: 'in+laws'\n",
            "unless_near is a list of single words",
        ),
        (
            "rules:\n  - category: abuse\n    matches: 'hits me'\n",
            "missing field 'rules[1].match'",
        ),
        ("rules: []\nrules: []\n", "key 'rules' is written twice"),
    ],
)
def test_a_wrong_rule_is_refused_with_the_file_the_rule_and_what_is_wrong(
    tmp_path: Path, text: str, problem: str
) -> None:
    with pytest.raises(SafetyRuleError) as refused:
        load_safety_rules(write_rules(tmp_path, text))
    assert "en.yaml" in str(refused.value)
    assert problem in str(refused.value)


def test_a_folder_with_no_rules_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SafetyRuleError, match="no rules found"):
        load_safety_rules(tmp_path)


def test_a_small_rules_file_works_end_to_end(tmp_path: Path) -> None:
    folder = write_rules(
        tmp_path,
        "sets:\n  kid: [my baby, he, she]\n"
        "rules:\n"
        "  - category: baby_unwell\n    match: '{kid} ~1 is ~1 blue'\n    unless_near: eyes\n"
        "  - category: swallowed_battery\n    match: 'swallow* ~3 batter*'\n"
        "    even_when_asked: true\n"
        "asking:\n  - 'signs ~0 of'\n  - 'what|how ~3 if'\n"
        "mentions:\n  - 'meningitis'\n"
        "slip_tolerant: [battery]\n",
    )
    detector = EmergencyDetector(load_safety_rules(folder))
    assert detector.assess("my baby is blue").emergency is Emergency.BABY_UNWELL
    assert detector.assess("his eyes are blue").emergency is None
    assert detector.assess("she swallowed a batery").emergency is Emergency.SWALLOWED_BATTERY
    assert detector.assess("what if he swallowed a battery").emergency is (
        Emergency.SWALLOWED_BATTERY
    )
    assert detector.assess("what if my baby is blue") == Assessment(None, red_flag=True)
    assert detector.assess("signs of meningitis") == Assessment(None, red_flag=True)
    assert detector.assess("we painted the nursery") == Assessment(None, red_flag=False)
