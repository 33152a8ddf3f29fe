"""Pydantic validation errors in plain words, on one line, for the people who edit data files."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError


def describe(exc: ValidationError, model: type[BaseModel]) -> str:
    """The first error: which field, what it holds, and what is allowed."""
    err = exc.errors()[0]
    # ("months", 1) reads as months[2]: people count list items from 1.
    field = "".join(
        f"[{part + 1}]" if isinstance(part, int) else f".{part}" for part in err["loc"]
    ).lstrip(".")
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(model.model_fields)
        return f"unknown field {field!r} (allowed fields: {allowed})"
    if kind == "missing":
        return f"missing field {field!r}"
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{field!r} is {err['input']!r}; allowed values: {expected}"
    message = " ".join(str(err["msg"]).removeprefix("Value error, ").split())
    if not field:
        return message
    return f"{field!r} is {err['input']!r}: {message}"
