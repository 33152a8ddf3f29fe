"""The detector against its labelled corpus: every emergency caught, few false alarms.

Run with `-s` or read the summary at the end of the run for recall and false alarms by kind and
language.
"""

from __future__ import annotations

import pytest

from domain.safety import shipped_detector
from resources.safety_rules import Emergency
from tests.domain.safety_corpus import CORPUS_FIGURES, LANGUAGES, Figures, load_corpus, measure

MAX_FALSE_ALARMS = 0.03


def figures_for(language: str) -> Figures:
    if language not in CORPUS_FIGURES:
        CORPUS_FIGURES[language] = measure(shipped_detector(), load_corpus(language))
    return CORPUS_FIGURES[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_labelled_emergency_is_caught(language: str) -> None:
    figures = figures_for(language)
    missed = "\n".join(f"  {kind.value}: {text}" for text, kind in figures.missed)
    assert not figures.missed, f"{len(figures.missed)} emergencies missed in {language}:\n{missed}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_false_alarms_stay_at_or_under_three_percent(language: str) -> None:
    figures = figures_for(language)
    rate = len(figures.false_alarms) / (figures.ordinary + figures.questions)
    listed = "\n".join(f"  {text}" for text in figures.false_alarms)
    assert rate <= MAX_FALSE_ALARMS, f"{rate:.1%} false alarms in {language}:\n{listed}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_most_emergencies_get_the_reply_for_their_own_kind(language: str) -> None:
    """A wrong kind still says 999 or A&E, but the right kind says what to do first."""
    figures = figures_for(language)
    total = sum(figures.total.values())
    assert figures.right_kind / total >= 0.97, figures.wrong_kind


def test_the_corpus_covers_every_kind_in_every_language_at_the_size_asked_for() -> None:
    corpora = [load_corpus(language) for language in LANGUAGES]
    assert sum(len(c.emergencies) for c in corpora) >= 400
    assert sum(len(c.everyday) for c in corpora) >= 400
    for corpus in corpora:
        kinds = {kind for _, kind in corpus.emergencies}
        assert kinds == set(Emergency), (corpus.language, set(Emergency) - kinds)
        assert len(corpus.questions) >= 20, corpus.language
        texts = [t for t, _ in corpus.emergencies] + corpus.questions + corpus.everyday
        assert len(texts) == len(set(texts)), f"{corpus.language} has a line twice"
