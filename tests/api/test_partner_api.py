"""POST and GET /api/v1/referrals on a real database: a partner's request joins the staff queue
once per Idempotency-Key, keys and scopes are enforced, and every error is JSON naming what is
wrong."""

from __future__ import annotations

import asyncio
import json
import typing
from typing import Any

from sqlalchemy import func, select

from api.partner_routes import MAX_BODY_BYTES
from api.schemas import AgeBand
from domain import partners, referrals, staff
from domain.referrals import EventKind, QueueView, calendar_for
from scheduler.staff_queue import StaffQueue
from store.models import (
    ContactMethod,
    PartnerKey,
    Referral,
    ReferralStatus,
    StaffMember,
    StaffRole,
)
from tests.api.conftest import SPOKES, Client, Sessions, make_key
from tests.conftest import Clock

URL = "/api/v1/referrals"
BODY: dict[str, Any] = {
    "spoke": "safe_sleep",
    "name": "Sam Example",
    "phone": "07911 123456",
    "address": "1 Example Road, Bootle",
    "postcode": "l20 3ab",
    "child_age_band": "under_3_months",
    "consent_statement": "Mother agreed on the call-out to a phone call from health visiting.",
    "reason": "Baby asleep on the sofa with a parent.",
}


def headers(key: str, idempotency_key: str = "call-out-1") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key}


async def count_requests(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Referral)) or 0)


async def fields_of(response: Any) -> list[str]:
    problem = await response.json()
    return [item["field"] for item in problem["fields"]]


async def admin(sessions: Sessions, clock: Clock) -> StaffMember:
    async with sessions.begin() as session:
        created = await staff.create_staff(
            session, name="Ann", team_id=None, role=StaffRole.ADMIN, teams=SPOKES.teams,
            now=clock(),
        )  # fmt: skip
        member = await staff.link_telegram(session, created.code, 9001, clock())
        assert isinstance(member, StaffMember)
        return member


async def test_a_partner_request_joins_the_queue_marked_with_its_source(
    client: Client, police: str, sessions: Sessions, clock: Clock
) -> None:
    response = await client.post(URL, json=BODY, headers=headers(police))
    assert response.status == 201
    made = await response.json()
    assert made["status"] == "new"
    assert made["reference"].startswith("GW-")
    assert response.headers["Location"] == f"{URL}/{made['reference']}"
    assert "Idempotent-Replayed" not in response.headers
    member = await admin(sessions, clock)
    async with sessions() as session:
        [queued] = await referrals.queue(session, member, QueueView.OPEN, clock())
        assert queued.reference == made["reference"]
        assert queued.source == "partner:police"
        assert queued.family_id is None
        assert queued.spoke_id == "safe_sleep"
        assert queued.team_id == "health_visiting"
        assert queued.contact_method is ContactMethod.PHONE
        assert queued.phone == "+447911123456"
        assert queued.child_age_band == "under 3 months"
        assert queued.partner_contact == {
            "name": "Sam Example",
            "phone": "+447911123456",
            "address": "1 Example Road, Bootle",
            "postcode": "L20 3AB",
            "child_age_band": "under_3_months",
            "consent_statement": BODY["consent_statement"],
            "reason": BODY["reason"],
        }
        # The team's group post is due, as for a family's request.
        assert [r.id for r in await referrals.posts_due(session)] == [queued.id]
        [created] = await referrals.history(session, queued.id)
        assert (created.kind, created.actor) == (EventKind.CREATED, "partner")
        assert created.detail["source"] == "partner:police"
        # Open shows the team what the partner sent: the family may not use the bot.
        details = await StaffQueue(
            sessions=sessions, bot=None, spokes=SPOKES, clock=clock, calendar=calendar_for(SPOKES)
        ).details(session, queued, "en")  # fmt: skip
    assert "From the partner police:" in details
    assert f"reason: {BODY['reason']}" in details
    assert "postcode: L20 3AB" in details


