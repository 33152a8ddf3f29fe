"""UK phone numbers for a call back: the forms families type, and what is refused."""

from __future__ import annotations

import pytest

from domain.phone import national_format, parse_uk_phone


@pytest.mark.parametrize(
    "typed",
    ["07911 123456", "07911123456", "+44 7911 123456", "0044 7911-123456", "+44 (0) 7911 123456"],
)
def test_a_mobile_in_any_usual_form_is_one_number(typed: str) -> None:
    phone = parse_uk_phone(typed)
    assert phone is not None
    assert (phone.e164, phone.national) == ("+447911123456", "07911 123456")


def test_a_sefton_landline_is_accepted() -> None:
    phone = parse_uk_phone("(0151) 496 0000")
    assert phone is not None
    assert phone.e164 == "+441514960000"
    assert national_format(phone.e164) == "0151 496 0000"


@pytest.mark.parametrize(
    "typed",
    ["", "12345", "call me", "07911 12345", "+48 601 234 567", "+1 212 555 0100", "0" * 40],
)
def test_numbers_that_are_not_uk_numbers_are_refused(typed: str) -> None:
    assert parse_uk_phone(typed) is None
