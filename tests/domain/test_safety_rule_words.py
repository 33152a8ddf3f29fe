"""Words added to one emergency rule must not stop another rule from reading a message.

The detector forgives one slip in a slip-tolerant word, and reads an Arabic word with a joined
"and/with/the" prefix (ويتنفس, بيتنفس, الحمام) as its bare form, but only while the typed form
is not itself a word some rule lists: a listed word is taken as written. So a new rule word can
quietly switch these off for every other rule (listing بزوره once stopped "عالق بزوره" from
reaching the rule that names زوره). These tests read each such word through the shipped rules
plus one probe rule that names only that word, and name the rule the message reached.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

import pytest

from domain.safety import Emergency, EmergencyDetector
from locales.text_folding import LETTER_VARIANTS, without_marks
from resources.safety_rules import Rule, SafetyRules, shipped_safety_rules

ARABIC_LETTER = re.compile("[\u0621-\u064a]")
# The prefixes the detector strips from an Arabic word it does not know (README: joined
# "and", "so", "with", "for" and "the").
ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل")
PROBE = "probe for "


def fold(word: str) -> str:
    """Rule words as the detector folds them: no case, accents, tashkeel or hamza seats."""
    return without_marks(word.casefold().translate(LETTER_VARIANTS))


@cache
def tolerant_words() -> tuple[str, ...]:
    return tuple(sorted({fold(word) for word in shipped_safety_rules().slip_tolerant}))


@cache
def probed(words: tuple[str, ...]) -> EmergencyDetector:
    """The shipped rules, plus a rule per word that fires on that word alone."""
    rules = shipped_safety_rules()
    probes = tuple(Rule(Emergency.BABY_UNWELL, word, "", "", True, PROBE + word) for word in words)
    return EmergencyDetector(replace(rules, rules=rules.rules + probes))


def read_as(typed: str, word: str, words: tuple[str, ...]) -> bool:
    return any(line.endswith(PROBE + word) for line in probed(words).explain(typed))


def one_slip(word: str) -> str:
    """Latin script: two neighbouring letters swapped, away from the start so no rule stem
    still covers it, and never into a listed lookalike (a real word, read as itself). Arabic
    forgives only an added or dropped letter: one letter doubled."""
    if ARABIC_LETTER.search(word):
        return word[:3] + word[2] + word[3:]
    lookalikes = {fold(w) for w in shipped_safety_rules().lookalikes}
    swaps = (
        word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        for at in range(1, len(word) - 1)
        if word[at] != word[at + 1]
    )
    return next(typed for typed in swaps if typed not in lookalikes)


def rule_steps(rules: SafetyRules) -> list[set[str]]:
    """Every place in every pattern, as the words that may fill it (stems left out)."""
    patterns = [p for rule in rules.rules for p in (rule.match, rule.unless_followed_by) if p]
    steps = []
    for pattern in (*patterns, *rules.asking, *rules.mentions):
        for place in pattern.split():
            if not place.startswith("~"):
                words = {fold(w) for w in re.split(r"[|+]", place) if w and w != "_"}
                steps.append({w for w in words if not w.endswith("*")})
    return steps


@pytest.mark.parametrize("word", tolerant_words())
def test_every_slip_tolerant_word_is_still_read_through_one_slip(word: str) -> None:
    typed = one_slip(word)
    assert read_as(typed, word, tolerant_words()), (
        f"{typed!r} is no longer read as {word!r}: a rule word now equals it or sits one slip "
        "from it; add the rule word to lookalikes if it is a real word"
    )


# The words the alarm rules hang on: breath, throat, mouth, face, head, blood, water, medicine.
ARABIC_CORE = (
    "زوره",
    "زورها",
    "حلقه",
    "حلقها",
    "بلعومه",
    "تنفس",
    "نفسه",
    "نفسها",
    "مختنق",
    "يكح",
    "تكح",
    "صوت",
    "ازرق",
    "لونه",
    "لونها",
    "وجهه",
    "وجهها",
    "شفايفه",
    "شفايفها",
    "فمه",
    "فمها",
    "بقه",
    "تمه",
    "عيونه",
    "عيونها",
    "صدره",
    "ضلوعه",
    "راسه",
    "راسها",
    "يستفرغ",
    "تستفرغ",
    "نعسان",
    "جرح",
    "نزيف",
    "ينزف",
    "تنزف",
    "ينسحب",
    "تنسحب",
    "يده",
    "حمام",
    "ماء",
    "مسبح",
    "بركه",
    "شباك",
    "سياره",
    "حبوب",
    "دوا",
    "دواء",
    "شراب",
    "كلور",
    "بطاريه",
    "مغناطيس",
    "حراره",
    "حرارته",
    "حرارتها",
    "مولود",
    "اسابيع",
    "شهرين",
    "انتحار",
    "حياه",
    "اصوات",
    "عنف",
)
# A word that already starts with "the" (الموت) takes و as وال, read as the bare word (موت).
ARABIC_WORDS = tuple(
    sorted(
        {w for w in tolerant_words() if ARABIC_LETTER.search(w) and not w.startswith("ال")}
        | set(ARABIC_CORE)
    )
)


@pytest.mark.parametrize("word", ARABIC_WORDS)
def test_an_arabic_word_with_a_joined_prefix_reaches_every_rule_that_names_it(word: str) -> None:
    steps = rule_steps(shipped_safety_rules())
    listed = set().union(*steps)
    for prefix in ARABIC_PREFIXES:
        typed = prefix + word
        if typed in listed:
            # Listed, so read as written: every rule naming the bare word must name it too.
            missing = [sorted(step) for step in steps if word in step and typed not in step]
            assert not missing, f"{typed} is listed, but these places name only {word}: {missing}"
        else:
            assert read_as(typed, word, ARABIC_WORDS), f"{typed!r} is not read as {word!r}"


def phrases(rules: SafetyRules) -> list[str]:
    """The choices of two or more words ("in+his+throat"), without stems."""
    patterns = [p for rule in rules.rules for p in (rule.match, rule.unless_followed_by) if p]
    return sorted(
        {
            choice
            for pattern in (*patterns, *rules.asking, *rules.mentions)
            for place in pattern.split()
            if not place.startswith("~")
            for choice in place.split("|")
            if "+" in choice and "*" not in choice
        }
    )


def test_every_phrase_in_the_rules_matches_itself_written_out() -> None:
    """Only the first word of a phrase is a word the detector knows; the others are compared
    with the message as read. A later word written as the detector never reads it (للعنف,
    read as عنف) makes the phrase dead."""
    rules = shipped_safety_rules()
    written = phrases(rules)
    probes = tuple(
        Rule(Emergency.BABY_UNWELL, phrase, "", "", True, PROBE + phrase) for phrase in written
    )
    detector = EmergencyDetector(replace(rules, rules=rules.rules + probes))
    dead = [
        phrase
        for phrase in written
        if not any(
            line.endswith(PROBE + phrase) for line in detector.explain(phrase.replace("+", " "))
        )
    ]
    assert not dead, f"write these as the detector reads the message words: {dead}"
