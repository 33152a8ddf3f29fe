"""Prints the emergency detector's figures on the labelled corpus at the end of the run."""

from __future__ import annotations

import pytest

from tests.domain.safety_corpus import CORPUS_FIGURES, table


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CORPUS_FIGURES:
        terminalreporter.write_sep("-", "emergency detector on the labelled corpus")
        terminalreporter.write_line(table(list(CORPUS_FIGURES.values())))
