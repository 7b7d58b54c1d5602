"""Send requests to golive the way Slack does: signed, with realistic payloads.

``SlackRequestSender`` posts slash commands, interactivity payloads and Events API envelopes to
``{base_url}/slack/events`` with a valid ``X-Slack-Signature``. Only the standard library and
slack_sdk are used, so tests, the demo and benchmarks can all drive a running bot with it::

    sender = SlackRequestSender("http://127.0.0.1:3000", signing_secret)
    result = sender.slash_command("status", user_id="U1", channel_id="C1")
    assert result.status == 200

Trigger ids look like ``"<unix time>.<user id>.<hex>"``; the simulator reads the user (and, with
``trigger_ttl``, the age) from them, so ``views.open`` in the simulator knows whose modal it is.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def sign(
    secret: str, body: bytes | str, timestamp: int | float | str, *, content_type: str | None = None
) -> dict[str, str]:
    """Headers Slack would send with ``body`` at ``timestamp`` (content type guessed from the body)."""
    raw = body.encode() if isinstance(body, str) else body
    ts = str(int(float(timestamp)))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=raw)
    if content_type is None:
        content_type = JSON if raw.lstrip()[:1] == b"{" else FORM
    return {
        "X-Slack-Signature": signature or "",
        "X-Slack-Request-Timestamp": ts,
        "Content-Type": content_type,
    }


class _Headers(dict):
    """A dict of response headers with case-insensitive lookup."""

    def __init__(self, items: Any = ()):
        super().__init__((str(k).lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class SlackHTTPResult:
    """What the app answered. ``request_body`` and ``event_id`` identify what was sent."""

    status: int
    headers: _Headers
    body_text: str
    request_body: bytes = b""
    event_id: str | None = None
    payload: dict | None = field(default=None, repr=False)

    def json(self) -> Any:
        return json.loads(self.body_text) if self.body_text else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class SlackRequestSender:
    """Builds and signs Slack's HTTP requests and posts them to one app."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        team_id: str = "T0VENDOR",
        timeout: float = 10,
        path: str = "/slack/events",
        team_domain: str = "vendor",
        api_app_id: str = "A0GOLIVE",
        bot_user_id: str = "UBOT",
        enterprise_id: str | None = None,
        timestamp_offset: int = 0,
        response_url_base: str = "https://hooks.slack.com",
        verification_token: str = "sim-verification-token",  # noqa: S107 - deprecated, unused by Bolt
        settle: Callable[[], object] | None = None,
    ):
        self.url = base_url.rstrip("/") + "/" + path.lstrip("/")
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.timeout = timeout
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.enterprise_id = enterprise_id
        self.timestamp_offset = timestamp_offset
        self.response_url_base = response_url_base.rstrip("/")
        self.verification_token = verification_token
        # Called after each answer: e.g. the app's AfterAck.wait_idle, so that what the app sends once it has
        # answered (confirmations over response_url) has arrived when the caller looks at the simulator.
        self.settle = settle
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing

    def _next(self) -> int:
        with self._lock:
            return next(self._seq)

    def new_trigger_id(self, user_id: str) -> str:
        return f"{int(time.time())}.{user_id}.{secrets.token_hex(10)}"

    def new_event_id(self) -> str:
        return f"Ev{self._next():04d}{secrets.token_hex(4).upper()}"

    def _response_url(self, kind: str) -> str:
        return f"{self.response_url_base}/{kind}/{self.team_id}/{self._next()}/{secrets.token_hex(12)}"

    def send(
        self,
        body: bytes | str,
        content_type: str,
        *,
        timestamp_offset: int | None = None,
        headers: dict[str, str] | None = None,
        signing_secret: str | None = None,
    ) -> SlackHTTPResult:
        """Sign ``body`` now (plus the offset) and post it."""
        raw = body.encode() if isinstance(body, str) else body
        offset = self.timestamp_offset if timestamp_offset is None else timestamp_offset
        signed = sign(signing_secret or self.signing_secret, raw, int(time.time()) + offset, content_type=content_type)
        return self.raw(raw, {**signed, **(headers or {})})

    def raw(self, body: bytes, headers: dict[str, str]) -> SlackHTTPResult:
        """Post exactly this body with exactly these headers (no signing): for bad-signature tests."""
        all_headers = {"User-Agent": USER_AGENT, **headers}
        request = urllib.request.Request(self.url, data=body, headers=all_headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                text = resp.read().decode("utf-8", "replace")
                result = SlackHTTPResult(resp.status, _Headers(resp.headers.items()), text, body)
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            result = SlackHTTPResult(e.code, _Headers(e.headers.items()), text, body)
        if self.settle is not None:
            self.settle()
        return result

    def _team(self, team_id: str | None) -> dict:
        return {"id": team_id or self.team_id, "domain": self.team_domain}

    def _user(self, user_id: str, user_team_id: str | None, user_name: str | None) -> dict:
        name = user_name or user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": user_team_id or self.team_id}

    def _post_payload(self, payload: dict, timestamp_offset: int | None) -> SlackHTTPResult:
        body = urlencode({"payload": json.dumps(payload)})
        result = self.send(body, FORM, timestamp_offset=timestamp_offset)
        result.payload = payload
        return result

    # ------------------------------------------------------------------ slash commands

    def slash_command(
        self,
        text: str,
        *,
        user_id: str,
        channel_id: str,
        command: str = "/golive",
        team_id: str | None = None,
        trigger_id: str | None = None,
        channel_name: str = "golive",
        user_name: str | None = None,
        timestamp_offset: int | None = None,
    ) -> SlackHTTPResult:
        form = {
            "token": self.verification_token,
            "team_id": team_id or self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self._response_url("commands"),
            "trigger_id": trigger_id or self.new_trigger_id(user_id),
        }
        if self.enterprise_id:
            form["enterprise_id"] = self.enterprise_id
        result = self.send(urlencode(form), FORM, timestamp_offset=timestamp_offset)
        result.payload = form
        return result

    # ------------------------------------------------------------------ interactivity

    def block_action(
        self,
        action_id: str,
        *,
        user_id: str,
        channel_id: str,
        message_ts: str,
        value: str | None = None,
        selected_option: str | dict | None = None,
        block_id: str | None = None,
        user_team_id: str | None = None,
        message: dict | None = None,
        container: dict | None = None,
        action_type: str | None = None,
        trigger_id: str | None = None,
        state_values: dict | None = None,
        extra: dict | None = None,
        timestamp_offset: int | None = None,
    ) -> SlackHTTPResult:
        """A click on a button (``value``) or a static select (``selected_option``) in a message."""
        now = f"{time.time():.6f}"
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id or f"b-{action_id}",
            "type": action_type or ("static_select" if selected_option is not None else "button"),
            "action_ts": now,
        }
        if selected_option is not None:
            option = (
                selected_option
                if isinstance(selected_option, dict)
                else {"text": {"type": "plain_text", "text": str(selected_option)}, "value": str(selected_option)}
            )
            action["selected_option"] = option
        else:
            action["value"] = value
            action["text"] = {"type": "plain_text", "text": action_id}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id, user_team_id, None),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": container
            or {"type": "message", "message_ts": message_ts, "channel_id": channel_id, "is_ephemeral": False},
            "trigger_id": trigger_id or self.new_trigger_id(user_id),
            "team": self._team(None),
            "enterprise": {"id": self.enterprise_id} if self.enterprise_id else None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": channel_id.lower()},
            "message": message
            or {"type": "message", "ts": message_ts, "user": self.bot_user_id, "text": "", "blocks": []},
            "state": {"values": shape_state_values(state_values or {})},
            "response_url": self._response_url("actions"),
            "actions": [action],
        }
        payload.update(extra or {})
        return self._post_payload(payload, timestamp_offset)

    def view_submission(
        self,
        callback_id: str,
        *,
        user_id: str,
        values: dict,
        private_metadata: str = "",
        user_team_id: str | None = None,
        view_id: str | None = None,
        trigger_id: str | None = None,
        extra: dict | None = None,
        timestamp_offset: int | None = None,
    ) -> SlackHTTPResult:
        """A modal submitted; ``values`` may be ``{block: "text"}``, ``{block: {action: "text"}}`` or fully shaped."""
        vid = view_id or f"V{self._next():08d}"
        payload: dict[str, Any] = {
            "type": "view_submission",
            "team": self._team(None),
            "user": self._user(user_id, user_team_id, None),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id or self.new_trigger_id(user_id),
            "view": {
                "id": vid,
                "team_id": self.team_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": shape_state_values(values)},
                "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
                "title": {"type": "plain_text", "text": "golive"},
                "blocks": [],
                "app_id": self.api_app_id,
                "root_view_id": vid,
                "previous_view_id": None,
                "external_id": "",
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": {"id": self.enterprise_id} if self.enterprise_id else None,
        }
        payload.update(extra or {})
        return self._post_payload(payload, timestamp_offset)

    def message_shortcut(
        self,
        callback_id: str,
        *,
        user_id: str,
        channel_id: str,
        message_ts: str,
        message_text: str,
        message_user: str,
        user_team_id: str | None = None,
        trigger_id: str | None = None,
        extra: dict | None = None,
        timestamp_offset: int | None = None,
    ) -> SlackHTTPResult:
        payload: dict[str, Any] = {
            "type": "message_action",
            "token": self.verification_token,
            "action_ts": f"{time.time():.6f}",
            "team": self._team(None),
            "user": self._user(user_id, user_team_id, None),
            "channel": {"id": channel_id, "name": channel_id.lower()},
            "is_enterprise_install": False,
            "enterprise": {"id": self.enterprise_id} if self.enterprise_id else None,
            "callback_id": callback_id,
            "trigger_id": trigger_id or self.new_trigger_id(user_id),
            "message_ts": message_ts,
            "message": {"type": "message", "user": message_user, "ts": message_ts, "text": message_text},
            "response_url": self._response_url("app"),
        }
        payload.update(extra or {})
        return self._post_payload(payload, timestamp_offset)

    # ------------------------------------------------------------------ Events API

    def event(
        self,
        event: dict,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        team_id: str | None = None,
        event_time: int | None = None,
        is_ext_shared_channel: bool = False,
        timestamp_offset: int | None = None,
    ) -> SlackHTTPResult:
        """An ``event_callback`` envelope around ``event``. Resend with the same event_id to simulate retries."""
        team = team_id or self.team_id
        now = time.time()
        inner = {"event_ts": f"{now:.6f}", **event}
        envelope = {
            "token": self.verification_token,
            "team_id": team,
            "enterprise_id": self.enterprise_id,
            "api_app_id": self.api_app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or self.new_event_id(),
            "event_time": int(now) if event_time is None else int(event_time),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": team,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": is_ext_shared_channel,
            "event_context": f"4-{secrets.token_hex(16)}",
        }
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        elif retry_reason is not None:
            headers["X-Slack-Retry-Reason"] = retry_reason
        result = self.send(json.dumps(envelope), JSON, timestamp_offset=timestamp_offset, headers=headers)
        result.event_id = envelope["event_id"]
        result.payload = envelope
        return result

    def url_verification(self, challenge: str = "sim-challenge") -> SlackHTTPResult:
        body = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return self.send(json.dumps(body), JSON)

    @staticmethod
    def _cross_team(event: dict, user_team: str | None, team: str | None) -> dict:
        if user_team:
            event["user_team"] = user_team
            event["source_team"] = user_team
            event["team"] = user_team
        elif team:
            event["team"] = team
        return event

    def _ts(self, ts: str | None) -> str:
        return ts or f"{time.time():.6f}"

    def app_mention(
        self,
        text: str,
        *,
        user_id: str,
        channel_id: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        user_team: str | None = None,
        **envelope: Any,
    ) -> SlackHTTPResult:
        """``@golive text`` in a channel. A leading ``<@BOT>`` is added when the text lacks one."""
        mention = f"<@{self.bot_user_id}>"
        event = {
            "type": "app_mention",
            "user": user_id,
            "text": text if mention in text else f"{mention} {text}".rstrip(),
            "ts": self._ts(ts),
            "channel": channel_id,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(self._cross_team(event, user_team, self.team_id), **envelope)

    def reaction_added(
        self,
        reaction: str,
        *,
        user_id: str,
        channel_id: str,
        item_ts: str,
        item_user: str | None = None,
        user_team: str | None = None,
        **envelope: Any,
    ) -> SlackHTTPResult:
        event: dict[str, Any] = {
            "type": "reaction_added",
            "user": user_id,
            "reaction": reaction.strip(":"),
            "item": {"type": "message", "channel": channel_id, "ts": item_ts},
        }
        if item_user:
            event["item_user"] = item_user
        if user_team:
            event["user_team"] = user_team
        return self.event(event, **envelope)

    def message(
        self,
        text: str,
        *,
        user_id: str,
        channel_id: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        channel_type: str | None = None,
        subtype: str | None = None,
        bot_id: str | None = None,
        user_team: str | None = None,
        **envelope: Any,
    ) -> SlackHTTPResult:
        kind = channel_type or {"D": "im", "G": "group"}.get(channel_id[:1], "channel")
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel_id,
            "user": user_id,
            "text": text,
            "ts": self._ts(ts),
            "channel_type": kind,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
            event["parent_user_id"] = self.bot_user_id
        if subtype:
            event["subtype"] = subtype
        if bot_id:
            event["bot_id"] = bot_id
        return self.event(self._cross_team(event, user_team, self.team_id), **envelope)

    def app_home_opened(
        self, user_id: str, *, tab: str = "home", channel_id: str | None = None, **envelope: Any
    ) -> SlackHTTPResult:
        event = {"type": "app_home_opened", "user": user_id, "channel": channel_id or f"D{user_id}", "tab": tab}
        return self.event(event, **envelope)

    # ------------------------------------------------------------------ membership, people, channels

    def member_joined_channel(
        self,
        user_id: str,
        channel_id: str,
        *,
        user_team: str | None = None,
        inviter: str | None = None,
        enterprise_id: str | None = None,
        **envelope: Any,
    ) -> SlackHTTPResult:
        event = member_joined_channel_event(
            user_id, channel_id, team=user_team or self.team_id, inviter=inviter, enterprise=enterprise_id
        )
        return self.event(event, **envelope)

    def member_left_channel(
        self,
        user_id: str,
        channel_id: str,
        *,
        user_team: str | None = None,
        enterprise_id: str | None = None,
        **envelope: Any,
    ) -> SlackHTTPResult:
        event = member_left_channel_event(user_id, channel_id, team=user_team or self.team_id, enterprise=enterprise_id)
        return self.event(event, **envelope)

    def user_change(self, user: dict, **envelope: Any) -> SlackHTTPResult:
        """``user`` as users.info shows it (``SlackSimulator.user_object`` or ``slack_user``)."""
        return self.event(user_change_event(user), **envelope)

    def team_join(self, user: dict, **envelope: Any) -> SlackHTTPResult:
        return self.event(team_join_event(user), **envelope)

    def channel_id_changed(self, old_channel_id: str, new_channel_id: str, **envelope: Any) -> SlackHTTPResult:
        return self.event(channel_id_changed_event(old_channel_id, new_channel_id), **envelope)

    def channel_shared(self, channel_id: str, connected_team_id: str, **envelope: Any) -> SlackHTTPResult:
        envelope.setdefault("is_ext_shared_channel", True)
        return self.event(channel_shared_event(channel_id, connected_team_id), **envelope)

    def channel_unshared(
        self, channel_id: str, previously_connected_team_id: str, *, is_ext_shared: bool = False, **envelope: Any
    ) -> SlackHTTPResult:
        event = channel_unshared_event(channel_id, previously_connected_team_id, is_ext_shared=is_ext_shared)
        return self.event(event, **envelope)


# --------------------------------------------------------------------------- Events API payloads
# The inner ``event`` objects of the events golive subscribes to, shaped as docs.slack.dev shows them.
# ``SlackRequestSender.event`` (HTTP) or ``SlackSimulator.push_event`` (Socket Mode) wraps them in an
# ``event_callback`` envelope and adds ``event_ts``.


def _channel_type(channel_id: str) -> str:
    """The one-letter channel_type of member events: "G" for old private channels, else "C"."""
    return "G" if channel_id[:1] == "G" else "C"


def member_joined_channel_event(
    user: str, channel: str, *, team: str, inviter: str | None = None, enterprise: str | None = None
) -> dict:
    event: dict[str, Any] = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": _channel_type(channel),
        "team": team,
    }
    if inviter:
        event["inviter"] = inviter
    if enterprise:
        event["enterprise"] = enterprise
    return event


def member_left_channel_event(user: str, channel: str, *, team: str, enterprise: str | None = None) -> dict:
    event: dict[str, Any] = {
        "type": "member_left_channel",
        "user": user,
        "channel": channel,
        "channel_type": _channel_type(channel),
        "team": team,
    }
    if enterprise:
        event["enterprise"] = enterprise
    return event


def user_change_event(user: dict) -> dict:
    """A profile changed (status, name, guest flags, deletion): the whole user object is sent."""
    return {"type": "user_change", "user": user, "cache_ts": int(user.get("updated") or time.time())}


def team_join_event(user: dict) -> dict:
    return {"type": "team_join", "user": user}


def channel_id_changed_event(old_channel_id: str, new_channel_id: str) -> dict:
    """Sharing a private channel (G...) with Slack Connect gives it a new id (C...)."""
    return {"type": "channel_id_changed", "old_channel_id": old_channel_id, "new_channel_id": new_channel_id}


def channel_shared_event(channel: str, connected_team_id: str) -> dict:
    return {"type": "channel_shared", "connected_team_id": connected_team_id, "channel": channel}


def channel_unshared_event(channel: str, previously_connected_team_id: str, *, is_ext_shared: bool = False) -> dict:
    return {
        "type": "channel_unshared",
        "previously_connected_team_id": previously_connected_team_id,
        "channel": channel,
        "is_ext_shared": is_ext_shared,
    }


def slack_user(
    user_id: str,
    name: str,
    *,
    team_id: str = "T0VENDOR",
    email: str | None = None,
    deleted: bool = False,
    is_bot: bool = False,
    is_restricted: bool = False,
    is_ultra_restricted: bool = False,
    tz: str = "UTC",
    status_text: str = "",
    status_emoji: str = "",
    status_expiration: int = 0,
    enterprise_id: str | None = None,
) -> dict:
    """A user object as users.info and user_change/team_join carry it (without a simulator at hand)."""
    user: dict[str, Any] = {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "deleted": deleted,
        "real_name": name,
        "tz": tz,
        "is_admin": False,
        "is_owner": False,
        "is_restricted": is_restricted or is_ultra_restricted,
        "is_ultra_restricted": is_ultra_restricted,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": int(time.time()),
        "profile": {
            "real_name": name,
            "display_name": name,
            "email": email,
            "status_text": status_text,
            "status_emoji": status_emoji,
            "status_expiration": status_expiration,
            "team": team_id,
        },
    }
    if enterprise_id:
        user["enterprise_user"] = {
            "id": user_id,
            "enterprise_id": enterprise_id,
            "enterprise_name": enterprise_id,
            "is_admin": False,
            "is_owner": False,
            "teams": [team_id],
        }
    return user


def shape_state_values(values: dict) -> dict:
    """Turn shorthand modal input into Slack's ``state.values``.

    ``{"b": "x"}`` -> ``{"b": {"b": {"type": "plain_text_input", "value": "x"}}}``;
    ``{"b": {"a": "x"}}`` -> ``{"b": {"a": {...}}}``; a value dict that already has ``type`` is kept;
    one with ``selected_option``/``selected_user``... gets the matching element type.
    """
    shaped: dict[str, dict] = {}
    for block_id, inner in values.items():
        actions = inner if isinstance(inner, dict) else {block_id: inner}
        shaped[block_id] = {action_id: _shape_value(v) for action_id, v in actions.items()}
    return shaped


_SELECTED_TYPES = (
    ("selected_option", "static_select"),
    ("selected_options", "multi_static_select"),
    ("selected_user", "users_select"),
    ("selected_users", "multi_users_select"),
    ("selected_conversation", "conversations_select"),
    ("selected_channel", "channels_select"),
    ("selected_date", "datepicker"),
)


def _shape_value(value: Any) -> dict:
    if isinstance(value, dict):
        if "type" in value:
            return value
        for key, kind in _SELECTED_TYPES:
            if key in value:
                return {"type": kind, **value}
        if "value" in value:
            return {"type": "plain_text_input", **value}
        return {"type": "plain_text_input", "value": None, **value}
    return {"type": "plain_text_input", "value": None if value is None else str(value)}