async def test_a_retry_with_the_same_idempotency_key_gets_the_same_request(
    client: Client, police: str, sessions: Sessions
) -> None:
    first = await client.post(URL, json=BODY, headers=headers(police))
    # The same body, its keys in another order and spaced differently.
    again = json.dumps(dict(reversed(BODY.items())), indent=4)
    retry = await client.post(URL, data=again, headers=headers(police))
    assert retry.status == 201
    assert await retry.json() == await first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert await count_requests(sessions) == 1
    other = await client.post(URL, json=BODY, headers=headers(police, "call-out-2"))
    assert (await other.json())["reference"] != (await first.json())["reference"]
    assert await count_requests(sessions) == 2


async def test_two_identical_requests_at_once_make_one_request(
    client: Client, police: str, sessions: Sessions
) -> None:
    responses = await asyncio.gather(
        *(client.post(URL, json=BODY, headers=headers(police)) for _ in range(4))
    )
    assert [r.status for r in responses] == [201] * 4
    assert len({(await r.json())["reference"] for r in responses}) == 1
    assert await count_requests(sessions) == 1


async def test_the_same_key_with_another_body_is_refused(
    client: Client, police: str, sessions: Sessions
) -> None:
    await client.post(URL, json=BODY, headers=headers(police))
    response = await client.post(
        URL, json={**BODY, "reason": "Something else"}, headers=headers(police)
    )
    assert response.status == 409
    assert (await response.json())["error"] == "idempotency_key_reused"
    assert await count_requests(sessions) == 1


async def test_no_key_a_wrong_key_or_a_disabled_key_is_401(
    client: Client, police: str, sessions: Sessions
) -> None:
    tampered = police[:-4] + ("aaaa" if not police.endswith("aaaa") else "bbbb")
    for sent in (
        {"Idempotency-Key": "k"},
        {"Authorization": police, "Idempotency-Key": "k"},  # no "Bearer"
        headers("gwp_nothing_here"),
        headers(tampered),
        headers(""),
    ):
        response = await client.post(URL, json=BODY, headers=sent)
        assert response.status == 401, sent
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert (await response.json())["error"] == "unauthorized"
    async with sessions.begin() as session:
        key_id = await session.scalar(select(PartnerKey.id))
        assert key_id is not None
        assert await partners.disable_key(session, key_id)
    response = await client.post(URL, json=BODY, headers=headers(police))
    assert response.status == 401
    assert await count_requests(sessions) == 0


async def test_a_spoke_outside_the_keys_scope_is_403(
    client: Client, sessions: Sessions, clock: Clock
) -> None:
    council = await make_key(sessions, clock, "council", "babs")
    response = await client.post(URL, json=BODY, headers=headers(council))
    assert response.status == 403
    problem = await response.json()
    assert problem["error"] == "spoke_not_allowed"
    assert "safe_sleep" in problem["message"]
    assert await count_requests(sessions) == 0


async def test_an_invalid_body_is_422_naming_each_field(
    client: Client, police: str, sessions: Sessions
) -> None:
    wrong = {**BODY, "phone": "+1 212 555 0100", "postcode": "nowhere", "colour": "red"}
    del wrong["reason"]
    response = await client.post(URL, json=wrong, headers=headers(police))
    assert response.status == 422
    problem = await response.json()
    assert problem["error"] == "invalid_body"
    assert sorted(item["field"] for item in problem["fields"]) == [
        "colour",
        "phone",
        "postcode",
        "reason",
    ]
    [phone] = [item for item in problem["fields"] if item["field"] == "phone"]
    assert phone["message"] == "must be a UK phone number, starting 0 or +44"
    assert "+1 212" not in await response.text()  # what was sent is not echoed
    both = await client.post(
        URL, json={**BODY, "due_date": "2027-03-01"}, headers=headers(police, "b")
    )
    assert await fields_of(both) == ["body"]
    no_json = await client.post(URL, data="{not json", headers=headers(police, "c"))
    assert no_json.status == 422
    assert await fields_of(no_json) == ["body"]
    no_key = await client.post(URL, json=BODY, headers={"Authorization": f"Bearer {police}"})
    assert no_key.status == 422
    assert await fields_of(no_key) == ["header Idempotency-Key"]
    assert await count_requests(sessions) == 0


