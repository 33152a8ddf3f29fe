"""Typed reading of Bot API parameters, whichever body encoding the bot chose."""

import json
from collections.abc import Mapping
from typing import Any

from aiohttp.web_request import FileField

from local_bot_api.errors import bad_request


class RequestParams:
    """Parameters of one call, read the way Telegram reads them.

    PTB sends form fields as strings, JSON-encoding every non-string value, while a JSON body
    carries real types; the getters accept both so methods never care which arrived.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def text(self, name: str, default: str | None = None) -> str | None:
        """A string parameter; numbers sent in a JSON body are read as their digits."""
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, FileField):
            raise bad_request(f"wrong type of the parameter {name}")
        return json.dumps(value) if isinstance(value, dict | list | bool) else str(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter; Telegram's wording when it is not one."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str, default: float) -> float:
        """A numeric parameter such as a long-polling timeout, which may be fractional."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """A boolean parameter, ``true`` in a form body or ``true`` in JSON."""
        value = self._values.get(name)
        return value is True or value == "true"

    def structure(self, name: str) -> Any:
        """An object or array parameter, decoding the JSON string a form body carries."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def upload(self, name: str) -> FileField | None:
        """A file sent in the multipart body, by its own field or through ``attach://``."""
        value = self._values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self._values.get(value.removeprefix("attach://"))
        return value if isinstance(value, FileField) else None
