"""The labelled corpus beside the emergency rules, and the detector's figures on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from domain.safety import EmergencyDetector
from resources.safety_rules import CORPUS_DIR, Emergency

LANGUAGES = ("en", "pl", "pt", "ar")
# Filled by the corpus tests, printed by `conftest.pytest_terminal_summary`.
CORPUS_FIGURES: dict[str, Figures] = {}


@dataclass(frozen=True)
class Corpus:
    language: str
    emergencies: list[tuple[str, Emergency]]
    questions: list[str]
    everyday: list[str]


def load_corpus(language: str, folder: Path = CORPUS_DIR) -> Corpus:
    data = yaml.safe_load((folder / f"{language}.yaml").read_text(encoding="utf-8"))
    return Corpus(
        language=language,
        emergencies=[
            (text, Emergency(category))
            for category, texts in data["emergency"].items()
            for text in texts
        ],
        questions=list(data.get("question") or []),
        everyday=list(data.get("everyday") or []),
    )


@dataclass
class Figures:
    """Counts for one language: what was caught, missed, and raised by mistake."""

    language: str
    caught: dict[Emergency, int] = field(default_factory=dict)
    total: dict[Emergency, int] = field(default_factory=dict)
    right_kind: int = 0
    missed: list[tuple[str, Emergency]] = field(default_factory=list)
    wrong_kind: list[tuple[str, Emergency, Emergency]] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    ordinary: int = 0
    questions: int = 0
    questions_softened: int = 0


def measure(detector: EmergencyDetector, corpus: Corpus) -> Figures:
    figures = Figures(corpus.language)
    for text, expected in corpus.emergencies:
        figures.total[expected] = figures.total.get(expected, 0) + 1
        found = detector.assess(text).emergency
        if found is None:
            figures.missed.append((text, expected))
            continue
        figures.caught[expected] = figures.caught.get(expected, 0) + 1
        if found is expected:
            figures.right_kind += 1
        else:
            figures.wrong_kind.append((text, expected, found))
    for text in corpus.questions:
        assessment = detector.assess(text)
        figures.questions += 1
        figures.questions_softened += assessment.red_flag
        if assessment.emergency is not None:
            figures.false_alarms.append(text)
    for text in corpus.everyday:
        figures.ordinary += 1
        if detector.assess(text).emergency is not None:
            figures.false_alarms.append(text)
    return figures


def table(all_figures: list[Figures]) -> str:
    """Recall per category and language, then false alarms and softened questions."""
    lines = ["Emergencies caught / labelled, by kind and language:"]
    header = f"  {'category':<18}" + "".join(f"{f.language:>12}" for f in all_figures)
    lines.append(header)
    for kind in Emergency:
        row = f"  {kind.value:<18}"
        for f in all_figures:
            total = f.total.get(kind, 0)
            row += f"{f.caught.get(kind, 0):>7}/{total:<4}" if total else f"{'-':>12}"
        lines.append(row)
    for label, value in (
        ("all caught", lambda f: f"{sum(f.caught.values())}/{sum(f.total.values())}"),
        ("right kind", lambda f: f"{f.right_kind}/{sum(f.total.values())}"),
        (
            "false alarms",
            lambda f: (
                f"{len(f.false_alarms)}/{f.ordinary + f.questions}"
                f" {100 * len(f.false_alarms) / max(1, f.ordinary + f.questions):.1f}%"
            ),
        ),
        ("questions soft", lambda f: f"{f.questions_softened}/{f.questions}"),
    ):
        lines.append(f"  {label:<18}" + "".join(f"{value(f):>12}" for f in all_figures))
    return "\n".join(lines)
