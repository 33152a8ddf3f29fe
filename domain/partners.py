"""Partner agencies and their requests: API keys, scopes, and referrals made exactly once.

A partner (e.g. the police, who see an unsafe sleep set-up on a call-out) gets a key from
`growwell partner add`, scoped to the spokes it may refer into. The key is 256 random bits,
shown once; only its SHA-256 is stored (a secret that random needs no slow hash), found by
its public prefix and compared in constant time.

`refer` makes the request through domain/referrals.py (the same queue, group post and action
log as a family's request) and records the partner's Idempotency-Key with it in the same
transaction: a retry with the same key and body gets the same request back, never a second
one, and the same key with another body is refused. Two identical requests at the same moment
meet at the database's unique (partner, key) index: one makes the request, the other gets it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain import referrals
from domain.working_days import WorkingCalendar
from resources.spokes import Spokes
from store.models import IdempotencyRecord, PartnerKey, Referral

KEY_PREFIX = "gwp_"
PARTNER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
PREGNANT = "pregnant"

# What a partner may say of the child's age, and how the team's group post shows it.
AGE_BANDS = {
    "under_3_months": "under 3 months",
    "3_to_11_months": "3-11 months",
    "1_to_4_years": "1-4 years",
    "5_to_19_years": "5-19 years",
}


class PartnerError(ValueError):
    """A partner command that cannot be done; the message says why, in one line."""


@dataclass(frozen=True)
class NewKey:
    key: PartnerKey
    secret: str  # the whole key, shown once; only its hash is kept


@dataclass(frozen=True)
class PartnerRequest:
    """What a partner sends about a family (already checked by the API's schema).

    `child_age_band` is a key of AGE_BANDS; a `due_date` instead means the mother is pregnant.
    """

    spoke_id: str
    name: str
    phone: str
    postcode: str
    consent_statement: str
    reason: str
    address: str | None = None
    child_age_band: str | None = None
    due_date: date | None = None

    def fingerprint(self) -> str:
        """SHA-256 of the request as checked: the same request however its JSON was spaced
        or ordered."""
        canonical = json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def contact(self) -> dict[str, Any]:
        """What is stored in the request's `partner_contact`."""
        details = asdict(self)
        details.pop("spoke_id")
        if self.due_date is not None:
            details["due_date"] = self.due_date.isoformat()
        return {key: value for key, value in details.items() if value is not None}

    def age_band(self) -> str | None:
        if self.due_date is not None:
            return PREGNANT
        return AGE_BANDS.get(self.child_age_band or "")


class Refusal(StrEnum):
    OUT_OF_SCOPE = "out_of_scope"  # the key may not refer into this spoke
    UNKNOWN_SPOKE = "unknown_spoke"  # in scope, but no longer in resources/spokes.yaml
    KEY_REUSED = "key_reused"  # this Idempotency-Key was used with another body


@dataclass(frozen=True)
class Referred:
    """The partner's request; `replayed` when an earlier call with the same Idempotency-Key
    and body made it."""

    referral: Referral
    replayed: bool


@dataclass(frozen=True)
class Refused:
    reason: Refusal


# ------------------------------------------------------------------------------------- keys


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def _new_secret() -> tuple[str, str]:
    """(prefix, whole key): 'gwp_<8 letters>_<256 random bits>', lower case, easy to copy."""
    prefix = base64.b32encode(secrets.token_bytes(5)).decode("ascii").lower()
    body = base64.b32encode(secrets.token_bytes(32)).decode("ascii").rstrip("=").lower()
    return prefix, f"{KEY_PREFIX}{prefix}_{body}"


async def create_key(
    session: AsyncSession,
    *,
    partner: str,
    spokes: Collection[str],
    known_spokes: Collection[str],
    now: datetime,
) -> NewKey:
    """A new key for `partner` (lower case, e.g. "police"), allowed to refer into `spokes`."""
    partner = partner.strip().lower()
    if not PARTNER_NAME.match(partner):
        raise PartnerError(
            "the partner name must be 1 to 40 lower-case letters, digits, - or _, "
            "starting with a letter"
        )
    allowed = sorted(set(spokes))
    if not allowed:
        raise PartnerError("give at least one spoke the partner may refer into (--spokes)")
    unknown = [spoke for spoke in allowed if spoke not in known_spokes]
    if unknown:
        raise PartnerError(
            f"unknown spoke {unknown[0]!r} (spokes: {', '.join(sorted(known_spokes))})"
        )
    prefix, secret = _new_secret()
    key = PartnerKey(
        partner=partner,
        prefix=prefix,
        key_hash=_hash(secret),
        spokes=allowed,
        created_at=now,
        disabled=False,
    )
    session.add(key)
    await session.flush()
    return NewKey(key, secret)


# Compared against when no key has the presented prefix, so a wrong key takes as long either way.
_NO_KEY_HASH = _hash(KEY_PREFIX)


async def authenticate(session: AsyncSession, presented: str) -> PartnerKey | None:
    """The enabled key `presented` is, or None."""
    prefix = presented.removeprefix(KEY_PREFIX).partition("_")[0]
    key = None
    if presented.startswith(KEY_PREFIX) and prefix:
        key = await session.scalar(select(PartnerKey).where(PartnerKey.prefix == prefix))
    matches = hmac.compare_digest(_hash(presented), key.key_hash if key else _NO_KEY_HASH)
    if key is None or not matches or key.disabled:
        return None
    return key


def in_scope(key: PartnerKey, spoke_id: str) -> bool:
    return spoke_id in key.spokes


async def list_keys(session: AsyncSession) -> list[PartnerKey]:
    return list(await session.scalars(select(PartnerKey).order_by(PartnerKey.id)))


async def disable_key(session: AsyncSession, key_id: int) -> bool:
    """Stop a key at once (its next call gets 401); False if there is no such key."""
    result = await session.execute(
        update(PartnerKey).where(PartnerKey.id == key_id).values(disabled=True)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------- requests


async def refer(
    session: AsyncSession,
    *,
    key: PartnerKey,
    idempotency_key: str,
    request: PartnerRequest,
    spokes: Spokes,
    calendar: WorkingCalendar,
    now: datetime,
) -> Referred | Refused:
    """Make the partner's request once per Idempotency-Key (see the module's docstring).

    Raises `referrals.InvalidRequest` if the details do not make a request (a phone number
    the API's schema should have refused)."""
    if not in_scope(key, request.spoke_id):
        return Refused(Refusal.OUT_OF_SCOPE)
    spoke = spokes.get(request.spoke_id)
    if spoke is None:
        return Refused(Refusal.UNKNOWN_SPOKE)
    fingerprint = request.fingerprint()
    earlier = await _earlier(session, key.partner, idempotency_key, fingerprint)
    if earlier is not None:
        return earlier
    try:
        async with session.begin_nested():
            referral = await referrals.create_for_partner(
                session,
                partner=key.partner,
                spoke=spoke,
                phone=request.phone,
                contact=request.contact(),
                child_age_band=request.age_band(),
                consent_at=now,
                now=now,
                calendar=calendar,
            )
            session.add(
                IdempotencyRecord(
                    partner=key.partner,
                    idempotency_key=idempotency_key,
                    request_hash=fingerprint,
                    referral_id=referral.id,
                    created_at=now,
                )
            )
            await session.flush()
    except IntegrityError:
        # The same key, sent again before the first call was committed: the first one made it.
        earlier = await _earlier(session, key.partner, idempotency_key, fingerprint)
        if earlier is None:
            raise
        return earlier
    return Referred(referral, replayed=False)


async def _earlier(
    session: AsyncSession, partner: str, idempotency_key: str, fingerprint: str
) -> Referred | Refused | None:
    record = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.partner == partner,
            IdempotencyRecord.idempotency_key == idempotency_key,
        )
    )
    if record is None:
        return None
    if record.request_hash != fingerprint:
        return Refused(Refusal.KEY_REUSED)
    referral = await session.get(Referral, record.referral_id)
    assert referral is not None  # requests are never deleted, only anonymised
    return Referred(referral, replayed=True)


async def request_of_partner(
    session: AsyncSession, partner: str, reference: str
) -> Referral | None:
    """A request by its reference, only for the partner that made it."""
    return await session.scalar(
        select(Referral).where(
            Referral.reference == referrals.normalise_reference(reference),
            Referral.source == f"partner:{partner}",
        )
    )
