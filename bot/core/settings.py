"""Configuration from the environment (and a `.env` read at the CLI edge), validated once at start."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")
_PLACEHOLDERS = {"changeme", "xoxb-your-token", "xapp-your-token", "your-signing-secret", "secret"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the variable."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///golive.db"
    host: str = "127.0.0.1"
    port: int = 3000
    admins: tuple[str, ...] = ()
    tick_seconds: float = 30.0
    api_token: SecretStr | None = None
    log_level: str = "INFO"
    log_format: str = "plain"
    team_id: str | None = None
    send_lease_seconds: float = 120.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from a mapping (os.environ in production, a dict in tests)."""

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None or value.strip() == "":
                return None
            return value.strip()

        def secret(name: str, prefix: str | None = None) -> SecretStr | None:
            value = get(name)
            if value is None:
                return None
            if value.lower() in _PLACEHOLDERS:
                raise SettingsError(f"{name} is still the placeholder value; paste the real one")
            if prefix and not value.startswith(prefix):
                raise SettingsError(f"{name} must start with {prefix!r}")
            if any(ch.isspace() for ch in value):
                raise SettingsError(f"{name} must not contain spaces")
            return SecretStr(value)

        api_url = get("SLACK_API_URL") or "https://slack.com/api/"
        parsed = urlparse(api_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise SettingsError("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/")
        if not api_url.endswith("/"):
            api_url += "/"

        database_url = get("GOLIVE_DATABASE_URL") or "sqlite:///golive.db"
        try:
            make_url(database_url)
        except ArgumentError:
            raise SettingsError(
                "GOLIVE_DATABASE_URL is not a database URL (try sqlite:///golive.db)"
            ) from None

        port_text = get("GOLIVE_PORT") or "3000"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SettingsError("GOLIVE_PORT must be a port number between 1 and 65535")

        admins = tuple(a.strip() for a in (get("GOLIVE_ADMINS") or "").split(",") if a.strip())
        for admin in admins:
            if not _USER_ID.match(admin):
                raise SettingsError(f"GOLIVE_ADMINS holds {admin!r}, which is not a Slack user id (U…)")

        tick_text = get("GOLIVE_TICK_SECONDS") or "30"
        try:
            tick = float(tick_text)
        except ValueError:
            raise SettingsError("GOLIVE_TICK_SECONDS must be a number of seconds") from None
        if not 0.05 <= tick <= 3600:
            raise SettingsError("GOLIVE_TICK_SECONDS must be between 0.05 and 3600")

        level = (get("LOG_LEVEL") or "INFO").upper()
        if level not in LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        log_format = (get("GOLIVE_LOG_FORMAT") or "plain").lower()
        if log_format not in ("plain", "json"):
            raise SettingsError("GOLIVE_LOG_FORMAT must be plain or json")

        team_id = get("GOLIVE_TEAM_ID")
        if team_id and not _TEAM_ID.match(team_id):
            raise SettingsError("GOLIVE_TEAM_ID must be a Slack team id (T…)")

        lease_text = get("GOLIVE_SEND_LEASE_SECONDS") or "120"
        try:
            lease = float(lease_text)
        except ValueError:
            raise SettingsError("GOLIVE_SEND_LEASE_SECONDS must be a number of seconds") from None
        if not 1 <= lease <= 3600:
            raise SettingsError("GOLIVE_SEND_LEASE_SECONDS must be between 1 and 3600")

        return cls(
            slack_bot_token=secret("SLACK_BOT_TOKEN", "xoxb-"),
            slack_signing_secret=secret("SLACK_SIGNING_SECRET"),
            slack_app_token=secret("SLACK_APP_TOKEN", "xapp-"),
            slack_api_url=api_url,
            database_url=database_url,
            host=get("GOLIVE_HOST") or "127.0.0.1",
            port=int(port_text),
            admins=admins,
            tick_seconds=tick,
            api_token=secret("GOLIVE_API_TOKEN"),
            log_level=level,
            log_format=log_format,
            team_id=team_id,
            send_lease_seconds=lease,
        )

    def secrets(self) -> list[str]:
        """The secret values, so log filters can redact them."""
        values = [self.slack_bot_token, self.slack_signing_secret, self.slack_app_token, self.api_token]
        return [v.get_secret_value() for v in values if v is not None]
