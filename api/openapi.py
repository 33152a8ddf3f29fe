"""The partner API's OpenAPI 3.1 document, built from the pydantic models' JSON Schema
(OpenAPI 3.1 uses JSON Schema 2020-12, which pydantic writes), so it always says what the
routes check."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.schemas import Problem, ReferralCreated, ReferralIn, ReferralState

TITLE = "Grow Well partner referral API"
VERSION = "1.0.0"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {
        401: "No key, a wrong key or a disabled key",
        403: "The key may not refer into this spoke",
        404: "No request of this partner has this reference",
        409: "The Idempotency-Key was used with a different body",
        413: "The body is over 16 KiB",
        422: "Fields missing or wrong (each one named in `fields`)",
    }
    return {str(status): _json(Problem, words[status]) for status in statuses}


@cache
def document() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [
            (ReferralIn, "validation"),
            (ReferralCreated, "serialization"),
            (ReferralState, "serialization"),
            (Problem, "serialization"),
        ],
        ref_template="#/components/schemas/{model}",
    )
    created = _json(ReferralCreated, "The request, made now or by an earlier call with this key")
    created["headers"] = {
        "Location": {"schema": {"type": "string"}},
        "Idempotent-Replayed": {
            "description": "true when an earlier call with this Idempotency-Key made it",
            "schema": {"type": "string", "enum": ["true"]},
        },
    }
    # The reference a POST returns is what GET takes (an OpenAPI link, which clients and
    # schemathesis's stateful runs follow).
    created["links"] = {
        "GetReferral": {
            "operationId": "getReferral",
            "parameters": {"reference": "$response.body#/reference"},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": (
                "Partner agencies refer a family to the health visiting service. Each key is "
                "scoped to the services it may refer into."
            ),
        },
        "security": [{"partnerKey": []}],
        "paths": {
            "/api/v1/referrals": {
                "post": {
                    "operationId": "createReferral",
                    "summary": "Refer a family",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": True,
                            "description": (
                                "Your id for this request, the same on every retry: a retry "
                                "never makes a second request."
                            ),
                            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref(ReferralIn)}},
                    },
                    "responses": {"201": created, **_errors(401, 403, 409, 413, 422)},
                }
            },
            "/api/v1/referrals/{reference}": {
                "get": {
                    "operationId": "getReferral",
                    "summary": "The status of a request you made",
                    "parameters": [
                        {
                            "name": "reference",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 16},
                        }
                    ],
                    "responses": {
                        "200": _json(ReferralState, "Where the request is now"),
                        **_errors(401, 404),
                    },
                }
            },
        },
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {"partnerKey": {"type": "http", "scheme": "bearer"}},
        },
    }
