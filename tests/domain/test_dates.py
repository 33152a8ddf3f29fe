"""Reading the birth and due dates parents type, and refusing the ones the service cannot use."""

from datetime import date

import pytest
from babel import Locale

from domain.dates import (
    DateInputError,
    DateProblem,
    check_birth_date,
    check_due_date,
    months_old,
    parse_date,
)

TODAY = date(2026, 11, 22)
APRIL_3 = date(2026, 4, 3)
MARCH_3 = date(2026, 3, 3)


def problem_with(text: str, expect: str = "past") -> DateProblem:
    with pytest.raises(DateInputError) as caught:
        parse_date(text, today=TODAY, expect="past" if expect == "past" else "future")
    return caught.value.problem


@pytest.mark.parametrize(
    "text",
    ["03/04/2026", "3/4/2026", "3.4.2026", "3-4-2026", "3 4 2026", "03/04/26", "3.4.26",
     "2026-04-03", "2026/04/03", "٣/٤/٢٠٢٦", "٠٣-٠٤-٢٠٢٦", "۳/۴/۲۰۲۶", " 03/04/2026. "],
)  # fmt: skip
def test_numbers_are_read_day_first_as_in_the_uk(text: str) -> None:
    assert parse_date(text, today=TODAY, expect="past") == APRIL_3


@pytest.mark.parametrize(
    "text",
    [
        # English
        "3 March 2026", "3rd March 2026", "March 3, 2026", "3 Mar 26", "march 3rd 2026",
        "the 3rd of March 2026", "3 MARCH 2026!", "  3   march   2026  ",
        # Polish
        "3 marca 2026", "3 marzec 2026", "3 mar 2026", "3 MARCA 2026", "3 marca 2026 r.",
        "3. marca 2026",
        # Portuguese
        "3 de março de 2026", "3 março 2026", "3 de marco de 2026", "3/mar/2026", "3 mar. 2026",
        # Arabic
        "3 مارس 2026", "٣ مارس ٢٠٢٦", "٣ آذار ٢٠٢٦", "3 اذار 2026", "٣ مارِس ٢٠٢٦م",
    ],
)  # fmt: skip
def test_dates_in_words_are_read_in_every_language(text: str) -> None:
    assert parse_date(text, today=TODAY, expect="past") == MARCH_3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 wrzesnia 2026", date(2026, 9, 3)),
        ("3 września 2026", date(2026, 9, 3)),
        ("1º de maio de 2026", date(2026, 5, 1)),
        ("3 تشرين الثاني 2026", date(2026, 11, 3)),
        ("٣ تشرين الأول ٢٠٢٦", date(2026, 10, 3)),
        ("3 كانون الثاني 2026", date(2026, 1, 3)),
        ("3 ابريل 2026", date(2026, 4, 3)),
        ("3 إبريل 2026", date(2026, 4, 3)),
        ("3 أغسطس 2026", date(2026, 8, 3)),
        ("3 اغسطس 2026", date(2026, 8, 3)),
        ("15 paź 2026", date(2026, 10, 15)),
        ("15 paz 2026", date(2026, 10, 15)),
    ],
)
def test_spelling_variants_of_month_names(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY, expect="past") == expected


@pytest.mark.parametrize("locale", ["en_GB", "pl", "pt", "pt_BR", "ar", "ar_SY", "ar_MA", "ar_DZ"])
def test_every_month_name_babel_knows_is_understood(locale: str) -> None:
    months = Locale.parse(locale).months
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in months[context][width].items():
                typed = f"3 {name} 2026"
                assert parse_date(typed, today=TODAY, expect="past") == date(2026, number, 3)


