"""Settings: every variable of INTERFACE.md with its default, read from a mapping or the process environment,
each bad value refused in one line that names the variable and never echoes a secret."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.core.settings import Settings, SettingsError


def test_defaults_are_the_documented_ones():
    s = Settings.from_env({})
    assert (s.slack_bot_token, s.slack_signing_secret, s.slack_app_token, s.api_token) == (None, None, None, None)
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.database_url == "sqlite:///golive.db"
    assert (s.host, s.port) == ("127.0.0.1", 3000)
    assert s.admins == () and s.tick_seconds == 30.0 and s.log_level == "INFO" and s.log_format == "plain"
    assert s.team_ids == () and s.team_id is None and s.enterprise_id is None and s.locale == "en"
    assert s.send_lease_seconds == 120.0


def test_every_variable_is_read_and_normalised():
    s = Settings.from_env({
        "SLACK_BOT_TOKEN": " xoxb-1-abc ", "SLACK_SIGNING_SECRET": "0123abcd", "SLACK_APP_TOKEN": "xapp-1-A",
        "SLACK_API_URL": "https://gov.slack.test/api", "GOLIVE_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "GOLIVE_HOST": "10.0.0.5", "GOLIVE_PORT": "8080", "GOLIVE_ADMINS": "U0A, W0B,", "GOLIVE_TICK_SECONDS": "0.5",
        "GOLIVE_API_TOKEN": "api-token-123", "LOG_LEVEL": "debug", "GOLIVE_LOG_FORMAT": "JSON",
        "GOLIVE_TEAM_ID": "T0VENDOR, T0OTHER", "GOLIVE_ENTERPRISE_ID": "E0GRID", "GOLIVE_LOCALE": "pt-BR",
        "GOLIVE_SEND_LEASE_SECONDS": "60",
    })
    assert isinstance(s.slack_bot_token, SecretStr) and s.slack_bot_token.get_secret_value() == "xoxb-1-abc"
    assert s.slack_api_url == "https://gov.slack.test/api/"
    assert s.port == 8080 and s.admins == ("U0A", "W0B") and s.tick_seconds == 0.5
    assert (s.log_level, s.log_format) == ("DEBUG", "json")
    assert s.team_ids == ("T0VENDOR", "T0OTHER") and s.team_id == "T0VENDOR"
    assert s.enterprise_id == "E0GRID" and s.locale == "pt-BR" and s.send_lease_seconds == 60.0
    assert sorted(s.secrets()) == sorted(["xoxb-1-abc", "0123abcd", "xapp-1-A", "api-token-123"])
    assert "xoxb-1-abc" not in repr(s)


def test_blank_means_unset():
    s = Settings.from_env({"GOLIVE_PORT": "", "GOLIVE_HOST": "   ", "SLACK_BOT_TOKEN": "", "GOLIVE_LOCALE": " "})
    assert (s.port, s.host, s.slack_bot_token, s.locale) == (3000, "127.0.0.1", None, "en")


def test_from_env_reads_only_the_mapping_and_settings_reads_the_process(monkeypatch):
    monkeypatch.setenv("GOLIVE_PORT", "4000")
    monkeypatch.setenv("GOLIVE_TEAM_ID", "T0PROC")
    assert Settings.from_env({}).port == 3000 and Settings.from_env({}).team_ids == ()
    assert Settings().port == 4000 and Settings().team_id == "T0PROC"
    monkeypatch.setenv("GOLIVE_PORT", "forty")
    with pytest.raises(SettingsError, match="^GOLIVE_PORT "):
        Settings()


def test_code_may_pass_field_names():
    assert Settings(port=5, team_ids=("T0A",)).team_id == "T0A"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("GOLIVE_PORT", "eighty", "GOLIVE_PORT must be a port number between 1 and 65535"),
    ("GOLIVE_PORT", "70000", "GOLIVE_PORT must be a port number between 1 and 65535"),
    ("SLACK_API_URL", "not a url", "SLACK_API_URL must be an http(s) URL such as https://slack.com/api/"),
    ("GOLIVE_DATABASE_URL", "::nonsense::", "GOLIVE_DATABASE_URL is not a database URL (try sqlite:///golive.db)"),
    ("SLACK_BOT_TOKEN", "abc-not-a-token", "SLACK_BOT_TOKEN must start with 'xoxb-'"),
    ("SLACK_APP_TOKEN", "xoxb-not-an-app-token", "SLACK_APP_TOKEN must start with 'xapp-'"),
    ("SLACK_BOT_TOKEN", "xoxb-has a-space", "SLACK_BOT_TOKEN must not contain spaces"),
    ("SLACK_BOT_TOKEN", "xoxb-your-token", "SLACK_BOT_TOKEN is still the placeholder value; paste the real one"),
    ("SLACK_SIGNING_SECRET", "changeme", "SLACK_SIGNING_SECRET is still the placeholder value"),
    ("GOLIVE_API_TOKEN", "Secret", "GOLIVE_API_TOKEN is still the placeholder value"),
    ("GOLIVE_ADMINS", "carla", "GOLIVE_ADMINS holds 'carla', which is not a Slack user id (U…)"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("GOLIVE_LOG_FORMAT", "xml", "GOLIVE_LOG_FORMAT must be plain or json"),
    ("GOLIVE_TICK_SECONDS", "-1", "GOLIVE_TICK_SECONDS must be between 0.05 and 3600"),
    ("GOLIVE_TICK_SECONDS", "soon", "GOLIVE_TICK_SECONDS must be a number of seconds"),
    ("GOLIVE_TEAM_ID", "T0VENDOR,acme", "GOLIVE_TEAM_ID holds 'acme', which is not a Slack team id (T…)"),
    ("GOLIVE_ENTERPRISE_ID", "T0VENDOR", "GOLIVE_ENTERPRISE_ID must be a Slack enterprise id (E…)"),
    ("GOLIVE_LOCALE", "pt_BR", "GOLIVE_LOCALE must be a language tag such as en, de or pt-BR"),
    ("GOLIVE_SEND_LEASE_SECONDS", "0", "GOLIVE_SEND_LEASE_SECONDS must be between 1 and 3600"),
])
def test_a_bad_value_is_one_line_naming_the_variable(name, value, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({name: value})
    text = str(caught.value)
    assert text.startswith(message) and "\n" not in text
    if name.startswith("SLACK_") or name == "GOLIVE_API_TOKEN":
        assert value not in text


def test_several_bad_values_are_all_named_on_one_line():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GOLIVE_PORT": "0", "LOG_LEVEL": "loud", "SLACK_BOT_TOKEN": "xoxp-user-0123456789"})
    text = str(caught.value)
    assert "\n" not in text and "0123456789" not in text
    assert [part.split()[0] for part in text.split("; ")] == ["SLACK_BOT_TOKEN", "GOLIVE_PORT", "LOG_LEVEL"]
