"""Understand the birth and due dates parents type, in English, Polish, Portuguese or Arabic.

Numbers are read day first, as in the UK; month names are accepted in all four languages at once.
"""

import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from locales.text_folding import ARABIC_DIGITS, LETTER_VARIANTS, without_marks

# The longest real answer ("3 de setembro de 2026", "٣ تشرين الثاني ٢٠٢٦ م") is well under this;
# anything longer is not a date, and refusing it up front keeps the work bounded.
_MAX_DATE_CHARS = 60
_PREGNANCY_HORIZON = timedelta(weeks=42)
_DUE_GRACE = timedelta(days=31)


class DateProblem(StrEnum):
    """Why a typed date was refused; the bot turns each into a kind message and asks again."""

    EMPTY = "empty"
    NOT_A_DATE = "not_a_date"
    NEEDS_DAY = "needs_day"
    IMPOSSIBLE = "impossible"
    IN_FUTURE = "in_future"
    OVER_FIVE = "over_five"
    DUE_TOO_FAR_AHEAD = "due_too_far_ahead"
    DUE_LONG_PAST = "due_long_past"


class DateInputError(ValueError):
    """A typed date could not be understood.

    The message carries only the problem, so logging the exception never logs what the parent
    typed; the text itself is kept on `text` for the caller to echo back.
    """

    def __init__(self, problem: DateProblem, text: str = "") -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.text = text.strip()[:_MAX_DATE_CHARS]


# Month names as parents write them, before folding (folding strips diacritics, hamza and
# alef variants, so "wrzesnia", "marco" and "ابريل" need no entries of their own).
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: (
        "january", "jan",
        "styczeń", "stycznia", "sty",
        "janeiro",
        "يناير", "كانون الثاني", "كانون ثاني", "جانفي",
    ),
    2: (
        "february", "feb",
        "luty", "lutego", "lut",
        "fevereiro", "fev",
        "فبراير", "شباط", "فيفري",
    ),
    3: (
        "march", "mar",
        "marzec", "marca",
        "março",
        "مارس", "آذار",
    ),
    4: (
        "april", "apr",
        "kwiecień", "kwietnia", "kwi",
        "abril", "abr",
        "أبريل", "إبريل", "نيسان", "أفريل",
    ),
    5: (
        "may",
        "maj", "maja",
        "maio", "mai",
        "مايو", "أيار", "ماي",
    ),
    6: (
        "june", "jun",
        "czerwiec", "czerwca", "cze",
        "junho",
        "يونيو", "يونية", "حزيران", "جوان",
    ),
    7: (
        "july", "jul",
        "lipiec", "lipca", "lip",
        "julho",
        "يوليو", "يولية", "تموز", "جويلية", "يوليوز",
    ),
    8: (
        "august", "aug",
        "sierpień", "sierpnia", "sie",
        "agosto", "ago",
        "أغسطس", "آب", "أوت", "غشت",
    ),
    9: (
        "september", "sep", "sept",
        "wrzesień", "września", "wrz",
        "setembro", "set",
        "سبتمبر", "أيلول", "شتنبر",
    ),
    10: (
        "october", "oct",
        "październik", "października", "paź",
        "outubro", "out",
        "أكتوبر", "تشرين الأول", "تشرين أول",
    ),
    11: (
        "november", "nov",
        "listopad", "listopada", "lis",
        "novembro",
        "نوفمبر", "تشرين الثاني", "تشرين ثاني", "نونبر",
    ),
    12: (
        "december", "dec",
        "grudzień", "grudnia", "gru",
        "dezembro", "dez",
        "ديسمبر", "كانون الأول", "كانون أول", "دجنبر",
    ),
}  # fmt: skip

# Days relative to today: "born today", "due tomorrow".
_RELATIVE_DAYS: dict[int, tuple[str, ...]] = {
    0: ("today", "dzisiaj", "dziś", "hoje", "اليوم"),
    -1: ("yesterday", "wczoraj", "ontem", "أمس", "البارحة", "مبارح", "امبارح"),
    -2: ("day before yesterday", "przedwczoraj", "anteontem", "أول أمس", "اول امبارح"),
    1: ("tomorrow", "jutro", "amanhã", "غدا", "بكرة", "بكرا"),
}

# Words that sit around a date without changing it: ordinal suffixes (3rd, 1º, 3-go), "of",
# "de", Polish "r."/"roku" after a year, Arabic "م" (Gregorian) after a year.
_FILLER_WORDS = frozenset(
    {"st", "nd", "rd", "th", "o", "go", "the", "of", "on", "de", "do", "dia", "dnia", "r", "roku"}
    | {"م", "من", "يوم", "سنة", "عام"}
)

# Between the parts of a date: spaces and / . - , \ ' and their Arabic forms; trailing ! ? : ;
_SEPARATORS = " /.,\\-–—'’،؛٫!?؟:;"

_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_ALLOWED = re.compile(rf"[\w{re.escape(_SEPARATORS)}\s]*")


def _fold(text: str) -> str:
    """Casefold and drop diacritics, tashkeel and hamza so spelling variants compare equal."""
    return without_marks(text.casefold().translate(ARABIC_DIGITS)).translate(LETTER_VARIANTS)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(_fold(text)))