def test_without_a_year_a_birth_is_the_last_such_day_and_a_due_date_the_next() -> None:
    assert parse_date("3 lipca", today=TODAY, expect="past") == date(2026, 7, 3)
    assert parse_date("3 lipca", today=TODAY, expect="future") == date(2027, 7, 3)
    assert parse_date("22/11", today=TODAY, expect="past") == TODAY
    assert parse_date("22/11", today=TODAY, expect="future") == TODAY
    assert parse_date("29/02", today=TODAY, expect="past") == date(2024, 2, 29)
    assert parse_date("29/02", today=TODAY, expect="future") == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", TODAY), ("Yesterday", date(2026, 11, 21)), ("dzisiaj", TODAY),
        ("wczoraj.", date(2026, 11, 21)), ("hoje", TODAY), ("ontem!", date(2026, 11, 21)),
        ("اليوم", TODAY), ("أمس", date(2026, 11, 21)), ("امس", date(2026, 11, 21)),
    ],
)  # fmt: skip
def test_today_and_yesterday_in_every_language(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY, expect="past") == expected


@pytest.mark.parametrize(
    "text", ["31/02/2026", "0/1/2026", "3/13/2026", "32 March 2026", "31 kwietnia 2026", "31/4"]
)
def test_impossible_dates_are_refused(text: str) -> None:
    assert problem_with(text) is DateProblem.IMPOSSIBLE


@pytest.mark.parametrize(
    "text",
    ["👶", "hello", "soon", "3 days ago", "March 3 2026 🎉", "12345", "3/4/202", "1/2/3/4",
     "my baby was born on the third", "x" * 5_000, "3 " * 2_500],
)  # fmt: skip
def test_anything_else_is_not_a_date(text: str) -> None:
    assert problem_with(text) is DateProblem.NOT_A_DATE


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_answer_is_empty(text: str) -> None:
    assert problem_with(text) is DateProblem.EMPTY


def test_a_month_and_year_without_a_day_asks_for_the_day() -> None:
    assert problem_with("March 2027", expect="future") is DateProblem.NEEDS_DAY


def test_the_error_message_never_carries_what_the_parent_typed() -> None:
    with pytest.raises(DateInputError) as caught:
        parse_date("Amy born 31/02/2026", today=TODAY, expect="past")
    assert "Amy" not in str(caught.value) and "Amy" not in repr(caught.value)
    assert caught.value.text == "Amy born 31/02/2026"


def test_birth_dates_outside_the_0_to_5_service_are_refused() -> None:
    assert check_birth_date(TODAY, today=TODAY) is None
    assert check_birth_date(date(2026, 11, 23), today=TODAY) is DateProblem.IN_FUTURE
    assert check_birth_date(date(2021, 11, 23), today=TODAY) is None
    assert check_birth_date(date(2021, 11, 22), today=TODAY) is DateProblem.OVER_FIVE
    # Born on 29 February: five on 1 March in a year without one.
    assert check_birth_date(date(2024, 2, 29), today=date(2029, 2, 28)) is None
    assert check_birth_date(date(2024, 2, 29), today=date(2029, 3, 1)) is DateProblem.OVER_FIVE


def test_due_dates_no_pregnancy_could_have_are_refused() -> None:
    assert check_due_date(date(2027, 9, 12), today=TODAY) is None  # exactly 42 weeks ahead
    assert check_due_date(date(2027, 9, 13), today=TODAY) is DateProblem.DUE_TOO_FAR_AHEAD
    assert check_due_date(date(2026, 10, 22), today=TODAY) is None  # 31 days ago
    assert check_due_date(date(2026, 10, 21), today=TODAY) is DateProblem.DUE_LONG_PAST


@pytest.mark.parametrize(
    ("born", "today", "months"),
    [
        (date(2026, 5, 20), date(2026, 5, 20), 0),
        (date(2026, 5, 20), date(2026, 11, 19), 5),  # six calendar months on, not yet 6
        (date(2026, 5, 20), date(2026, 11, 20), 6),
        (date(2025, 12, 31), date(2026, 2, 28), 1),
        (date(2024, 2, 29), date(2026, 3, 1), 24),
    ],
)
def test_a_childs_age_counts_whole_months_only(born: date, today: date, months: int) -> None:
    assert months_old(born, today) == months
