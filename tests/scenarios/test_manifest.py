"""manifest.yml: valid for Slack, consistent with the ids the code registers, and no more scopes than needed."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from jsonschema.validators import validator_for

from bot.core.ids import SLASH_COMMAND, CallbackId

REPO = Path(__file__).resolve().parents[2]
MANIFEST_PATH = REPO / "manifest.yml"
SCHEMA_RELATIVE = Path("slack-manifest-schema") / "manifest.schema.1.0.0.json"
# The repository carries the schema it validates against (tests/data/slack-manifest-schema/README.md).
DEFAULT_SCHEMA_PATH = REPO / "tests" / "data" / SCHEMA_RELATIVE

# Scopes each subscribed bot event needs (Slack's event reference). Launch, support and
# urgent channels may be public or private, so the membership/channel events need both
# the public (channels:*) and private (groups:*) variants. An event not listed here
# fails the test: whoever subscribes to a new event must state the scopes it needs.
EVENT_SCOPES: dict[str, frozenset[str]] = {
    "app_mention": frozenset({"app_mentions:read"}),
    "reaction_added": frozenset({"reactions:read"}),
    "app_home_opened": frozenset(),
    "message.channels": frozenset({"channels:history"}),
    "message.groups": frozenset({"groups:history"}),
    "member_joined_channel": frozenset({"channels:read", "groups:read"}),
    "member_left_channel": frozenset({"channels:read", "groups:read"}),
    "user_change": frozenset({"users:read"}),
    "team_join": frozenset({"users:read"}),
    "channel_id_changed": frozenset({"groups:read"}),  # sent for private channels being shared
    "channel_shared": frozenset({"channels:read", "groups:read"}),
    "channel_unshared": frozenset({"channels:read", "groups:read"}),
}

# Every bot scope golive may request, and why. Adding one means adding it here, on purpose.
ALLOWED_BOT_SCOPES: dict[str, str] = {
    "chat:write": "post in conversations golive is a member of",
    "commands": "/golive and the Report a problem shortcut",
    "app_mentions:read": "app_mention creates an issue",
    "reactions:read": "reaction_added (:rotating_light:) creates an issue",
    "channels:read": "conversations.info/members, member_joined_channel (public)",
    "groups:read": "conversations.info/members, member_joined_channel, channel_id_changed (private)",
    "channels:history": "thread replies (message.channels), crash recovery via conversations.history",
    "groups:history": "thread replies (message.groups), crash recovery via conversations.history",
    "im:write": "conversations.open for the CSM digest DM",
    "im:history": "crash recovery of digest DMs via conversations.history",
    "users:read": "users.info and user_change/team_join: team id, guest flags, enterprise, time zone, locale, status",
    "users:read.email": "users.lookupByEmail for usage imports",
    "files:write": "digest chart upload",
    "pins:write": "pin the launch-day help message",
    "metadata.message:read": "read back golive's own message metadata after a crash",
}

FORBIDDEN_BOT_SCOPES = {"chat:write.public", "usergroups:read", "channels:join", "chat:write.customize"}

SUBCOMMANDS = ("help", "status", "issue TEXT", "issues", "ready", "live", "retro")


def _schema_path() -> Path:
    tried = [DEFAULT_SCHEMA_PATH]
    if DEFAULT_SCHEMA_PATH.is_file():
        return DEFAULT_SCHEMA_PATH
    shared = os.environ.get("GOLIVE_SHARED_DIR")
    if shared:
        candidate = Path(shared) / SCHEMA_RELATIVE
        tried.append(candidate)
        if candidate.is_file():
            return candidate
    pytest.fail(
        "Slack's manifest JSON schema was not found; the manifest cannot be validated. Tried: "
        + ", ".join(str(p) for p in tried)
        + ". It ships in tests/data/slack-manifest-schema/; GOLIVE_SHARED_DIR may name another folder holding "
        "slack-manifest-schema/."
    )


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(_schema_path().read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Any:
    cls = validator_for(schema, default=Draft7Validator)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture()
def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "manifest.yml must be a YAML mapping"
    return data


def _errors(validator: Any, document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in validator.iter_errors(document)
    ]


def _bot_scopes(manifest: dict[str, Any]) -> list[str]:
    return list(manifest["oauth_config"]["scopes"]["bot"])


# --- (a) schema validation ---------------------------------------------------------------


def test_schema_declares_draft7(schema: dict[str, Any], validator: Any) -> None:
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/")
    assert isinstance(validator, Draft7Validator)


def test_manifest_validates_against_slack_schema(validator: Any, manifest: dict[str, Any]) -> None:
    errors = _errors(validator, manifest)
    assert errors == [], "manifest.yml does not match Slack's schema:\n" + "\n".join(errors)


def test_display_information(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert manifest["_metadata"]["major_version"] == 1
    assert info["name"] == "golive"
    assert 1 <= len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    # The schema writes this constraint as "regex", which JSON Schema validators ignore.
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", info["background_color"])


def test_features_and_settings(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    assert features["bot_user"] == {"display_name": "golive", "always_online": True}
    assert features["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": True,  # golive reads no DMs (INTERFACE: problems come in channels)
    }
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_http_mode_variant_also_validates(validator: Any, manifest: dict[str, Any]) -> None:
    """The switch the file's comment describes yields a manifest Slack accepts."""
    url = "https://golive.example.com/slack/events"
    http = copy.deepcopy(manifest)
    http["settings"]["socket_mode_enabled"] = False
    http["settings"]["event_subscriptions"]["request_url"] = url
    http["settings"]["interactivity"]["request_url"] = url
    http["features"]["slash_commands"][0]["url"] = url
    assert _errors(validator, http) == []
    text = MANIFEST_PATH.read_text(encoding="utf-8")
    assert "https://YOUR-HOST/slack/events" in text
    assert "socket_mode_enabled: false" in text