async def test_a_due_date_means_pregnant_and_a_past_one_is_refused(
    client: Client, police: str, sessions: Sessions
) -> None:
    body = {k: v for k, v in BODY.items() if k != "child_age_band"}
    past = await client.post(
        URL, json={**body, "due_date": "2025-01-01"}, headers=headers(police, "p")
    )
    assert past.status == 422
    assert await fields_of(past) == ["due_date"]
    made = await client.post(
        URL, json={**body, "due_date": "2027-03-01"}, headers=headers(police, "q")
    )
    assert made.status == 201
    async with sessions() as session:
        referral = await session.scalar(select(Referral))
        assert referral is not None
        assert referral.child_age_band == "pregnant"
        assert referral.partner_contact is not None
        assert referral.partner_contact["due_date"] == "2027-03-01"


async def test_a_body_over_the_limit_is_413(client: Client, police: str) -> None:
    big = {**BODY, "reason": "x" * (MAX_BODY_BYTES + 1)}
    response = await client.post(URL, json=big, headers=headers(police))
    assert response.status == 413
    assert (await response.json())["error"] == "body_too_large"


async def test_a_request_shows_its_status_to_the_partner_that_made_it_only(
    client: Client, police: str, sessions: Sessions, clock: Clock
) -> None:
    made = await (await client.post(URL, json=BODY, headers=headers(police))).json()
    reference = made["reference"]
    member = await admin(sessions, clock)
    clock.advance(hours=1)
    async with sessions.begin() as session:
        referral_id = await session.scalar(
            select(Referral.id).where(Referral.reference == reference)
        )
        assert referral_id is not None
        await referrals.claim(session, referral_id, member, clock())
        await referrals.add_staff_note(session, referral_id, member, "Known to us", clock())
    auth = {"Authorization": f"Bearer {police}"}
    response = await client.get(f"{URL}/{reference}", headers=auth)
    assert response.status == 200
    state = await response.json()
    assert state == {
        "reference": reference,
        "status": ReferralStatus.CLAIMED.value,
        "created_at": "2026-11-23T10:00:00Z",
        "updated_at": "2026-11-23T11:00:00Z",
        "first_contact_at": None,
        "closed_at": None,
    }
    typed = await client.get(f"{URL}/{reference.lower().replace('-', ' ')}", headers=auth)
    assert (await typed.json())["reference"] == reference
    council = await make_key(sessions, clock, "council", "safe_sleep")
    for sent, path in (
        ({"Authorization": f"Bearer {council}"}, f"{URL}/{reference}"),
        (auth, f"{URL}/GW-XXXXX"),
    ):
        missing = await client.get(path, headers=sent)
        assert missing.status == 404
        assert (await missing.json())["error"] == "not_found"
    assert (await client.get(f"{URL}/{reference}")).status == 401


async def test_the_openapi_document_describes_both_routes(client: Client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    document = json.loads(await response.text())
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/api/v1/referrals", "/api/v1/referrals/{reference}"}
    post = document["paths"]["/api/v1/referrals"]["post"]
    assert set(post["responses"]) == {"201", "401", "403", "409", "413", "422"}
    schemas = document["components"]["schemas"]
    body = schemas["ReferralIn"]
    assert set(body["required"]) == {"spoke", "name", "phone", "postcode"} | {
        "consent_statement",
        "reason",
    }
    # Every $ref points at a schema the document has.
    refs = {
        value.removeprefix("#/components/schemas/")
        for value in _walk(document)
        if isinstance(value, str) and value.startswith("#/")
    }
    assert refs <= set(schemas)
    assert {"ReferralIn", "ReferralCreated", "ReferralState", "Problem"} <= refs


def _walk(node: object) -> typing.Iterator[object]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
    else:
        yield node


async def test_unknown_api_paths_answer_in_json(client: Client) -> None:
    response = await client.get("/api/v1/nothing")
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"
    wrong_method = await client.delete(URL)
    assert wrong_method.status == 405
    assert (await wrong_method.json())["error"] == "method_not_allowed"


def test_the_schemas_age_bands_are_the_domains() -> None:
    assert set(typing.get_args(AgeBand)) == set(partners.AGE_BANDS)