_MONTHS: dict[tuple[str, ...], int] = {
    _words(name): month for month, names in _MONTH_NAMES.items() for name in names
}
_RELATIVE: dict[tuple[str, ...], int] = {
    _words(word): offset for offset, words in _RELATIVE_DAYS.items() for word in words
}
_FILLERS = frozenset(_fold(word) for word in _FILLER_WORDS)
_LONGEST_MONTH = max(len(words) for words in _MONTHS)

# A date read into parts: ("n", value, digit count) for numbers, ("m", month, 0) for names.
_Part = tuple[Literal["n", "m"], int, int]


def parse_date(text: str, *, today: date, expect: Literal["past", "future"]) -> date:
    """Read a date a parent typed, in any of the four languages.

    Without a year, the nearest matching date in the `expect` direction is chosen, because a
    parent giving a birth date means the last such day and one giving a due date the next.
    Raises DateInputError with the problem to explain.
    """
    trimmed = text.strip()
    if not trimmed:
        raise DateInputError(DateProblem.EMPTY, trimmed)
    folded = _fold(trimmed) if len(trimmed) <= _MAX_DATE_CHARS else ""
    if not folded or not _ALLOWED.fullmatch(folded):
        raise DateInputError(DateProblem.NOT_A_DATE, trimmed)
    words = tuple(_TOKEN.findall(folded))
    if words in _RELATIVE:
        return today + timedelta(days=_RELATIVE[words])
    parts = _read_parts(words)
    if parts is None:
        raise DateInputError(DateProblem.NOT_A_DATE, trimmed)
    day_month_year = _arrange(parts)
    if day_month_year is None:
        raise DateInputError(DateProblem.NOT_A_DATE, trimmed)
    day, month, year = day_month_year
    if day is None:
        raise DateInputError(DateProblem.NEEDS_DAY, trimmed)
    try:
        if year is None:
            return _nearest(day, month, today=today, expect=expect)
        return date(year, month, day)
    except ValueError:
        raise DateInputError(DateProblem.IMPOSSIBLE, trimmed) from None


def _read_parts(words: tuple[str, ...]) -> list[_Part] | None:
    """Turn words into numbers and month names, or None if any word is neither."""
    parts: list[_Part] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.isdecimal():
            parts.append(("n", int(word), len(word)))
            i += 1
            continue
        for size in range(min(_LONGEST_MONTH, len(words) - i), 0, -1):
            month = _MONTHS.get(words[i : i + size])
            if month is not None:
                parts.append(("m", month, 0))
                i += size
                break
        else:
            if word not in _FILLERS:
                return None
            i += 1
        if len(parts) > 3:
            return None
    return parts


def _arrange(parts: list[_Part]) -> tuple[int | None, int, int | None] | None:
    """Order the parts as (day, month, year), None where the parent left one out."""
    shape = "".join(kind for kind, _, _ in parts)
    values = [value for _, value, _ in parts]
    digits = [count for _, _, count in parts]
    if shape == "nnn" and digits[0] == 4 and digits[1] <= 2 and digits[2] <= 2:
        return values[2], values[1], values[0]
    if shape == "nnn" and digits[0] <= 2 and digits[1] <= 2 and _is_year(digits[2]):
        return values[0], values[1], _full_year(values[2])
    if shape == "nn" and digits[0] <= 2 and digits[1] <= 2:
        return values[0], values[1], None
    if shape == "nmn" and digits[0] <= 2 and _is_year(digits[2]):
        return values[0], values[1], _full_year(values[2])
    if shape == "mnn" and digits[1] <= 2 and _is_year(digits[2]):
        return values[1], values[0], _full_year(values[2])
    if shape in ("nm", "mn"):
        number, month = values[shape.index("n")], values[shape.index("m")]
        if digits[shape.index("n")] <= 2:
            return number, month, None
        if digits[shape.index("n")] == 4:  # "March 2026": a month, but which day?
            return None, month, number
    return None


def _is_year(digit_count: int) -> bool:
    return digit_count in (2, 4)


def _full_year(value: int) -> int:
    """Two-digit years are this century: a parent writing 26 means 2026."""
    return 2000 + value if value < 100 else value


def _nearest(day: int, month: int, *, today: date, expect: Literal["past", "future"]) -> date:
    """The closest day/month on or before (past) or on or after (future) today."""
    date(2000, month, day)  # a leap year: raises for 31/02 or month 13, accepts 29/02
    step = -1 if expect == "past" else 1
    year = today.year
    while True:
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February outside a leap year
            year += step
            continue
        if (candidate <= today) if expect == "past" else (candidate >= today):
            return candidate
        year += step


def check_birth_date(born: date, *, today: date) -> DateProblem | None:
    """Refuse a birth date in the future or of a child aged five or more (the service is 0-5)."""
    if born > today:
        return DateProblem.IN_FUTURE
    try:
        fifth_birthday = born.replace(year=born.year + 5)
    except ValueError:  # born 29 February: in England the birthday falls on 1 March
        fifth_birthday = date(born.year + 5, 3, 1)
    if fifth_birthday <= today:
        return DateProblem.OVER_FIVE
    return None


def months_old(born: date, today: date) -> int:
    """A child's age in whole months: a baby born on 20 May is 5 months old until 20 November."""
    return (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)


def check_due_date(due: date, *, today: date) -> DateProblem | None:
    """Refuse a due date no pregnancy could have, or one so long past the baby must be born."""
    if due > today + _PREGNANCY_HORIZON:
        return DateProblem.DUE_TOO_FAR_AHEAD
    if due < today - _DUE_GRACE:
        return DateProblem.DUE_LONG_PAST
    return None