# --- (b) the ids the code registers --------------------------------------------------------


def test_slash_command_matches_code(manifest: dict[str, Any]) -> None:
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [SLASH_COMMAND]
    command = commands[0]
    assert command["description"].strip()
    assert command["should_escape"] is False
    assert [part.strip() for part in command["usage_hint"].split("|")] == list(SUBCOMMANDS)
    # Socket Mode: no request URL; HTTP mode adds it (see the file's comment).
    assert "url" not in command


def test_message_shortcut_matches_code(manifest: dict[str, Any]) -> None:
    shortcuts = manifest["features"]["shortcuts"]
    assert len(shortcuts) == 1
    shortcut = shortcuts[0]
    assert shortcut["type"] == "message"
    assert shortcut["name"] == "Report a problem"
    assert shortcut["callback_id"] == CallbackId.REPORT_ISSUE_SHORTCUT
    assert shortcut["description"].strip()


# --- (c) events and their scopes -----------------------------------------------------------


def test_bot_events_are_the_expected_ones(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert len(events) == len(set(events))
    assert set(events) == set(EVENT_SCOPES)


@pytest.mark.parametrize("event", sorted(EVENT_SCOPES))
def test_every_bot_event_has_its_scopes(manifest: dict[str, Any], event: str) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert event in events
    missing = EVENT_SCOPES[event] - set(_bot_scopes(manifest))
    assert not missing, f"bot event {event!r} needs scope(s) {sorted(missing)}"


# --- (d) no scope creep --------------------------------------------------------------------


def test_bot_scopes_are_exactly_the_allowed_ones(manifest: dict[str, Any]) -> None:
    scopes = _bot_scopes(manifest)
    assert len(scopes) == len(set(scopes)), "duplicate scopes"
    extra = set(scopes) - set(ALLOWED_BOT_SCOPES)
    assert not extra, f"scopes not in the allowed list (add them on purpose, with a reason): {sorted(extra)}"
    unused = set(ALLOWED_BOT_SCOPES) - set(scopes)
    assert not unused, f"allowed scopes not requested; drop them from the list: {sorted(unused)}"


def test_no_public_posting_or_other_forbidden_scopes(manifest: dict[str, Any]) -> None:
    scopes = set(_bot_scopes(manifest))
    assert "chat:write.public" not in scopes
    assert not scopes & FORBIDDEN_BOT_SCOPES
    assert not FORBIDDEN_BOT_SCOPES & set(ALLOWED_BOT_SCOPES)


def test_no_user_token_scopes(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes) == {"bot"}
    assert "redirect_urls" not in manifest["oauth_config"]


# --- (e) the validation really checks ------------------------------------------------------


def _long_name(m: dict[str, Any]) -> None:
    m["display_information"]["name"] = "g" * 40


def _no_command_description(m: dict[str, Any]) -> None:
    del m["features"]["slash_commands"][0]["description"]


def _long_description(m: dict[str, Any]) -> None:
    m["display_information"]["description"] = "x" * 141


def _short_long_description(m: dict[str, Any]) -> None:
    m["display_information"]["long_description"] = "too short"


def _long_shortcut_name(m: dict[str, Any]) -> None:
    m["features"]["shortcuts"][0]["name"] = "Report a problem to support now"


def _bad_shortcut_type(m: dict[str, Any]) -> None:
    m["features"]["shortcuts"][0]["type"] = "action"


def _command_without_slash(m: dict[str, Any]) -> None:
    m["features"]["slash_commands"][0]["command"] = "golive"


def _interactivity_without_is_enabled(m: dict[str, Any]) -> None:
    del m["settings"]["interactivity"]["is_enabled"]


def _socket_mode_as_string(m: dict[str, Any]) -> None:
    m["settings"]["socket_mode_enabled"] = "yes"


def _unknown_settings_key(m: dict[str, Any]) -> None:
    m["settings"]["sockets_mode_enabled"] = True


def _duplicate_event(m: dict[str, Any]) -> None:
    m["settings"]["event_subscriptions"]["bot_events"].append("app_mention")


def _non_http_request_url(m: dict[str, Any]) -> None:
    m["settings"]["event_subscriptions"]["request_url"] = "ftp://example.com/slack/events"


MUTATIONS = {
    "display name 40 chars": (_long_name, "display_information/name"),
    "slash command without description": (_no_command_description, "features/slash_commands/0"),
    "description 141 chars": (_long_description, "display_information/description"),
    "long_description under 175 chars": (_short_long_description, "display_information/long_description"),
    "shortcut name over 24 chars": (_long_shortcut_name, "features/shortcuts/0/name"),
    "shortcut type not message/global": (_bad_shortcut_type, "features/shortcuts/0/type"),
    "command without leading slash": (_command_without_slash, "features/slash_commands/0/command"),
    "interactivity without is_enabled": (_interactivity_without_is_enabled, "settings/interactivity"),
    "boolean written as string": (_socket_mode_as_string, "settings/socket_mode_enabled"),
    "misspelt settings key": (_unknown_settings_key, "settings"),
    "duplicate bot event": (_duplicate_event, "settings/event_subscriptions/bot_events"),
    "request url not http(s)": (_non_http_request_url, "settings/event_subscriptions/request_url"),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutated_manifest_fails_schema(validator: Any, manifest: dict[str, Any], name: str) -> None:
    mutate, where = MUTATIONS[name]
    assert _errors(validator, manifest) == [], "the unmutated manifest must be valid for this test to mean anything"
    broken = copy.deepcopy(manifest)
    mutate(broken)
    errors = _errors(validator, broken)
    assert errors, f"schema accepted a manifest with: {name}"
    assert any(e.startswith(f"{where}:") for e in errors), f"expected an error at {where}, got {errors}"
