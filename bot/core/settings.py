"""Configuration from the environment (and a `.env` read at the CLI edge), validated once at start.

`Settings()` reads the process environment; `Settings.from_env(mapping)` reads only the mapping (tests, the
demo). Either way a blank variable counts as unset, values are stripped, and every bad value is reported
as one line naming its variable (`SettingsError`), never echoing a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlparse

from pydantic import BeforeValidator, Field, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.core.i18n import SUPPORTED_LOCALES, parse_locale

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")
_ENTERPRISE_ID = re.compile(r"^E[A-Z0-9]{2,}$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_PLACEHOLDERS = {"changeme", "xoxb-your-token", "xapp-your-token", "your-signing-secret", "secret"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the variable."""


# -- one checker per kind of value: each raises ValueError with the text that follows the variable's name ---


def _secret(prefix: str | None = None) -> BeforeValidator:
    def check(value: str) -> str:
        if value.lower() in _PLACEHOLDERS:
            raise ValueError("is still the placeholder value; paste the real one")
        if prefix and not value.startswith(prefix):
            raise ValueError(f"must start with {prefix!r}")
        if any(ch.isspace() for ch in value):
            raise ValueError("must not contain spaces")
        return value

    return BeforeValidator(check)


def _number(low: float, high: float, what: str) -> BeforeValidator:
    def check(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a number of {what}") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return number

    return BeforeValidator(check)


def _one_of(choices: tuple[str, ...], normal: Any) -> BeforeValidator:
    def check(value: str) -> str:
        if normal(value) not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}" if len(choices) > 2
                             else f"must be {' or '.join(choices)}")
        return normal(value)

    return BeforeValidator(check)


def _ids(pattern: re.Pattern[str], kind: str) -> BeforeValidator:
    """A comma-separated list of Slack ids."""

    def check(value: Any) -> tuple[str, ...]:
        items = value if isinstance(value, (list, tuple)) else str(value).split(",")
        ids = tuple(item.strip() for item in items if item.strip())
        for item in ids:
            if not pattern.match(item):
                raise ValueError(f"holds {item!r}, which is not a Slack {kind}")
        return ids

    return BeforeValidator(check)


def _matching(pattern: re.Pattern[str], message: str) -> BeforeValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(message)
        return value

    return BeforeValidator(check)


def _locale(value: str) -> str:
    """A language tag golive speaks (en, de, fr, es, pt-BR, ja; de-AT counts as de)."""
    if not _LANGUAGE_TAG.match(value):
        raise ValueError("must be a language tag such as en, de or pt-BR")
    try:
        return parse_locale(value)
    except ValueError:
        raise ValueError(f"must be one of the supported locales: {', '.join(SUPPORTED_LOCALES)}") from None


def _api_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("must be an http(s) URL such as https://slack.com/api/")
    return value if value.endswith("/") else value + "/"


def _database_url(value: str) -> str:
    try:
        make_url(value)
    except ArgumentError:
        raise ValueError("is not a database URL (try sqlite:///golive.db)") from None
    return value


def _port(value: Any) -> int:
    text = str(value)
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError("must be a port number between 1 and 65535")
    return int(text)


