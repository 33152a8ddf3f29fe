"""Service-wide rules (send times, quiet hours, how long a conversation waits), loaded from
`service.yaml`."""

from __future__ import annotations

from datetime import time, timedelta
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SERVICE_FILE = Path(__file__).with_name("service.yaml")


class ServiceFileError(ValueError):
    """The service file is invalid; the message names the file and the field."""


class SendTimes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    morning: time
    afternoon: time
    evening: time


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Quiet hours run over midnight (21:00-08:00), or within one day if start < end."""
        if self.start > self.end:
            return moment >= self.start or moment < self.end
        return self.start <= moment < self.end


class ConversationRules(BaseModel):
    """How long a question waits for its answer, and an unfinished sign-up for its family."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    timeout_minutes: float = Field(gt=0, le=24 * 60)
    unfinished_sign_up_days: int = Field(gt=0, le=366)

    @property
    def timeout(self) -> timedelta:
        return timedelta(minutes=self.timeout_minutes)

    @property
    def unfinished_sign_up_kept(self) -> timedelta:
        return timedelta(days=self.unfinished_sign_up_days)


class ServiceRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    send_times: SendTimes
    quiet_hours: QuietHours
    conversations: ConversationRules

    @model_validator(mode="after")
    def _send_times_outside_quiet_hours(self) -> ServiceRules:
        for name, moment in self.send_times.model_dump().items():
            if self.quiet_hours.contains(moment):
                raise ValueError(f"send time {name} {moment:%H:%M} falls in the quiet hours")
        return self


def load_service_rules(path: Path = SERVICE_FILE) -> ServiceRules:
    try:
        return ServiceRules.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, OSError) as error:
        raise ServiceFileError(f"{path}: cannot read: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise ServiceFileError(f"{path}: {where}: {first['msg']}") from None


@cache
def shipped_service_rules() -> ServiceRules:
    return load_service_rules()
