"""The partner API's request and response bodies: validated here, documented from here.

The OpenAPI document (api/openapi.py) is generated from these models' JSON Schema, so what
is checked and what is published cannot drift apart. A due date is checked against today,
which the route passes in the validation context (`{"today": date}`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from domain.dates import check_due_date
from domain.partners import PartnerRequest
from domain.phone import parse_uk_phone
from store.models import ReferralStatus

UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")

# The keys of domain.partners.AGE_BANDS (a test holds them equal).
AgeBand = Literal["under_3_months", "3_to_11_months", "1_to_4_years", "5_to_19_years"]


class ReferralIn(BaseModel):
    """A partner's concern about a family. Give the child's age band, or the due date if the
    mother is pregnant."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    spoke: str = Field(
        pattern=r"^[a-z0-9_]{1,32}$",
        description="The service to refer into, e.g. safe_sleep; the key must allow it.",
        examples=["safe_sleep"],
    )
    name: str = Field(
        min_length=1,
        max_length=100,
        description="Who the team should call.",
        examples=["Sam Example"],
    )
    phone: str = Field(
        min_length=1, max_length=32, description="A UK phone number.", examples=["07911 123456"]
    )
    address: str | None = Field(default=None, max_length=300)
    postcode: str = Field(min_length=5, max_length=10, examples=["L20 3AB"])
    child_age_band: AgeBand | None = None
    due_date: date | None = Field(default=None, description="If the mother is pregnant.")
    consent_statement: str = Field(
        min_length=1,
        max_length=500,
        description="Who agreed to be contacted by health visiting, and how.",
        examples=["Mother agreed on the call-out to a phone call from health visiting."],
    )
    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="What the partner saw.",
        examples=["Baby asleep on the sofa with a parent."],
    )

    @field_validator("phone")
    @classmethod
    def _uk_phone(cls, value: str) -> str:
        phone = parse_uk_phone(value)
        if phone is None:
            raise ValueError("must be a UK phone number, starting 0 or +44")
        return phone.e164

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str) -> str:
        found = UK_POSTCODE.match(value.upper())
        if found is None:
            raise ValueError("must be a UK postcode, e.g. L20 3AB")
        return f"{found.group(1)} {found.group(2)}"

    @field_validator("due_date")
    @classmethod
    def _due_date(cls, value: date | None, info: ValidationInfo) -> date | None:
        today = info.context.get("today") if isinstance(info.context, dict) else None
        if value is not None and today is not None and check_due_date(value, today=today):
            raise ValueError("must be within the pregnancy: not past, nor over 42 weeks ahead")
        return value

    @model_validator(mode="after")
    def _one_child_detail(self) -> ReferralIn:
        if (self.child_age_band is None) == (self.due_date is None):
            raise ValueError("give child_age_band or due_date (one of them)")
        return self

    def request(self) -> PartnerRequest:
        return PartnerRequest(
            spoke_id=self.spoke,
            name=self.name,
            phone=self.phone,
            postcode=self.postcode,
            consent_statement=self.consent_statement,
            reason=self.reason,
            address=self.address or None,
            child_age_band=self.child_age_band,
            due_date=self.due_date,
        )


class ReferralCreated(BaseModel):
    """The request made (201), the same again for a retry with the same Idempotency-Key."""

    reference: str = Field(examples=["GW-7K3M9"])
    status: ReferralStatus = Field(description="When the request was made; GET for the latest.")
    created_at: datetime


class ReferralState(BaseModel):
    """Where a request is now. Staff notes and messages are never shown to partners."""

    reference: str
    status: ReferralStatus
    created_at: datetime
    updated_at: datetime
    first_contact_at: datetime | None
    closed_at: datetime | None


class FieldError(BaseModel):
    field: str = Field(description="Where the problem is, e.g. phone or header Idempotency-Key.")
    message: str


class Problem(BaseModel):
    """Every error: a code a program can check, and words a person can read."""

    error: str = Field(examples=["invalid_body"])
    message: str
    fields: list[FieldError] = Field(default_factory=list)
