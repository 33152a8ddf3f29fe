"""Runtime configuration, read from the environment and an optional `.env` file.

A bad value stops the program with one line that names the variable (see `load_settings`).
"""

from __future__ import annotations

import base64
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from locales import SUPPORTED_LOCALES

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TELEGRAM_API_DEFAULT = "https://api.telegram.org/bot"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line meant for the operator."""


class Settings(BaseSettings):
    """Everything an operator may set. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = TELEGRAM_API_DEFAULT
    database_url: str = "sqlite:///./var/growwell.db"
    timezone: str = "Europe/London"
    default_locale: str = "en"
    log_level: str = "INFO"
    # Libraries (PTB, HTTP clients, SQLAlchemy, APScheduler) log at WARNING and above unless this
    # asks for more; their DEBUG lines hold message text and chat ids.
    library_log_level: str | None = None
    # Where `growwell run` without a token serves the sandbox page (127.0.0.1 only).
    sandbox_port: int = Field(default=8080, ge=1, le=65535)
    # The sandbox's own SQLite file; its chats and clock are kept beside it (.json).
    sandbox_database: str = "var/sandbox.db"
    # The web server beside the bot (the partner referral API): off unless a port is set.
    web_port: int | None = Field(default=None, ge=1, le=65535)
    web_host: str = "127.0.0.1"
    # The dashboard's address as staff reach it (behind a proxy with HTTPS in production), for
    # the set-password links `growwell staff` prints; unset, http://WEB_HOST:WEB_PORT.
    web_public_url: str | None = None
    # Encrypts and signs the dashboard's session cookies: 32 random bytes, url-safe base64
    # (`python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())"`).
    # Unset, a new key is made at each start, so everyone signs in again after a restart.
    web_secret_key: SecretStr | None = None
    # Session cookies only over HTTPS: turn off only for a dashboard on 127.0.0.1.
    web_cookie_secure: bool = True
    # A dashboard session ends this long after sign-in, or after an hour without use.
    web_session_hours: int = Field(default=8, ge=1, le=24)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        token = value.get_secret_value().strip()
        number, _, secret = token.partition(":")
        if not number.isdigit() or len(secret) < 10:
            raise ValueError("expected the form 123456789:AA... that BotFather gives you")
        return SecretStr(token)

    @field_validator("web_secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            raw = base64.urlsafe_b64decode(value.get_secret_value().strip().encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise ValueError("expected 32 random bytes in url-safe base64 (44 characters)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, e.g. http://127.0.0.1:8081/bot")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}, e.g. Europe/London") from None
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("log_level", "library_log_level")
    @classmethod
    def _log_level(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    @field_validator("web_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                "must start with https:// (or http://), e.g. https://growwell.example"
            )
        return value.strip().rstrip("/")

    @property
    def dashboard_url(self) -> str:
        """Where staff open the dashboard (for links printed by the command line)."""
        base = self.web_public_url or f"http://{self.web_host}:{self.web_port or 8090}"
        return f"{base}/dashboard"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None


def async_database_url(url: str) -> str:
    """Accept the URLs people write (sqlite:///x.db, postgresql://...); pick the async driver."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("expected sqlite:///path/to/file.db or postgresql://user@host/db")
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"unsupported database {base!r}; use sqlite or postgresql")


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one operator-facing line."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
    if settings.database_url.startswith("sqlite"):
        path = settings.database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            folder = Path(path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                reason = error.strerror or type(error).__name__
                raise SettingsError(f"DATABASE_URL: cannot create {folder}: {reason}") from None
    return settings