def _env(name: str) -> Any:
    """The variable a field is read from (code may pass the field's own name instead)."""
    return Field(validation_alias=name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, case_sensitive=True, extra="ignore", validate_by_name=True,
                                      validate_default=False)

    slack_bot_token: Annotated[SecretStr | None, _secret("xoxb-"), _env("SLACK_BOT_TOKEN")] = None
    slack_signing_secret: Annotated[SecretStr | None, _secret(), _env("SLACK_SIGNING_SECRET")] = None
    slack_app_token: Annotated[SecretStr | None, _secret("xapp-"), _env("SLACK_APP_TOKEN")] = None
    slack_api_url: Annotated[str, BeforeValidator(_api_url), _env("SLACK_API_URL")] = "https://slack.com/api/"
    database_url: Annotated[str, BeforeValidator(_database_url), _env("GOLIVE_DATABASE_URL")] = "sqlite:///golive.db"
    host: Annotated[str, _env("GOLIVE_HOST")] = "127.0.0.1"
    port: Annotated[int, BeforeValidator(_port), _env("GOLIVE_PORT")] = 3000
    admins: Annotated[tuple[str, ...], NoDecode, _ids(_USER_ID, "user id (U…)"), _env("GOLIVE_ADMINS")] = ()
    tick_seconds: Annotated[float, _number(0.05, 3600, "seconds"), _env("GOLIVE_TICK_SECONDS")] = 30.0
    api_token: Annotated[SecretStr | None, _secret(), _env("GOLIVE_API_TOKEN")] = None
    metrics_token: Annotated[SecretStr | None, _secret(), _env("GOLIVE_METRICS_TOKEN")] = None
    log_level: Annotated[str, _one_of(LOG_LEVELS, str.upper), _env("LOG_LEVEL")] = "INFO"
    log_format: Annotated[str, _one_of(("plain", "json"), str.lower), _env("GOLIVE_LOG_FORMAT")] = "plain"
    team_ids: Annotated[tuple[str, ...], NoDecode, _ids(_TEAM_ID, "team id (T…)"), _env("GOLIVE_TEAM_ID")] = ()
    enterprise_id: Annotated[str | None, _matching(_ENTERPRISE_ID, "must be a Slack enterprise id (E…)"),
                             _env("GOLIVE_ENTERPRISE_ID")] = None
    locale: Annotated[str, BeforeValidator(_locale), _env("GOLIVE_LOCALE")] = "en"
    send_lease_seconds: Annotated[float, _number(1, 3600, "seconds"), _env("GOLIVE_SEND_LEASE_SECONDS")] = 120.0
    # SQLite only: "full" flushes each (group) commit to disk before golive acknowledges; "normal" survives a
    # crash of golive, not of the machine (storage.db.make_engine).
    sqlite_synchronous: Annotated[str, _one_of(("full", "normal"), str.lower),
                                  _env("GOLIVE_SQLITE_SYNCHRONOUS")] = "full"

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as err:
            raise SettingsError(_one_line(err)) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from this mapping only (os.environ in production, a dict in tests)."""
        return cls(_build_sources=((_Environment(cls, env),), {}))

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   **_others: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keyword arguments, then the process environment read the same way `from_env` reads a mapping.
        return init_settings, _Environment(settings_cls, os.environ)

    @property
    def team_id(self) -> str | None:
        """The vendor's first team id (compatibility: code written when there was only one)."""
        return self.team_ids[0] if self.team_ids else None

    def secrets(self) -> list[str]:
        """The secret values, so log filters can redact them."""
        values = [self.slack_bot_token, self.slack_signing_secret, self.slack_app_token, self.api_token,
                  self.metrics_token]
        return [v.get_secret_value() for v in values if v is not None]


class _Environment(EnvSettingsSource):
    """Environment variables from a mapping: values stripped, a blank one left out (so its default applies)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str | None]):
        self._mapping = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name: value.strip() for name, value in self._mapping.items() if value is not None and value.strip()}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # Only the variable names (not the lower-case field names, which are for code) come from the environment.
        name = str(field.validation_alias)
        return self.env_vars.get(name), name, False


_VARIABLES = {name: str(field.validation_alias) for name, field in Settings.model_fields.items()}


def _one_line(err: ValidationError) -> str:
    """'GOLIVE_PORT must be …; LOG_LEVEL must be …': each bad variable with what is wrong, never its value."""
    problems = []
    for error in err.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        variable = _VARIABLES.get(field, field.upper())
        cause = (error.get("ctx") or {}).get("error")
        problems.append(f"{variable} {cause if isinstance(cause, ValueError) else error['msg'].lower()}")
    return "; ".join(problems)
