"""The partner referral API, version 1 (documented at GET /api/v1/openapi.json).

    POST /api/v1/referrals             make a request (Authorization: Bearer <key>,
                                       Idempotency-Key: <the partner's id for this request>)
    GET  /api/v1/referrals/{reference} its status, to the partner that made it
    GET  /api/v1/openapi.json          the document

Every error is JSON (`schemas.Problem`): 401 for a missing, wrong or disabled key, 403 for a
spoke the key may not refer into, 404 for a request that is not the partner's, 409 for an
Idempotency-Key used with another body, 413 for a body over 16 KiB, 422 naming each field
that is wrong. Nothing the partner sent is logged: only the partner's name and the reference.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import ValidationError

from api import openapi
from api.app_keys import CALENDAR, CLOCK, SESSIONS, SPOKES
from api.schemas import FieldError, Problem, ReferralCreated, ReferralIn, ReferralState
from domain import partners
from domain.referrals import InvalidRequest
from store.models import PartnerKey, ReferralStatus

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
MAX_BODY_BYTES = 16 * 1024
MAX_IDEMPOTENCY_KEY = 255
REPLAYED_HEADER = "Idempotent-Replayed"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def problem(
    status: int, error: str, message: str, fields: list[FieldError] | None = None
) -> web.Response:
    body = Problem(error=error, message=message, fields=fields or [])
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return web.json_response(body.model_dump(mode="json"), status=status, headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /api/, aiohttp's own errors (404, 405, 413) and any fault answer in JSON too."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        response = problem(error.status, error.reason.lower().replace(" ", "_"), error.reason)
        # A 405 must still say which methods the path takes (RFC 9110).
        if "Allow" in error.headers:
            response.headers["Allow"] = error.headers["Allow"]
        return response
    except Exception:
        log.exception("partner API: %s %s failed", request.method, request.path)
        return problem(500, "server_error", "Something went wrong on our side; try again later.")


async def _partner(request: web.Request) -> PartnerKey | None:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return None
    async with request.app[SESSIONS].begin() as session:
        return await partners.authenticate(session, presented.strip())


def _unauthorized() -> web.Response:
    return problem(401, "unauthorized", "Send a valid partner key: Authorization: Bearer <key>.")


async def _body(request: web.Request) -> bytes | None:
    """The body, or None if it is over the limit (read no further than that)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _field_errors(error: ValidationError) -> list[FieldError]:
    return [
        FieldError(
            field=".".join(str(part) for part in item["loc"]) or "body",
            message=str(item["msg"]).removeprefix("Value error, "),
        )
        for item in error.errors(include_url=False, include_input=False)
    ]


def _idempotency_key(request: web.Request) -> str | None:
    value = request.headers.get("Idempotency-Key", "").strip()
    if not 0 < len(value) <= MAX_IDEMPOTENCY_KEY or not value.isascii() or not value.isprintable():
        return None
    return value


async def create_referral(request: web.Request) -> web.Response:
    key = await _partner(request)
    if key is None:
        return _unauthorized()
    body = await _body(request)
    if body is None:
        return problem(413, "body_too_large", f"The body must be at most {MAX_BODY_BYTES} bytes.")
    idempotency_key = _idempotency_key(request)
    if idempotency_key is None:
        field = FieldError(
            field="header Idempotency-Key",
            message=f"required: 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters, "
            "the same on every retry of this request",
        )
        return problem(422, "invalid_request", "The Idempotency-Key header is missing.", [field])
    clock, calendar = request.app[CLOCK], request.app[CALENDAR]
    now = clock()
    try:
        checked = ReferralIn.model_validate_json(
            body, context={"today": now.astimezone(calendar.zone).date()}
        )
    except ValidationError as error:
        return problem(
            422, "invalid_body", "Some fields are missing or wrong.", _field_errors(error)
        )
    try:
        async with request.app[SESSIONS].begin() as session:
            result = await partners.refer(
                session,
                key=key,
                idempotency_key=idempotency_key,
                request=checked.request(),
                spokes=request.app[SPOKES],
                calendar=calendar,
                now=now,
            )
    except InvalidRequest as error:
        return problem(422, "invalid_body", str(error))
    if isinstance(result, partners.Refused):
        return _refused(result.reason, checked.spoke)
    referral = result.referral
    if not result.replayed:
        log.info("partner %s made request %s", key.partner, referral.reference)
    created = ReferralCreated(
        reference=referral.reference, status=ReferralStatus.NEW, created_at=referral.created_at
    )
    headers = {"Location": f"{PREFIX}/referrals/{referral.reference}"}
    if result.replayed:
        headers[REPLAYED_HEADER] = "true"
    return web.json_response(created.model_dump(mode="json"), status=201, headers=headers)


def _refused(reason: partners.Refusal, spoke: str) -> web.Response:
    if reason is partners.Refusal.OUT_OF_SCOPE:
        return problem(403, "spoke_not_allowed", f"This key may not refer into {spoke!r}.")
    if reason is partners.Refusal.UNKNOWN_SPOKE:
        field = FieldError(field="spoke", message=f"the service no longer offers {spoke!r}")
        return problem(422, "invalid_body", "Some fields are missing or wrong.", [field])
    return problem(
        409,
        "idempotency_key_reused",
        "This Idempotency-Key was used with a different body; use a new key for a new request.",
    )


async def referral_status(request: web.Request) -> web.Response:
    key = await _partner(request)
    if key is None:
        return _unauthorized()
    async with request.app[SESSIONS]() as session:
        referral = await partners.request_of_partner(
            session, key.partner, request.match_info["reference"]
        )
    if referral is None:
        return problem(404, "not_found", "No request of yours has this reference.")
    state = ReferralState(
        reference=referral.reference,
        status=referral.status,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        first_contact_at=referral.first_contact_at,
        closed_at=referral.closed_at,
    )
    return web.json_response(state.model_dump(mode="json"))


async def openapi_document(request: web.Request) -> web.Response:
    return web.json_response(openapi.document())


def add_partner_routes(app: web.Application) -> None:
    app.router.add_post(f"{PREFIX}/referrals", create_referral)
    app.router.add_get(f"{PREFIX}/referrals/{{reference}}", referral_status)
    app.router.add_get(f"{PREFIX}/openapi.json", openapi_document)
