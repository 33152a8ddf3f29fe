"""The Sefton towns and postcode districts a family can choose, loaded from `areas.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

AREAS_FILE = Path(__file__).with_name("areas.yaml")
OUTSIDE_SEFTON = "outside"
# The outward part of a UK postcode: letters, digits, maybe a letter (L20, PR8, EC1A).
_DISTRICT = re.compile(r"^\s*([A-Z]{1,2}[0-9][0-9A-Z]?)(?:\s*[0-9][A-Z]{2})?\s*$")


class AreaFileError(ValueError):
    """The areas file is invalid; the message names the file and the entry."""


class Town(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    locality: Literal["north", "central", "south"]

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,20}", value):
            raise ValueError("must be lower-case letters, digits or _ (at most 21)")
        return value


class District(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    areas: str
    shared: bool
    confirmed: bool


class _AreaFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    towns: list[Town]
    districts: list[District]


@dataclass(frozen=True)
class TypedArea:
    """What a typed postcode district resolves to."""

    district: str
    in_sefton: bool


@dataclass(frozen=True)
class Areas:
    towns: tuple[Town, ...]
    districts: dict[str, District]

    def town(self, town_id: str) -> Town | None:
        return next((town for town in self.towns if town.id == town_id), None)

    def read_typed(self, text: str) -> TypedArea | None:
        """Read a typed postcode or district ('l20', 'PR8 2AB'); None if it is not one."""
        match = _DISTRICT.match(text.upper()[:20])
        if not match:
            return None
        code = match.group(1)
        return TypedArea(district=code, in_sefton=code in self.districts)


def load_areas(path: Path = AREAS_FILE) -> Areas:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = _AreaFile.model_validate(raw)
    except (yaml.YAMLError, OSError) as error:
        raise AreaFileError(f"{path}: cannot read: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise AreaFileError(f"{path}: {where}: {first['msg']}") from None
    ids = [town.id for town in parsed.towns]
    if len(ids) != len(set(ids)) or OUTSIDE_SEFTON in ids:
        raise AreaFileError(f"{path}: towns: ids must be unique and not {OUTSIDE_SEFTON!r}")
    return Areas(tuple(parsed.towns), {d.code: d for d in parsed.districts})
