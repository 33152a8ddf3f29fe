"""UK phone numbers a family gives for a call back: checked with `phonenumbers`, kept as E.164.

Only numbers in the UK's +44 plan are accepted: the team rings from England, and a number
abroad would be a costly mistake. (Some UK mobile ranges are filed under Guernsey, Jersey or
the Isle of Man in the numbering data, so the country code is checked, not the region.)
Written forms families use all work: `07911 123456`,
`+44 7911 123456`, `0044 7911-123456`, `(0151) 496 0000`.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from locales import N_

# When a family would like the call back: the ids are stored on the request; the labels are
# translated for the family (bot/support.py) and read in English by staff (the dashboard).
CALL_WINDOWS = {
    "morning": N_("In the morning"),
    "afternoon": N_("In the afternoon"),
    "any": N_("Any time"),
}

# Longer than any real number with spaces; anything longer is not a phone number.
MAX_INPUT_CHARS = 32
UK_COUNTRY_CODE = 44


@dataclass(frozen=True)
class UkPhone:
    """A valid UK number: `e164` to store (`+447700900123`), `national` to show
    (`07700 900123`)."""

    e164: str
    national: str


def parse_uk_phone(text: str) -> UkPhone | None:
    """The number in `text`, or None if it is not a valid UK number."""
    text = text.strip()
    if not text or len(text) > MAX_INPUT_CHARS:
        return None
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if number.country_code != UK_COUNTRY_CODE:
        return None
    return UkPhone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        national=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
    )


def national_format(e164: str) -> str:
    """A stored E.164 number as staff read it (`07700 900123`); unchanged if it will not
    parse."""
    phone = parse_uk_phone(e164)
    return phone.national if phone else e164
