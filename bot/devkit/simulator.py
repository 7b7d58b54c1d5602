"""A Slack Web API simulator: a real HTTP server on 127.0.0.1 that answers like Slack.

Used by the test suite and by ``golive demo``. Point a real ``slack_sdk.WebClient`` at it::

    with SlackSimulator() as sim:
        sim.add_user("U1", "ana", email="ana@example.com")
        sim.add_channel("C1", "golive-acme", members=["U1"])
        client = WebClient(token=sim.bot_token, base_url=sim.url)
        client.chat_postMessage(channel="C1", text="hello")
        assert sim.messages("C1")[0].text == "hello"

Only the standard library and slack_sdk conventions are used, so the demo can run it too.

As strict as Slack by default (``strict=False`` gives the old lenient simulator back):

- Rate limits per method: each method has its Slack tier budget per minute (``bot.devkit.sim.limits``);
  over it the call gets HTTP 429 with ``Retry-After`` for that method only. Tune with
  ``SlackSimulator(tiers={2: 100, "pins.add": None}, time_scale=60)`` or ``set_tier_budget``.
  chat.postMessage's own limits (about one message per second per channel with a short burst, plus a
  workspace-wide budget) are opt-in for now: ``post_message_limits=True`` (or ``set_rate_limit``).
- ``trigger_id`` expires ``trigger_ttl`` (3) seconds after the click: ``views.open``/``views.push``
  answer ``expired_trigger_id``. ``new_trigger_id()`` mints ids with a precise instant.
- Files shared by ``files.completeUploadExternal`` appear in the channel later (``share_delay`` seconds,
  or at ``flush_shares()``), as at Slack.
- Opt-in: ``history_limit=True`` gives history/replies the commercial-app limits (1 request/min, 15
  results); ``post_message_limits=True`` (above).

Fault injection: ``inject(method, kind)`` where kind is "429", "500", "503", "drop" (close the TCP
connection without an answer), "reset" (a TCP reset), "timeout" (hold the connection ``hold_seconds``,
longer than the client waits, then close it) or any other string, which is answered as a Slack error
``{"ok": false, "error": kind}`` with HTTP 200 (e.g. ``inject("chat.postMessage", "channel_not_found")``).
With ``after_effect=True`` (kinds 500, 503, drop, reset, timeout) the call first succeeds (the message is
posted, the pin added, the file shared) and only then the client gets the fault. The upload endpoint
counts as the method ``"upload"``.

Socket Mode: ``apps.connections.open`` (with the ``xapp-`` token) answers a ``ws://`` URL served by the
same server; ``socket_push``/``push_event``/``push_interactive``/``push_slash_command`` send envelopes,
``socket_acks`` records the answers, ``socket_disconnect()`` sends ``refresh_requested``.

Control API on the same server (for bots running in other processes):
``GET /_sim/messages``, ``GET /_sim/ephemerals``, ``GET /_sim/calls``, ``GET /_sim/responses``,
``GET /_sim/limits``, ``POST /_sim/faults`` ``{method, kind, times, retry_after, after_effect,
hold_seconds}``, ``POST /_sim/rate_limit``, ``POST /_sim/tiers`` ``{key, per_minute}``,
``POST /_sim/flush_shares``, ``POST /_sim/users`` / ``POST /_sim/channels`` (keyword arguments of
add_user / add_channel), ``POST /_sim/reset`` (clears recorded calls).

A ``response_url`` endpoint (``POST /response/<anything>``) records what Bolt's ``respond()`` sends;
see ``response_url_base`` and ``responses``.
"""

from __future__ import annotations

import argparse
import base64
import email.parser
import email.policy
import html
import json
import os
import random
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.devkit.sim.limits import HISTORY_LIMIT_RESULTS, METHOD_TIERS, RateLimiter, retry_after_header
from bot.devkit.sim.websocket import Ack, SocketModeHub

PERMALINK_HOST = "https://sim.slack.test"
FAULT_KINDS = ("429", "500", "503", "drop", "reset", "timeout")
AFTER_EFFECT_KINDS = ("500", "503", "drop", "reset", "timeout")
UPLOAD_METHOD = "upload"
DEFAULT_TRIGGER_TTL = 3.0  # seconds a trigger_id stays usable after the click
DEFAULT_SHARE_DELAY = 0.3  # seconds between files.completeUploadExternal and the share showing up
DEFAULT_HOLD_SECONDS = 1.2  # a "timeout" fault holds the connection this long (a bit over a short client timeout)
_STRICT: Any = object()  # "follow strict" default for knobs

MAX_TEXT = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

# Fields that slack_sdk (or a hand-written client) may send as JSON strings inside form bodies.
_JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "files", "unfurls")
_METADATA_EVENT_TYPE = re.compile(r"^[A-Za-z0-9_-]+$")
_REACTION_NAME = re.compile(r"^[a-z0-9_+'-]+(::skin-tone-[2-6])?$")


# --------------------------------------------------------------------------- records


@dataclass
class Call:
    """One request the simulator answered (or dropped: status 0, response None)."""

    method: str
    params: dict
    status: int
    response: dict | None
    at: float
    fault: str | None = None  # the injected fault kind the client got, if any
    effect: dict | None = None  # with an after-effect fault: the answer Slack had before the fault


@dataclass
class SimMessage:
    """A message stored by the simulator (channel message, thread reply, DM or ephemeral)."""

    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list | None = None
    thread_ts: str | None = None
    metadata: dict | None = None
    files: list | None = None
    reply_broadcast: bool = False
    unfurl_links: bool | None = None
    ephemeral_for: str | None = None
    bot_id: str | None = None
    edited: bool = False
    pinned: bool = False
    reactions: dict[str, list[str]] = field(default_factory=dict)
    names: Callable[[str], str | None] | None = field(default=None, repr=False, compare=False)

    # dict-style access keeps tests terse: msg["text"]
    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def plain_text(self) -> str:
        """Readable rendering: the blocks when present (text is then only the fallback), else text."""
        body = render_blocks(self.blocks, self.names) if self.blocks else render_mrkdwn(self.text, self.names)
        for f in self.files or ():
            line = f"[file: {f.get('title') or f.get('name')}]"
            body = f"{body}\n{line}" if body else line
        return body

    def to_dict(self) -> dict:
        return {
            "channel": self.channel,
            "ts": self.ts,
            "user": self.user,
            "text": self.text,
            "blocks": self.blocks,
            "thread_ts": self.thread_ts,
            "metadata": self.metadata,
            "files": self.files,
            "reply_broadcast": self.reply_broadcast,
            "ephemeral_for": self.ephemeral_for,
            "edited": self.edited,
            "pinned": self.pinned,
            "reactions": {k: list(v) for k, v in self.reactions.items()},
            "plain_text": self.plain_text(),
        }


class _ApiError(Exception):
    def __init__(self, code: str, detail: str | None = None):
        super().__init__(code)
        self.code = code
        self.detail = detail


_DROP = object()  # handler result meaning "close the connection without answering"
_RESET = object()  # handler result meaning "reset the TCP connection (RST) without answering"


@dataclass
class _Hold:
    """Handler result: keep the connection open ``seconds`` without answering, then close it."""

    seconds: float


@dataclass
class _Reply:
    status: int
    body: dict | str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    method: str
    kind: str
    remaining: int | None  # None: probabilistic, never used up
    retry_after: int = 1
    probability: float = 1.0
    rng: random.Random | None = None
    after_effect: bool = False
    hold_seconds: float | None = None

    def matches(self, method: str) -> bool:
        return self.method in ("*", method)


# --------------------------------------------------------------------------- rendering


_MRKDWN_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def render_mrkdwn(text: str | None, names: Callable[[str], str | None] | None = None) -> str:
    """Turn Slack mrkdwn escapes and links into readable text (``<@U1>`` -> ``@ana``)."""

    def sub(m: re.Match) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith("@"):
            uid = target[1:]
            return "@" + (label or (names(uid) if names else None) or uid)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        return f"{label} ({target})" if label else target

    return html.unescape(_MRKDWN_LINK.sub(sub, text or ""))


def _text_of(obj: Any, names: Callable[[str], str | None] | None = None) -> str:
    if not isinstance(obj, dict):
        return "" if obj is None else str(obj)
    text = str(obj.get("text", ""))
    return render_mrkdwn(text, names) if obj.get("type") == "mrkdwn" else text


def _element_label(el: dict, names: Callable[[str], str | None] | None) -> str:
    kind = el.get("type", "")
    if kind in ("plain_text", "mrkdwn"):
        return _text_of(el, names)
    if kind == "image":
        return f"[image: {el.get('alt_text', '')}]"
    if kind == "button":
        return f"[{_text_of(el.get('text'))}]"
    if "placeholder" in el:
        return f"[{_text_of(el.get('placeholder'))} v]"
    return f"[{kind}]"


def _rich_text(node: Any, names: Callable[[str], str | None] | None) -> str:
    if isinstance(node, list):
        return "".join(_rich_text(n, names) for n in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "link":
        return str(node.get("text") or node.get("url", ""))
    if kind == "user":
        uid = str(node.get("user_id", ""))
        return "@" + ((names(uid) if names else None) or uid)
    if kind == "channel":
        return "#" + str(node.get("channel_id", ""))
    if kind == "emoji":
        return f":{node.get('name', '')}:"
    if kind == "rich_text_list":
        return "\n".join("- " + _rich_text(item, names) for item in node.get("elements", []))
    inner = _rich_text(node.get("elements", []), names)
    return inner + "\n" if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote") else inner


def render_blocks(blocks: Iterable[dict] | None, names: Callable[[str], str | None] | None = None) -> str:
    """Render Block Kit blocks as plain readable lines (for the demo's output and for assertions)."""
    lines: list[str] = []
    for block in blocks or ():
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {_text_of(block.get('text'))} ==")
        elif kind == "section":
            parts = [_text_of(block.get("text"), names)] if block.get("text") else []
            parts += [_text_of(f, names) for f in block.get("fields", [])]
            if isinstance(block.get("accessory"), dict):
                parts.append(_element_label(block["accessory"], names))
            lines.append("\n".join(p for p in parts if p))
        elif kind == "context":
            lines.append(" · ".join(_element_label(e, names) for e in block.get("elements", [])))
        elif kind == "actions":
            lines.append(" ".join(_element_label(e, names) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("-" * 24)
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
        elif kind == "input":
            lines.append(f"{_text_of(block.get('label'))}: ____")
        elif kind == "rich_text":
            lines.append(_rich_text(block.get("elements", []), names).rstrip("\n"))
        else:
            lines.append(f"[{kind}]")
    return "\n".join(lines)


# --------------------------------------------------------------------------- validation

# (block type or "*", path, measure, limit).  "a[]" walks every item of list a.
_BLOCK_LIMITS: tuple[tuple[str, str, str, int], ...] = (
    ("*", "block_id", "len", 255),
    ("section", "text.text", "len", 3000),
    ("section", "fields", "count", 10),
    ("section", "fields[].text", "len", 2000),
    ("header", "text.text", "len", 150),
    ("actions", "elements", "count", 25),
    ("context", "elements", "count", 10),
    ("input", "label.text", "len", 2000),
    ("image", "alt_text", "len", 2000),
)
# Same shape, applied to interactive elements (actions elements, accessories, input elements).
_ELEMENT_LIMITS: tuple[tuple[str, str, str, int], ...] = (
    ("*", "action_id", "len", 255),
    ("button", "text.text", "len", 75),
    ("button", "value", "len", 2000),
    ("button", "url", "len", 3000),
    ("*", "placeholder.text", "len", 150),
    ("*", "options", "count", 100),
    ("*", "options[].text.text", "len", 75),
    ("*", "options[].value", "len", 150),
)
# A block of this type needs at least one of these keys.
_BLOCK_REQUIRES = {
    "section": ("text", "fields"),
    "header": ("text",),
    "actions": ("elements",),
    "context": ("elements",),
    "input": ("label",),
}
# (view path, limit) -> invalid_arguments
_VIEW_LIMITS = (
    ("title.text", 24),
    ("submit.text", 24),
    ("close.text", 24),
    ("private_metadata", 3000),
    ("callback_id", 255),
    ("external_id", 255),
)


def _walk(obj: Any, path: str) -> list:
    """Values at a dotted path; ``x[]`` fans out over the items of list x."""
    found = [obj]
    for part in path.split("."):
        fan = part.endswith("[]")
        key = part[:-2] if fan else part
        nxt: list = []
        for item in found:
            if not isinstance(item, dict) or item.get(key) is None:
                continue
            value = item[key]
            if fan:
                nxt.extend(value if isinstance(value, list) else [])
            else:
                nxt.append(value)
        found = nxt
    return found


def _check_limits(obj: dict, rules: tuple[tuple[str, str, str, int], ...], where: str) -> str | None:
    kind = obj.get("type")
    for applies, path, measure, limit in rules:
        if applies not in ("*", kind):
            continue
        for value in _walk(obj, path):
            size = len(value) if isinstance(value, str | list) else len(str(value))
            if measure == "count" and not isinstance(value, list):
                continue
            if size > limit:
                return f"{where}: {path} of {kind} is {size}, over {limit}"
    return None


def validate_blocks(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> str | None:
    """Return why Slack would answer ``invalid_blocks``, or None when the blocks are acceptable."""
    if not isinstance(blocks, list):
        return "blocks must be a list"
    if len(blocks) > max_blocks:
        return f"{len(blocks)} blocks, over {max_blocks}"
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return f"{where}: a block needs a type"
        needs = _BLOCK_REQUIRES.get(block["type"])
        if needs and not any(block.get(k) for k in needs):
            return f"{where}: {block['type']} needs one of {needs}"
        problem = _check_limits(block, _BLOCK_LIMITS, where)
        if problem:
            return problem
        elements = [e for e in block.get("elements", []) if isinstance(e, dict)] if block["type"] == "actions" else []
        elements += [block[k] for k in ("accessory", "element") if isinstance(block.get(k), dict)]
        for el in elements:
            problem = _check_limits(el, _ELEMENT_LIMITS, where)
            if problem:
                return problem
    return None


def validate_message(text: Any, blocks: Any, attachments: Any = None) -> _ApiError | None:
    """Slack's checks on a message body: no_text, msg_too_long, invalid_blocks(_format)."""
    if not text and not blocks and not attachments:
        return _ApiError("no_text")
    if text and len(str(text)) > MAX_TEXT:
        return _ApiError("msg_too_long", f"text is {len(str(text))} chars, over {MAX_TEXT}")
    if blocks is not None and blocks != "":
        if not isinstance(blocks, list):
            return _ApiError("invalid_blocks_format", "blocks must be a JSON array")
        problem = validate_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS)
        if problem:
            return _ApiError("invalid_blocks", problem)
    return None


def validate_view(view: Any) -> _ApiError | None:
    if not isinstance(view, dict):
        return _ApiError("invalid_arguments", "view must be an object")
    if view.get("type") not in ("modal", "home"):
        return _ApiError("invalid_arguments", "view.type must be modal or home")
    if view["type"] == "modal" and not _walk(view, "title.text"):
        return _ApiError("invalid_arguments", "a modal needs a title")
    for path, limit in _VIEW_LIMITS:
        for value in _walk(view, path):
            if len(str(value)) > limit:
                return _ApiError("invalid_arguments", f"view.{path} is {len(str(value))}, over {limit}")
    if "blocks" not in view:
        return _ApiError("invalid_arguments", "view.blocks is required")
    problem = validate_blocks(view["blocks"], max_blocks=MAX_VIEW_BLOCKS)
    return _ApiError("invalid_blocks", problem) if problem else None


# --------------------------------------------------------------------------- helpers


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, int | str) and str(value).lower() in ("1", "true"))


def _ts_key(ts: Any) -> tuple[int, int]:
    try:
        whole, _, frac = str(ts).partition(".")
        return int(whole), int((frac + "000000")[:6])
    except ValueError:
        return (0, 0)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _cursor_encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _cursor_decode(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(str(cursor).encode()).decode()
        return int(text.removeprefix("offset:"))
    except (ValueError, UnicodeDecodeError) as e:
        raise _ApiError("invalid_cursor") from e


def _paginate(items: list, params: dict, default_limit: int = 100, max_limit: int = 1000) -> tuple[list, dict]:
    limit = _int(params.get("limit"), default_limit) or default_limit
    limit = max(1, min(limit, max_limit))
    start = _cursor_decode(params.get("cursor"))
    page = items[start : start + limit]
    more = start + limit < len(items)
    return page, {"next_cursor": _cursor_encode(start + limit) if more else ""}


def _parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str | None, bytes]]:
    """(field name, filename, payload) for each part of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts = []
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        parts.append((str(name), part.get_filename(), part.get_payload(decode=True) or b""))
    return parts


def _parse_params(content_type: str, query: str, body: bytes) -> dict:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.split(";")[0].strip().lower()
    if body:
        if ctype == "application/json":
            try:
                data = json.loads(body)
            except ValueError as e:
                raise _ApiError("invalid_json") from e
            if not isinstance(data, dict):
                raise _ApiError("invalid_json")
            params.update(data)
        elif ctype == "multipart/form-data":
            for name, filename, payload in _parse_multipart(content_type, body):
                params[name] = payload if filename else payload.decode("utf-8", "replace")
        else:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError as e:
                if key == "blocks":
                    raise _ApiError("invalid_blocks_format") from e
                raise _ApiError("invalid_arguments", f"{key} is not valid JSON") from e
    return params


def _split_ids(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


# --------------------------------------------------------------------------- the simulator


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 drops connections under concurrent load
    daemon_threads = True


class SlackSimulator:
    """A Slack workspace plus a Web API server. Thread-safe; one lock guards all state."""

    def __init__(
        self,
        team_id: str = "T0VENDOR",
        bot_user_id: str = "UBOT",
        bot_token: str = "xoxb-sim-token",  # noqa: S107 - a fake token for the simulated workspace
        *,
        team_name: str = "Vendor Inc",
        team_domain: str = "vendor",
        bot_name: str = "golive",
        bot_id: str = "BBOT",
        app_id: str = "A0GOLIVE",
        host: str = "127.0.0.1",
        port: int = 0,
        strict: bool = True,
        trigger_ttl: float | None = _STRICT,
        clock: Callable[[], float] = time.time,
        tiers: Mapping[int | str, float | None] | None = None,
        time_scale: float = 1.0,
        history_limit: bool | None = None,
        post_message_limits: bool | None = None,
        share_delay: float | None = _STRICT,
        latency: Mapping[str, float] | None = None,
        fault_hold_seconds: float = DEFAULT_HOLD_SECONDS,
        app_token: str = "xapp-1-sim-token",  # noqa: S107 - a fake app-level token for Socket Mode
        verbose: bool = False,
    ):
        """``strict`` (default) turns on Slack's per-method rate limits, trigger expiry and asynchronous file
        shares; each has its own knob that wins over it:

        - ``tiers``: per-minute budgets by tier (1-4, "special") or method name, None for unlimited, e.g.
          ``{2: 100, "pins.add": 1}``; ``time_scale``: simulated minutes per real minute (60 = budgets
          refill 60 times faster).
        - ``trigger_ttl``: seconds a trigger_id lives (None: never expires).
        - ``share_delay``: seconds before a completed upload is shared into its channel (0/None: at once).
        - ``history_limit``: conversations.history/replies at 1 request/min and 15 results (opt-in; None
          reads the environment variable SIM_HISTORY_LIMIT=1).
        - ``post_message_limits``: chat.postMessage at about 1/s per channel (burst 3) and 300/min per
          workspace (opt-in for now; None reads SIM_POST_MESSAGE_LIMITS=1, which turns it on for a whole
          test run; ``set_rate_limit`` sets explicit ones). Other methods' tiers follow ``strict``.
        - ``latency``: seconds of delay per method (``{"users.info": 1.0}``), as ``set_latency``.
        - ``fault_hold_seconds``: how long a "timeout" fault holds the connection by default.
        - ``clock``: the time source for ts values, trigger expiry, rate-limit budgets and share delays.
        """
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_id = bot_id
        self.app_id = app_id
        self.team_name = team_name
        self.host = host
        self.strict = strict
        self.trigger_ttl = (DEFAULT_TRIGGER_TTL if strict else None) if trigger_ttl is _STRICT else trigger_ttl
        self.share_delay = (DEFAULT_SHARE_DELAY if strict else None) if share_delay is _STRICT else share_delay
        self.fault_hold_seconds = float(fault_hold_seconds)
        self.verbose = verbose
        self._clock = clock
        self._requested_port = port
        self.limits = RateLimiter(
            clock,
            enabled=strict,
            budgets=tiers,
            time_scale=time_scale,
            history_limit=_opt_in(history_limit, "SIM_HISTORY_LIMIT"),
            post_message_limits=_opt_in(post_message_limits, "SIM_POST_MESSAGE_LIMITS"),
        )

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self.calls: list[Call] = []
        self.responses: list[dict] = []  # bodies POSTed to response_url
        self._teams: dict[str, dict] = {
            team_id: {"id": team_id, "name": team_name, "domain": team_domain, "email_domain": ""}
        }
        self._users: dict[str, dict] = {}
        self._channels: dict[str, dict] = {}
        self._messages: dict[str, list[SimMessage]] = {}
        self._ephemerals: list[SimMessage] = []
        self._files: dict[str, dict] = {}
        self._views: dict[str, dict] = {}
        self._user_views: dict[str, list[dict]] = {}
        self._last_ts_us = 0
        self._counter = 0
        self._faults: list[_Fault] = []
        self._latency: dict[str, float] = {k: float(v) for k, v in (latency or {}).items() if v}
        self._in_flight: dict[str, int] = {}
        self._triggers: dict[str, tuple[float, str | None]] = {}  # trigger_id -> (issued at, user)
        self._pending_shares: list[tuple[float, SimMessage, list[str]]] = []  # (due, message, file ids)
        self._timers: list[threading.Timer] = []
        self._stopping = threading.Event()
        self.socket = SocketModeHub(app_id, self._notify, clock)

        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

        self._methods: dict[str, Callable[[dict], dict]] = {
            "api.test": lambda p: {"args": {k: v for k, v in p.items() if isinstance(v, str)}},
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.members": self._conversations_members,
            "conversations.info": self._conversations_info,
            "conversations.list": self._conversations_list,
            "conversations.open": self._conversations_open,
            "conversations.join": self._conversations_join,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.getPresence": self._users_get_presence,
            "users.profile.get": self._users_profile_get,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "pins.add": self._pins_add,
            "pins.remove": self._pins_remove,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "team.info": self._team_info,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
            "apps.connections.open": self._apps_connections_open,
        }
        missing = set(self._methods) - set(METHOD_TIERS)
        if missing:
            raise RuntimeError(f"methods without a rate-limit tier: {sorted(missing)}")
        self.add_user(bot_user_id, bot_name, is_bot=True)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackSimulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self._requested_port), _Handler)
        server.daemon_threads = True
        server.sim = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="slack-sim", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases held "timeout" connections and latency waits
        with self._lock:
            timers, self._timers = self._timers, []
            self._changed.notify_all()
        for timer in timers:
            timer.cancel()
        self.socket.close_all()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SlackSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """Server root, e.g. http://127.0.0.1:PORT (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)`` (ends with /)."""
        return f"{self.base_url}/api/"

    @property
    def response_url_base(self) -> str:
        """Prefix for response_url values whose POSTs land in ``responses``."""
        return f"{self.base_url}/response"

    # ------------------------------------------------------------------ workspace setup

    def add_team(self, team_id: str, name: str, *, domain: str | None = None) -> dict:
        with self._lock:
            team = {
                "id": team_id,
                "name": name,
                "domain": domain or name.lower().replace(" ", ""),
                "email_domain": "",
            }
            self._teams[team_id] = team
            return dict(team)

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        team_id: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        email: str | None = None,
        status_emoji: str = "",
        status_text: str = "",
        presence: str = "active",
        tz: str = "UTC",
        real_name: str | None = None,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
        locale: str = "en-US",
        status_expiration: int = 0,
        title: str = "",
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        teams: Iterable[str] | None = None,
    ) -> dict:
        """Add a person. Guests: ``is_restricted`` (multi-channel) / ``is_ultra_restricted`` (single-channel).
        Enterprise Grid: ``enterprise_id`` (and ``teams``, the workspaces of the enterprise they sit in)."""
        team = team_id or self.team_id
        offset = _tz_offset(tz)
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": team,
            "name": name,
            "real_name": real_name or name,
            "deleted": deleted,
            "color": "9f69e7",
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "is_restricted": is_restricted or is_ultra_restricted,
            "is_ultra_restricted": is_ultra_restricted,
            "is_bot": is_bot,
            "is_app_user": False,
            "tz": tz,
            "tz_label": offset[1],
            "tz_offset": offset[0],
            "updated": int(self._clock()),
            "is_email_confirmed": email is not None,
            "locale": locale,
            "presence": presence,
            "profile": {
                "title": title,
                "real_name": real_name or name,
                "real_name_normalized": real_name or name,
                "display_name": name,
                "display_name_normalized": name,
                "email": email,
                "status_emoji": status_emoji,
                "status_text": status_text,
                "status_expiration": int(status_expiration),
                "team": team,
            },
        }
        if enterprise_id:
            user["enterprise_id"] = enterprise_id
            user["enterprise_user"] = {
                "id": user_id,
                "enterprise_id": enterprise_id,
                "enterprise_name": enterprise_name or enterprise_id,
                "is_admin": is_admin,
                "is_owner": is_owner,
                "is_primary_owner": False,
                "teams": list(teams) if teams else [team],
            }
        if is_bot and user_id == self.bot_user_id:
            user["profile"]["bot_id"] = self.bot_id
        with self._lock:
            self._users[user_id] = user
            return _copy(user)

    def update_user(self, user_id: str, **fields: Any) -> None:
        """Change a user: top-level keys (deleted, presence, tz, ...) or profile keys (email, status_text)."""
        with self._lock:
            user = self._users[user_id]
            for key, value in fields.items():
                if key in user["profile"] and key not in user:
                    user["profile"][key] = value
                else:
                    user[key] = value

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        members: Iterable[str] = (),
        is_ext_shared: bool = False,
        is_archived: bool = False,
        bot_member: bool = True,
        is_private: bool | None = None,
    ) -> dict:
        member_list = list(dict.fromkeys(members))
        if bot_member and self.bot_user_id not in member_list:
            member_list.append(self.bot_user_id)
        channel = {
            "id": channel_id,
            "name": name,
            "is_channel": not channel_id.startswith(("D", "G")),
            "is_group": channel_id.startswith("G"),
            "is_im": channel_id.startswith("D"),
            "is_mpim": False,
            "is_private": channel_id.startswith("G") if is_private is None else is_private,
            "is_archived": is_archived,
            "is_ext_shared": is_ext_shared,
            "is_shared": is_ext_shared,
            "context_team_id": self.team_id,
            "created": int(self._clock()),
            "members": member_list,
        }
        with self._lock:
            self._channels[channel_id] = channel
            self._messages.setdefault(channel_id, [])
            return _copy(channel)

    def update_channel(self, channel_id: str, **fields: Any) -> None:
        """Change channel fields, e.g. ``is_archived=True`` or ``is_ext_shared=True``."""
        with self._lock:
            self._channels[channel_id].update(fields)

    def add_member(self, channel_id: str, user_id: str) -> None:
        with self._lock:
            members = self._channels[channel_id]["members"]
            if user_id not in members:
                members.append(user_id)

    def remove_member(self, channel_id: str, user_id: str) -> None:
        with self._lock:
            members = self._channels[channel_id]["members"]
            if user_id in members:
                members.remove(user_id)

    def post_as_user(
        self,
        channel_id: str,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list | None = None,
        metadata: dict | None = None,
    ) -> SimMessage:
        """Put a message from a person into a channel (as if they typed it; no API checks)."""
        with self._lock:
            if channel_id not in self._channels:
                raise KeyError(channel_id)
            msg = SimMessage(
                channel=channel_id,
                ts=self._next_ts(),
                user=user_id,
                text=text,
                blocks=blocks,
                thread_ts=self._thread_root(channel_id, thread_ts),
                metadata=metadata,
                names=self._name_of,
            )
            self._store(msg)
            self._changed.notify_all()
            return msg

    def user(self, user_id: str) -> dict | None:
        with self._lock:
            user = self._users.get(user_id)
            return _copy(user) if user else None

    def channel(self, channel_id: str) -> dict | None:
        with self._lock:
            ch = self._channels.get(channel_id)
            return _copy(ch) if ch else None

    def dm_channel_id(self, user_id: str) -> str | None:
        """The D… channel opened with this user, if any."""
        with self._lock:
            for ch in self._channels.values():
                if ch["is_im"] and ch.get("user") == user_id:
                    return ch["id"]
            return None

    # ------------------------------------------------------------------ faults and limits

    def inject(
        self,
        method: str,
        kind: str,
        times: int = 1,
        retry_after: int = 1,
        *,
        after_effect: bool = False,
        hold_seconds: float | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` (or "*") fail with ``kind``.

        ``after_effect=True``: the call takes effect first (posted, pinned, shared...) and the client then
        gets the fault (500, 503, drop, reset or timeout); such a fault waits for a call that succeeds.
        ``hold_seconds``: how long a "timeout" holds the connection (default ``fault_hold_seconds``).
        """
        kind = str(kind)
        if after_effect and kind not in AFTER_EFFECT_KINDS:
            raise ValueError(f"an after-effect fault is one of {AFTER_EFFECT_KINDS}, not {kind!r}")
        with self._lock:
            self._faults.append(
                _Fault(
                    method,
                    kind,
                    max(0, int(times)),
                    max(1, int(retry_after)),
                    after_effect=after_effect,
                    hold_seconds=hold_seconds,
                )
            )

    def inject_rate(
        self,
        method: str,
        kind: str,
        probability: float,
        seed: int | None = None,
        retry_after: int = 1,
        *,
        after_effect: bool = False,
    ) -> None:
        """Make a random fraction of calls to ``method`` (or "*") fail with ``kind``, until clear_faults()."""
        if after_effect and str(kind) not in AFTER_EFFECT_KINDS:
            raise ValueError(f"an after-effect fault is one of {AFTER_EFFECT_KINDS}, not {kind!r}")
        with self._lock:
            self._faults.append(
                _Fault(
                    method,
                    str(kind),
                    None,
                    max(1, int(retry_after)),
                    float(probability),
                    random.Random(seed),
                    after_effect=after_effect,
                )
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_latency(self, seconds: float, method: str = "*") -> None:
        """Delay answers to ``method`` (or every method) by ``seconds``; 0 removes the delay.

        Calls already waiting see the change (setting 0 releases them). Waits hold no lock: concurrent
        calls overlap, as at Slack."""
        with self._lock:
            if seconds:
                self._latency[method] = float(seconds)
            else:
                self._latency.pop(method, None)
            self._changed.notify_all()

    def in_flight(self, method: str | None = None) -> int:
        """How many calls (to ``method``, or to any method) the simulator is answering right now."""
        with self._lock:
            return self._in_flight.get(method, 0) if method else sum(self._in_flight.values())

    def set_rate_limit(
        self,
        per_channel_per_sec: float | None = None,
        workspace_per_sec: float | None = None,
        *,
        burst: float | None = None,
    ) -> None:
        """Replace chat.postMessage's limits with these token buckets (None turns a limit off).

        Each bucket holds ``burst`` tokens (default: one second's worth, at least 1), so sustained
        throughput equals the limit and short bursts pass. Other methods keep their tiers.
        """
        with self._lock:
            self.limits.set_post_message(per_channel_per_sec, workspace_per_sec, burst)

    def set_tier_budget(self, key: int | str, per_minute: float | None) -> None:
        """Per-minute budget of a tier (1-4, "special") or one method ("pins.add"); None: unlimited."""
        with self._lock:
            self.limits.set_budget(key, per_minute)

    @staticmethod
    def _rate_key(method: str, params: dict) -> str:
        if method != "chat.postMessage":
            return ""
        target = str(params.get("channel") or "")
        return f"D{target}" if target[:1] in ("U", "W") else target

    def _rate_wait(self, method: str, params: dict) -> float:
        return self.limits.check(method, self._rate_key(method, params))

    def _take_fault(self, method: str, after_effect: bool = False) -> _Fault | None:
        for fault in list(self._faults):
            if not fault.matches(method) or fault.after_effect != after_effect:
                continue
            if fault.remaining is None:
                if fault.rng is not None and fault.rng.random() < fault.probability:
                    return fault
                continue
            if fault.remaining <= 0:
                self._faults.remove(fault)
                continue
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.remove(fault)
            return fault
        return None

    # ------------------------------------------------------------------ triggers

    def new_trigger_id(self, user_id: str | None = None, *, at: float | None = None) -> str:
        """Mint a trigger_id for a click by ``user_id`` at ``at`` (default: now on the simulator's clock).

        It expires ``trigger_ttl`` seconds after that instant. Put it in a signed request's ``trigger_id``."""
        issued = self._clock() if at is None else float(at)
        trigger_id = f"{int(issued)}.{user_id or 'U0'}.{secrets.token_hex(10)}"
        with self._lock:
            self._triggers[trigger_id] = (issued, user_id)
        return trigger_id

    def register_trigger(self, trigger_id: str, *, at: float | None = None, expired: bool = False) -> None:
        """Tell the simulator when ``trigger_id`` was issued (or that it has already expired)."""
        issued = float("-inf") if expired else (self._clock() if at is None else float(at))
        user = self._trigger_user_part(trigger_id)
        with self._lock:
            self._triggers[trigger_id] = (issued, user)

    def expire_trigger(self, trigger_id: str) -> None:
        self.register_trigger(trigger_id, expired=True)

    # ------------------------------------------------------------------ file shares

    def flush_shares(self) -> list[SimMessage]:
        """Share every completed upload now (as Slack eventually does); returns the messages that appeared."""
        with self._lock:
            return self._materialize_shares(force=True)

    def pending_shares(self) -> int:
        with self._lock:
            return len(self._pending_shares)

    def _materialize_shares(self, force: bool = False) -> list[SimMessage]:
        """Post the pending shares that are due (all with ``force``). Caller holds the lock."""
        if not self._pending_shares:
            return []
        now = self._clock()
        done, keep = [], []
        for due, msg, file_ids in self._pending_shares:
            (done if force or now >= due else keep).append((due, msg, file_ids))
        self._pending_shares = keep
        shared = []
        for _due, msg, file_ids in done:
            if msg.channel not in self._channels:
                continue
            msg.ts = self._next_ts()
            if msg.thread_ts and not any(m.ts == msg.thread_ts for m in self._messages[msg.channel]):
                msg.thread_ts = None
            self._store(msg)
            for file_id in file_ids:
                record = self._files.get(file_id)
                if record is not None:
                    record.setdefault("shares", {}).setdefault(msg.channel, []).append(msg.ts)
            shared.append(msg)
        if shared:
            self._changed.notify_all()
        return shared

    def _share_timer_fired(self) -> None:
        with self._lock:
            self._materialize_shares()

    # ------------------------------------------------------------------ recording / inspection

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()
            self.responses.clear()

    def messages(self, channel_id: str) -> list[SimMessage]:
        """Live messages of a channel in posting order, thread replies included (and shares that are due)."""
        with self._lock:
            self._materialize_shares()
            return list(self._messages.get(channel_id, ()))

    def all_messages(self) -> list[SimMessage]:
        with self._lock:
            self._materialize_shares()
            msgs = [m for lst in self._messages.values() for m in lst]
        return sorted(msgs, key=lambda m: _ts_key(m.ts))

    def thread(self, channel_id: str, thread_ts: str) -> list[SimMessage]:
        """Parent and replies of one thread, oldest first."""
        return [m for m in self.messages(channel_id) if m.ts == thread_ts or m.thread_ts == thread_ts]

    def dm_messages(self, user_id: str) -> list[SimMessage]:
        channel_id = self.dm_channel_id(user_id)
        return self.messages(channel_id) if channel_id else []

    def ephemerals(self, user_id: str | None = None) -> list[SimMessage]:
        with self._lock:
            return [m for m in self._ephemerals if user_id is None or m.ephemeral_for == user_id]

    def views_for(self, user_id: str, type: str | None = None) -> dict | None:
        """The latest view opened, pushed, updated or published for a user (optionally of one type)."""
        with self._lock:
            for view in reversed(self._user_views.get(user_id, [])):
                if type is None or view["type"] == type:
                    return _copy(view)
            return None

    @property
    def views(self) -> list[dict]:
        with self._lock:
            return [_copy(v) for v in self._views.values()]

    def file(self, file_id: str) -> dict | None:
        """A file record; ``data`` holds the uploaded bytes (None until uploaded)."""
        with self._lock:
            f = self._files.get(file_id)
            return dict(f) if f else None

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Block until ``predicate()`` is truthy (re-checked after every request); TimeoutError if not."""
        with self._changed:
            result = self._changed.wait_for(predicate, timeout=timeout)
        if not result:
            raise TimeoutError(f"simulator condition not met within {timeout:.1f}s")
        return result

    def _notify(self) -> None:
        with self._lock:
            self._changed.notify_all()

    # ------------------------------------------------------------------ Socket Mode

    def socket_connections(self) -> list[str]:
        """Ids of the Socket Mode connections open now, oldest first."""
        return [c.id for c in self.socket.open_connections()]

    def wait_for_socket(self, count: int = 1, *, timeout: float = 5.0, opened: int | None = None) -> list[str]:
        """Block until ``count`` connections are open (and, with ``opened``, that many were ever opened)."""

        def ready() -> bool:
            enough = len(self.socket.open_connections()) >= count
            return enough and (opened is None or len(self.socket.connections) >= opened)

        self.wait_for(ready, timeout=timeout)
        return self.socket_connections()

    def socket_push(self, type: str, payload: dict, **options: Any) -> str:
        """Send an envelope (``events_api``, ``interactive``, ``slash_commands``) to the newest connection.

        Options: ``envelope_id``, ``accepts_response_payload``, ``retry_attempt``, ``retry_reason``."""
        return self.socket.push(type, payload, **options)

    def push_event(
        self,
        event: dict,
        *,
        event_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
    ) -> str:
        """An ``events_api`` envelope around an ``event_callback`` for ``event`` (e.g. from slack_requests)."""
        now = self._clock()
        payload = {
            "token": "sim-verification-token",
            "team_id": self.team_id,
            "enterprise_id": None,
            "api_app_id": self.app_id,
            "event": {"event_ts": f"{now:.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_hex(16)}",
        }
        return self.socket.push(
            "events_api",
            payload,
            envelope_id=envelope_id,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )

    def push_interactive(self, payload: dict, **options: Any) -> str:
        """An ``interactive`` envelope (block_actions, view_submission, shortcut... payloads)."""
        return self.socket.push("interactive", payload, **options)

    def push_slash_command(self, form: dict, **options: Any) -> str:
        """A ``slash_commands`` envelope; ``form`` holds the fields Slack would form-encode over HTTP."""
        return self.socket.push("slash_commands", form, **options)

    @property
    def socket_acks(self) -> list[Ack]:
        with self._lock:
            return list(self.socket.acks)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """Block until the client acknowledged ``envelope_id``; returns the acknowledgement."""
        return self.wait_for(
            lambda: next((a for a in self.socket.acks if a.envelope_id == envelope_id), None), timeout=timeout
        )

    def socket_disconnect(self, reason: str = "refresh_requested", *, drop: bool = False) -> int:
        """Send ``{"type": "disconnect", "reason": reason}`` to every connection (see SocketModeHub.disconnect)."""
        return self.socket.disconnect(reason, drop=drop)

    # ------------------------------------------------------------------ request handling

    def _record(
        self,
        method: str,
        params: dict,
        status: int,
        response: dict | None,
        *,
        fault: str | None = None,
        effect: dict | None = None,
    ) -> None:
        clean = {k: (f"<{len(v)} bytes>" if isinstance(v, bytes) else v) for k, v in params.items()}
        with self._lock:
            self.calls.append(Call(method, clean, status, response, self._clock(), fault, effect))
            self._changed.notify_all()

    def _fault_answer(self, fault: _Fault) -> tuple[int, dict | None, _Reply | object]:
        """(status recorded, body recorded, what the HTTP handler does) for an injected fault."""
        if fault.kind == "drop":
            return 0, None, _DROP
        if fault.kind == "reset":
            return 0, None, _RESET
        if fault.kind == "timeout":
            hold = self.fault_hold_seconds if fault.hold_seconds is None else float(fault.hold_seconds)
            return 0, None, _Hold(hold)
        if fault.kind == "429":
            body = {"ok": False, "error": "ratelimited"}
            return 429, body, _Reply(429, body, {"Retry-After": str(fault.retry_after)})
        if fault.kind in ("500", "503"):
            body = {"ok": False, "error": "internal_error" if fault.kind == "500" else "service_unavailable"}
            return int(fault.kind), body, _Reply(int(fault.kind), body)
        body = {"ok": False, "error": fault.kind}
        return 200, body, _Reply(200, body)

    def _fault_reply(self, method: str, params: dict) -> _Reply | object | None:
        """A before-effect fault for this call, if one is armed (recorded here)."""
        with self._lock:
            fault = self._take_fault(method)
        if fault is None:
            return None
        status, body, reply = self._fault_answer(fault)
        self._record(method, params, status, body, fault=fault.kind)
        return reply

    def _after_effect(self, method: str, params: dict, status: int, response: dict) -> _Reply | object | None:
        """An after-effect fault for a call that just succeeded (recorded here with what Slack did)."""
        with self._lock:
            fault = self._take_fault(method, after_effect=True)
        if fault is None:
            return None
        fault_status, body, reply = self._fault_answer(fault)
        self._record(method, params, fault_status, body, fault=fault.kind, effect=response)
        return reply

    def _delay(self, method: str) -> None:
        start = time.monotonic()
        with self._changed:  # Condition.wait releases the lock: concurrent calls overlap
            while not self._stopping.is_set():
                delay = self._latency.get(method, self._latency.get("*", 0.0))
                remaining = start + delay - time.monotonic()
                if remaining <= 0:
                    return
                self._changed.wait(remaining)

    def _enter(self, method: str) -> None:
        with self._lock:
            self._in_flight[method] = self._in_flight.get(method, 0) + 1
            self._changed.notify_all()

    def _leave(self, method: str) -> None:
        with self._lock:
            self._in_flight[method] -= 1
            if not self._in_flight[method]:
                del self._in_flight[method]
            self._changed.notify_all()

    def _auth_error(self, method: str, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        if method == "apps.connections.open":
            return (
                None
                if token == self.app_token
                else "not_allowed_token_type"
                if token == self.bot_token
                else ("invalid_auth")
            )
        if token == self.app_token:
            return "not_allowed_token_type"
        return None if token == self.bot_token else "invalid_auth"

    def handle_api(self, method: str, headers: Any, query: str, body: bytes) -> _Reply | object:
        """Answer one Web API call (the HTTP handler calls this)."""
        self._enter(method)
        try:
            return self._handle_api(method, headers, query, body)
        finally:
            self._leave(method)

    def _handle_api(self, method: str, headers: Any, query: str, body: bytes) -> _Reply | object:
        try:
            params = _parse_params(headers.get("Content-Type", ""), query, body)
        except _ApiError as e:
            params, parse_error = {}, e
        else:
            parse_error = None
        auth = headers.get("Authorization", "") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else params.get("token")
        params.pop("token", None)

        self._delay(method)
        fault = self._fault_reply(method, params)
        if fault is not None:
            return fault

        handler = self._methods.get(method)
        status, extra_headers = 200, {}
        auth_error = self._auth_error(method, token) if handler is not None else None
        if handler is None:
            response: dict = {"ok": False, "error": "unknown_method"}
        elif auth_error:
            response = {"ok": False, "error": auth_error}
        elif parse_error is not None:
            response = _error_body(parse_error)
        else:
            with self._lock:
                self._materialize_shares()
                wait = self._rate_wait(method, params)
                if wait > 0:
                    status = 429
                    extra_headers = {"Retry-After": retry_after_header(wait)}
                    response = {"ok": False, "error": "ratelimited"}
                else:
                    try:
                        response = {"ok": True, **handler(params)}
                    except _ApiError as e:
                        response = _error_body(e)
                        self.limits.refund(method, self._rate_key(method, params))
        if response.get("ok"):
            after = self._after_effect(method, params, status, response)
            if after is not None:
                return after
        self._record(method, params, status, response)
        return _Reply(status, response, extra_headers)

    def handle_upload(self, file_id: str, headers: Any, body: bytes) -> _Reply | object:
        self._enter(UPLOAD_METHOD)
        try:
            return self._handle_upload(file_id, headers, body)
        finally:
            self._leave(UPLOAD_METHOD)

    def _handle_upload(self, file_id: str, headers: Any, body: bytes) -> _Reply | object:
        params = {"file_id": file_id, "length": len(body)}
        self._delay(UPLOAD_METHOD)
        fault = self._fault_reply(UPLOAD_METHOD, params)
        if fault is not None:
            return fault
        data = body
        ctype = headers.get("Content-Type", "") or ""
        if ctype.lower().startswith("multipart/form-data"):
            parts = _parse_multipart(ctype, body)
            chosen = next((p for p in parts if p[1] is not None), None) or next(
                (p for p in parts if p[0] == "file"), None
            )
            data = chosen[2] if chosen else b""
        with self._lock:
            record = self._files.get(file_id)
            if record is None:
                reply = _Reply(404, "file not found")
            else:
                record["data"] = data
                reply = _Reply(200, f"OK - {len(data)}")
        params = {"file_id": file_id, "length": len(data)}
        if reply.status == 200:
            after = self._after_effect(UPLOAD_METHOD, params, 200, {"ok": True, "length": len(data)})
            if after is not None:
                return after
        self._record(UPLOAD_METHOD, params, reply.status, None)
        return reply

    def handle_response_url(self, path: str, headers: Any, body: bytes) -> _Reply:
        try:
            payload = _parse_params(headers.get("Content-Type", "application/json"), "", body)
        except _ApiError:
            payload = {"raw": body.decode("utf-8", "replace")}
        with self._lock:
            self.responses.append({"path": path, **payload})
            self._changed.notify_all()
        return _Reply(200, "ok")

    def handle_control(self, verb: str, name: str, body: bytes) -> _Reply:
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return _Reply(400, {"ok": False, "error": "invalid_json"})
        if not isinstance(data, dict):
            return _Reply(400, {"ok": False, "error": "invalid_json"})
        try:
            if verb == "GET" and name == "messages":
                return _Reply(200, {"ok": True, "messages": [m.to_dict() for m in self.all_messages()]})
            if verb == "GET" and name == "ephemerals":
                return _Reply(200, {"ok": True, "messages": [m.to_dict() for m in self.ephemerals()]})
            if verb == "GET" and name == "calls":
                with self._lock:
                    calls = [c.__dict__ for c in self.calls]
                return _Reply(200, {"ok": True, "calls": calls})
            if verb == "GET" and name == "responses":
                with self._lock:
                    return _Reply(200, {"ok": True, "responses": list(self.responses)})
            if verb == "POST" and name == "faults":
                if data.get("clear"):
                    self.clear_faults()
                else:
                    self.inject(
                        data["method"],
                        data["kind"],
                        int(data.get("times", 1)),
                        int(data.get("retry_after", 1)),
                        after_effect=bool(data.get("after_effect", False)),
                        hold_seconds=data.get("hold_seconds"),
                    )
                return _Reply(200, {"ok": True})
            if verb == "POST" and name == "tiers":
                key = data["key"]
                self.set_tier_budget(int(key) if str(key).isdigit() else str(key), data.get("per_minute"))
                return _Reply(200, {"ok": True})
            if verb == "GET" and name == "limits":
                with self._lock:
                    return _Reply(200, {"ok": True, **self.limits.describe()})
            if verb == "POST" and name == "flush_shares":
                return _Reply(200, {"ok": True, "shared": [m.to_dict() for m in self.flush_shares()]})
            if verb == "POST" and name == "rate_limit":
                self.set_rate_limit(
                    data.get("per_channel_per_sec"), data.get("workspace_per_sec"), burst=data.get("burst")
                )
                return _Reply(200, {"ok": True})
            if verb == "POST" and name == "users":
                return _Reply(200, {"ok": True, "user": self.add_user(**data)})
            if verb == "POST" and name == "channels":
                return _Reply(200, {"ok": True, "channel": self.add_channel(**data)})
            if verb == "POST" and name == "reset":
                self.reset_calls()
                return _Reply(200, {"ok": True})
        except (KeyError, TypeError, ValueError) as e:
            return _Reply(400, {"ok": False, "error": "invalid_arguments", "detail": str(e)})
        return _Reply(404, {"ok": False, "error": "unknown_control"})

    # ------------------------------------------------------------------ internals

    def _name_of(self, user_id: str) -> str | None:
        user = self._users.get(user_id)
        return user["name"] if user else None

    def _next_ts(self) -> str:
        us = max(int(self._clock() * 1_000_000), self._last_ts_us + 1)
        self._last_ts_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:08d}"

    def _user_or_error(self, user_id: Any, error: str = "user_not_found") -> dict:
        user = self._users.get(str(user_id or ""))
        if user is None:
            raise _ApiError(error)
        return user

    def _channel_or_error(self, channel_id: Any) -> dict:
        channel = self._channels.get(str(channel_id or ""))
        if channel is None:
            raise _ApiError("channel_not_found")
        return channel

    def _open_dm(self, user_id: str) -> dict:
        for ch in self._channels.values():
            if ch["is_im"] and ch.get("user") == user_id:
                return ch
        channel_id = f"D{user_id}"
        self.add_channel(channel_id, user_id, members=[user_id], is_private=True)
        ch = self._channels[channel_id]
        ch["user"] = user_id
        return ch

    def _postable_channel(self, target: Any) -> dict:
        """Resolve a chat.* target: C/G/D id (exists, unarchived, bot member) or U/W id (opens a DM)."""
        target = str(target or "")
        if not target:
            raise _ApiError("channel_not_found")
        if target[0] in "UW":
            user = self._user_or_error(target)
            if user["deleted"]:
                raise _ApiError("account_inactive")
            if user["is_bot"]:
                raise _ApiError("cannot_dm_bot")
            return self._open_dm(target)
        channel = self._channel_or_error(target)
        if channel["is_archived"]:
            raise _ApiError("is_archived")
        if self.bot_user_id not in channel["members"]:
            raise _ApiError("not_in_channel")
        return channel

    def _find_message(self, channel_id: str, ts: Any) -> SimMessage:
        for msg in self._messages.get(channel_id, ()):
            if msg.ts == str(ts or ""):
                return msg
        raise _ApiError("message_not_found")

    def _check_metadata(self, metadata: Any) -> dict | None:
        if metadata in (None, "", {}):
            return None
        if (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not _METADATA_EVENT_TYPE.match(metadata["event_type"])
            or not isinstance(metadata.get("event_payload", {}), dict)
        ):
            raise _ApiError("invalid_metadata_format")
        return {"event_type": metadata["event_type"], "event_payload": metadata.get("event_payload", {})}

    def _thread_root(self, channel_id: str, thread_ts: Any) -> str | None:
        if not thread_ts:
            return None
        for msg in self._messages.get(channel_id, ()):
            if msg.ts == str(thread_ts):
                return msg.thread_ts or msg.ts
        raise _ApiError("invalid_thread_ts")

    def _api_message(self, msg: SimMessage, *, include_metadata: bool = True) -> dict:
        out: dict[str, Any] = {"type": "message", "ts": msg.ts, "user": msg.user, "text": msg.text}
        user = self._users.get(msg.user)
        out["team"] = user["team_id"] if user else self.team_id
        if msg.bot_id:
            out.update(bot_id=msg.bot_id, app_id=self.app_id)
        if msg.blocks:
            out["blocks"] = msg.blocks
        if msg.files:
            out["files"] = msg.files
        if msg.thread_ts:
            out["thread_ts"] = msg.thread_ts
            if msg.is_reply:
                parent = next((m for m in self._messages.get(msg.channel, ()) if m.ts == msg.thread_ts), None)
                out["parent_user_id"] = parent.user if parent else None
                if msg.reply_broadcast:
                    out["subtype"] = "thread_broadcast"
            else:
                replies = [m for m in self._messages.get(msg.channel, ()) if m.is_reply and m.thread_ts == msg.ts]
                out["reply_count"] = len(replies)
                out["reply_users"] = list(dict.fromkeys(m.user for m in replies))
                out["latest_reply"] = replies[-1].ts if replies else msg.ts
        if msg.edited:
            out["edited"] = {"user": msg.user, "ts": msg.ts}
        if msg.reactions:
            out["reactions"] = [{"name": k, "users": list(v), "count": len(v)} for k, v in msg.reactions.items()]
        if msg.pinned:
            out["pinned_to"] = [msg.channel]
        if include_metadata and msg.metadata:
            out["metadata"] = msg.metadata
        return out

    def _store(self, msg: SimMessage) -> SimMessage:
        if msg.thread_ts:
            for parent in self._messages[msg.channel]:
                if parent.ts == msg.thread_ts and parent.thread_ts is None:
                    parent.thread_ts = parent.ts  # a parent carries its own ts as thread_ts once replied to
        self._messages[msg.channel].append(msg)
        return msg

    def _public_channel(self, ch: dict, include_num_members: bool = False) -> dict:
        out = {k: v for k, v in ch.items() if k != "members"}
        out["is_member"] = self.bot_user_id in ch["members"]
        if include_num_members:
            out["num_members"] = len(ch["members"])
        return _copy(out)

    def _public_user(self, user: dict, include_locale: bool = False) -> dict:
        hidden = ("presence",) if include_locale else ("presence", "locale")
        return _copy({k: v for k, v in user.items() if k not in hidden})

    def user_object(self, user_id: str) -> dict:
        """The user as ``users.info`` (with ``include_locale``) shows it: for ``user_change``/``team_join``."""
        with self._lock:
            return self._public_user(self._users[user_id], include_locale=True)

    @staticmethod
    def _trigger_user_part(trigger_id: Any) -> str | None:
        parts = str(trigger_id or "").split(".")
        return parts[1] if len(parts) == 3 and parts[1][:1] in ("U", "W") else None

    def _trigger_user(self, trigger_id: Any) -> str | None:
        """The user a trigger belongs to; ``expired_trigger_id`` once it is older than ``trigger_ttl``.

        Ids minted or registered here carry their exact instant. Others that look like
        "<unix>.<USERID>.<hex>" (slack_requests) carry whole seconds: they count as expired only when
        certainly older than the ttl (so a fresh click never fails for the rounding)."""
        trigger_id = str(trigger_id or "")
        known = self._triggers.get(trigger_id)
        if known is not None:
            issued, user = known
            if self.trigger_ttl is not None and self._clock() - issued > self.trigger_ttl:
                raise _ApiError("expired_trigger_id")
            return user or self._trigger_user_part(trigger_id)
        user = self._trigger_user_part(trigger_id)
        if user is not None:
            stamp = trigger_id.split(".")[0]
            if self.trigger_ttl is not None and stamp.isdigit():
                if self._clock() - (int(stamp) + 1) > self.trigger_ttl:
                    raise _ApiError("expired_trigger_id")
        return user

    # ------------------------------------------------------------------ methods: auth / team

    def _auth_test(self, p: dict) -> dict:
        bot = self._users[self.bot_user_id]
        return {
            "url": f"{PERMALINK_HOST}/",
            "team": self.team_name,
            "user": bot["name"],
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _team_info(self, p: dict) -> dict:
        team = self._teams.get(str(p.get("team") or self.team_id))
        if team is None:
            raise _ApiError("team_not_found")
        return {"team": dict(team)}

    # ------------------------------------------------------------------ methods: chat

    def _chat_post_message(self, p: dict) -> dict:
        channel = self._postable_channel(p.get("channel"))
        problem = validate_message(p.get("text"), p.get("blocks"), p.get("attachments"))
        if problem:
            raise problem
        metadata = self._check_metadata(p.get("metadata"))
        thread_ts = self._thread_root(channel["id"], p.get("thread_ts"))
        msg = SimMessage(
            channel=channel["id"],
            ts=self._next_ts(),
            user=self.bot_user_id,
            text=str(p.get("text") or ""),
            blocks=p.get("blocks") or None,
            thread_ts=thread_ts,
            metadata=metadata,
            reply_broadcast=bool(thread_ts) and _flag(p.get("reply_broadcast")),
            unfurl_links=_flag(p["unfurl_links"]) if "unfurl_links" in p else None,
            bot_id=self.bot_id,
            names=self._name_of,
        )
        self._store(msg)
        return {"channel": msg.channel, "ts": msg.ts, "message": self._api_message(msg)}

    def _chat_update(self, p: dict) -> dict:
        channel = self._channel_or_error(p.get("channel"))
        msg = self._find_message(channel["id"], p.get("ts"))
        if msg.user != self.bot_user_id:
            raise _ApiError("cant_update_message")
        text = p.get("text") if "text" in p else msg.text
        blocks = p.get("blocks") if "blocks" in p else msg.blocks
        if "text" not in p and "blocks" not in p and "attachments" not in p and "metadata" not in p:
            raise _ApiError("no_text")
        problem = validate_message(text, blocks or None, p.get("attachments"))
        if problem:
            raise problem
        if "metadata" in p:
            msg.metadata = self._check_metadata(p.get("metadata"))
        msg.text, msg.blocks, msg.edited = str(text or ""), (blocks or None), True
        return {"channel": msg.channel, "ts": msg.ts, "text": msg.text, "message": self._api_message(msg)}

    def _chat_delete(self, p: dict) -> dict:
        channel = self._channel_or_error(p.get("channel"))
        msg = self._find_message(channel["id"], p.get("ts"))
        if msg.user != self.bot_user_id:
            raise _ApiError("cant_delete_message")
        self._messages[channel["id"]].remove(msg)
        return {"channel": msg.channel, "ts": msg.ts}

    def _chat_post_ephemeral(self, p: dict) -> dict:
        channel = self._postable_channel(p.get("channel"))
        user = self._user_or_error(p.get("user"))
        if user["id"] not in channel["members"]:
            raise _ApiError("user_not_in_channel")
        problem = validate_message(p.get("text"), p.get("blocks"), p.get("attachments"))
        if problem:
            raise problem
        msg = SimMessage(
            channel=channel["id"],
            ts=self._next_ts(),
            user=self.bot_user_id,
            text=str(p.get("text") or ""),
            blocks=p.get("blocks") or None,
            thread_ts=str(p["thread_ts"]) if p.get("thread_ts") else None,
            ephemeral_for=user["id"],
            bot_id=self.bot_id,
            names=self._name_of,
        )
        self._ephemerals.append(msg)
        return {"message_ts": msg.ts}

    def _chat_get_permalink(self, p: dict) -> dict:
        channel = self._channel_or_error(p.get("channel"))
        msg = self._find_message(channel["id"], p.get("message_ts"))
        link = f"{PERMALINK_HOST}/archives/{channel['id']}/p{msg.ts.replace('.', '')}"
        if msg.is_reply:
            link += f"?thread_ts={msg.thread_ts}&cid={channel['id']}"
        return {"channel": channel["id"], "permalink": link}

    # ------------------------------------------------------------------ methods: conversations

    def _conversations_members(self, p: dict) -> dict:
        channel = self._channel_or_error(p.get("channel"))
        page, meta = _paginate(list(channel["members"]), p)
        return {"members": page, "response_metadata": meta}

    def _conversations_info(self, p: dict) -> dict:
        channel = self._channel_or_error(p.get("channel"))
        return {"channel": self._public_channel(channel, _flag(p.get("include_num_members")))}

    def _conversations_list(self, p: dict) -> dict:
        wanted = set(_split_ids(p.get("types") or "public_channel"))
        exclude_archived = _flag(p.get("exclude_archived"))
        chosen = []
        for ch in self._channels.values():
            kind = (
                "im"
                if ch["is_im"]
                else "mpim"
                if ch["is_mpim"]
                else "private_channel"
                if ch["is_private"]
                else "public_channel"
            )
            if kind in wanted and not (exclude_archived and ch["is_archived"]):
                chosen.append(self._public_channel(ch))
        page, meta = _paginate(chosen, p)
        return {"channels": page, "response_metadata": meta}

    def _conversations_open(self, p: dict) -> dict:
        if p.get("channel"):
            channel = self._channel_or_error(p.get("channel"))
            return {"channel": {"id": channel["id"]}, "already_open": True}
        users = _split_ids(p.get("users"))
        if not users:
            raise _ApiError("users_list_not_supplied")
        for uid in users:
            user = self._user_or_error(uid)
            if user["deleted"]:
                raise _ApiError("user_disabled")
        if len(users) == 1:
            existed = self.dm_channel_id(users[0]) is not None
            channel = self._open_dm(users[0])
        else:
            existed = False
            channel_id = self._next_id("GMP")
            self.add_channel(channel_id, "mpdm-" + "--".join(users), members=users, is_private=True)
            channel = self._channels[channel_id]
            channel.update(is_mpim=True, is_group=False)
        body = {"channel": self._public_channel(channel) if _flag(p.get("return_im")) else {"id": channel["id"]}}
        if existed:
            body["already_open"] = True
        return body

    def _conversations_join(self, p: dict) -> dict:
        channel = self._channel_or_error(p.get("channel"))
        if channel["is_archived"]:
            raise _ApiError("is_archived")
        if channel["is_private"] or channel["is_im"]:
            raise _ApiError("method_not_supported_for_channel_type")
        body: dict[str, Any] = {}
        if self.bot_user_id in channel["members"]:
            body["warning"] = "already_in_channel"
        else:
            channel["members"].append(self.bot_user_id)
        body["channel"] = self._public_channel(channel)
        return body

    def _readable_channel(self, channel_id: Any) -> dict:
        channel = self._channel_or_error(channel_id)
        if self.bot_user_id not in channel["members"]:
            raise _ApiError("not_in_channel")
        return channel

    @staticmethod
    def _in_window(msg: SimMessage, p: dict) -> bool:
        inclusive = _flag(p.get("inclusive"))
        key = _ts_key(msg.ts)
        if p.get("oldest"):
            lo = _ts_key(p["oldest"])
            if key < lo or (key == lo and not inclusive):
                return False
        if p.get("latest"):
            hi = _ts_key(p["latest"])
            if key > hi or (key == hi and not inclusive):
                return False
        return True

    def _conversations_history(self, p: dict) -> dict:
        channel = self._readable_channel(p.get("channel"))
        meta = _flag(p.get("include_all_metadata"))
        top = [
            m for m in self._messages[channel["id"]] if (not m.is_reply or m.reply_broadcast) and self._in_window(m, p)
        ]
        top.sort(key=lambda m: _ts_key(m.ts), reverse=True)
        most = HISTORY_LIMIT_RESULTS if self.limits.history_limit else 999
        page, rmeta = _paginate(top, p, default_limit=min(100, most), max_limit=most)
        return {
            "messages": [self._api_message(m, include_metadata=meta) for m in page],
            "has_more": bool(rmeta["next_cursor"]),
            "response_metadata": rmeta,
        }

    def _conversations_replies(self, p: dict) -> dict:
        channel = self._readable_channel(p.get("channel"))
        ts = str(p.get("ts") or "")
        root = next((m for m in self._messages[channel["id"]] if m.ts == ts), None)
        if root is None:
            raise _ApiError("thread_not_found")
        root_ts = root.thread_ts or root.ts
        meta = _flag(p.get("include_all_metadata"))
        thread = [m for m in self._messages[channel["id"]] if m.ts == root_ts or m.thread_ts == root_ts]
        thread.sort(key=lambda m: _ts_key(m.ts))
        thread = [m for m in thread if m.ts == root_ts or self._in_window(m, p)]
        most = HISTORY_LIMIT_RESULTS if self.limits.history_limit else 1000
        page, rmeta = _paginate(thread, p, default_limit=most, max_limit=most)
        return {
            "messages": [self._api_message(m, include_metadata=meta) for m in page],
            "has_more": bool(rmeta["next_cursor"]),
            "response_metadata": rmeta,
        }

    # ------------------------------------------------------------------ methods: users

    def _users_info(self, p: dict) -> dict:
        return {"user": self._public_user(self._user_or_error(p.get("user")), _flag(p.get("include_locale")))}

    def _users_list(self, p: dict) -> dict:
        page, meta = _paginate([self._public_user(u) for u in self._users.values()], p, default_limit=200)
        return {"members": page, "response_metadata": meta}

    def _users_lookup_by_email(self, p: dict) -> dict:
        email_addr = str(p.get("email") or "").strip().lower()
        for user in self._users.values():
            if email_addr and (user["profile"].get("email") or "").lower() == email_addr:
                return {"user": self._public_user(user)}
        raise _ApiError("users_not_found")

    def _users_get_presence(self, p: dict) -> dict:
        user = self._user_or_error(p.get("user") or self.bot_user_id)
        away = user["presence"] != "active"
        return {"presence": user["presence"], "online": not away, "auto_away": away, "manual_away": False}

    def _users_profile_get(self, p: dict) -> dict:
        user = self._user_or_error(p.get("user") or self.bot_user_id)
        return {"profile": _copy(user["profile"])}

    # ------------------------------------------------------------------ methods: views

    def _make_view(self, view: dict, *, user_id: str | None, root: dict | None = None) -> dict:
        view_id = self._next_id("V")
        record = {
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "type": view["type"],
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "state": {"values": {}},
            "hash": f"{int(self._clock())}.{self._counter:08d}",
            "root_view_id": root["id"] if root else view_id,
            "previous_view_id": root["id"] if root else None,
            "user_id": user_id,
        }
        self._views[view_id] = record
        if user_id:
            self._user_views.setdefault(user_id, []).append(record)
        return record

    def _public_view(self, record: dict) -> dict:
        return _copy({k: v for k, v in record.items() if k != "user_id"})

    def _views_open(self, p: dict) -> dict:
        if not p.get("trigger_id"):
            raise _ApiError("invalid_trigger_id")
        user_id = self._trigger_user(p.get("trigger_id"))
        problem = validate_view(p.get("view"))
        if problem:
            raise problem
        if p["view"]["type"] != "modal":
            raise _ApiError("invalid_arguments", "views.open takes a modal")
        return {"view": self._public_view(self._make_view(p["view"], user_id=user_id))}

    def _views_push(self, p: dict) -> dict:
        if not p.get("trigger_id"):
            raise _ApiError("invalid_trigger_id")
        user_id = self._trigger_user(p.get("trigger_id"))
        problem = validate_view(p.get("view"))
        if problem:
            raise problem
        current = None
        if user_id:
            modals = [v for v in self._user_views.get(user_id, []) if v["type"] == "modal"]
            current = modals[-1] if modals else None
            depth = sum(1 for v in modals if current and v["root_view_id"] == current["root_view_id"])
            if depth >= 3:
                raise _ApiError("push_limit_reached")
        return {"view": self._public_view(self._make_view(p["view"], user_id=user_id, root=current))}

    def _views_update(self, p: dict) -> dict:
        record = None
        if p.get("view_id"):
            record = self._views.get(str(p["view_id"]))
        elif p.get("external_id"):
            record = next((v for v in self._views.values() if v["external_id"] == p["external_id"]), None)
        if record is None:
            raise _ApiError("not_found")
        if p.get("hash") and p["hash"] != record["hash"]:
            raise _ApiError("hash_conflict")
        problem = validate_view(p.get("view"))
        if problem:
            raise problem
        view = p["view"]
        for key in ("title", "submit", "close", "blocks", "private_metadata", "callback_id", "external_id"):
            if key in view:
                record[key] = view[key]
        self._counter += 1
        record["hash"] = f"{int(self._clock())}.{self._counter:08d}"
        if record["user_id"]:
            views = self._user_views.setdefault(record["user_id"], [])
            if record in views:
                views.remove(record)
            views.append(record)
        return {"view": self._public_view(record)}

    def _views_publish(self, p: dict) -> dict:
        user = self._user_or_error(p.get("user_id"))
        problem = validate_view(p.get("view"))
        if problem:
            raise problem
        if p["view"]["type"] != "home":
            raise _ApiError("invalid_arguments", "views.publish takes a home view")
        homes = [v for v in self._user_views.get(user["id"], []) if v["type"] == "home"]
        if p.get("hash") and homes and p["hash"] != homes[-1]["hash"]:
            raise _ApiError("hash_conflict")
        return {"view": self._public_view(self._make_view(p["view"], user_id=user["id"]))}

    # ------------------------------------------------------------------ methods: pins / reactions

    def _target_message(self, p: dict) -> SimMessage:
        channel = self._readable_channel(p.get("channel"))
        return self._find_message(channel["id"], p.get("timestamp"))

    def _pins_add(self, p: dict) -> dict:
        msg = self._target_message(p)
        if msg.pinned:
            raise _ApiError("already_pinned")
        msg.pinned = True
        return {}

    def _pins_remove(self, p: dict) -> dict:
        msg = self._target_message(p)
        if not msg.pinned:
            raise _ApiError("no_pin")
        msg.pinned = False
        return {}

    def _reaction_name(self, p: dict) -> str:
        name = str(p.get("name") or "")
        if not _REACTION_NAME.match(name):
            raise _ApiError("invalid_name")
        return name

    def _reactions_add(self, p: dict) -> dict:
        msg = self._target_message(p)
        name = self._reaction_name(p)
        users = msg.reactions.setdefault(name, [])
        if self.bot_user_id in users:
            raise _ApiError("already_reacted")
        users.append(self.bot_user_id)
        return {}

    def _reactions_remove(self, p: dict) -> dict:
        msg = self._target_message(p)
        name = self._reaction_name(p)
        users = msg.reactions.get(name, [])
        if self.bot_user_id not in users:
            raise _ApiError("no_reaction")
        users.remove(self.bot_user_id)
        if not users:
            del msg.reactions[name]
        return {}

    # ------------------------------------------------------------------ methods: files

    def _files_get_upload_url(self, p: dict) -> dict:
        filename = str(p.get("filename") or "")
        length = _int(p.get("length"), -1)
        if not filename or length < 0:
            raise _ApiError("invalid_arguments", "filename and length are required")
        file_id = self._next_id("F")
        self._files[file_id] = {
            "id": file_id,
            "name": filename,
            "title": filename,
            "length": length,
            "alt_txt": p.get("alt_txt"),
            "snippet_type": p.get("snippet_type"),
            "data": None,
        }
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, p: dict) -> dict:
        files = p.get("files")
        if not isinstance(files, list) or not files:
            raise _ApiError("invalid_arguments", "files must be a non-empty JSON array")
        records = []
        for item in files:
            record = self._files.get(str(item.get("id") if isinstance(item, dict) else ""))
            if record is None or record["data"] is None:
                raise _ApiError("file_not_found")
            records.append((record, item))
        target = p.get("channel_id") or (_split_ids(p.get("channels")) or [None])[0]
        channel = self._postable_channel(target) if target else None
        comment = str(p.get("initial_comment") or "")
        if len(comment) > MAX_TEXT:
            raise _ApiError("msg_too_long")
        thread_ts = self._thread_root(channel["id"], p.get("thread_ts")) if channel else None
        shown = []
        file_root = f"{PERMALINK_HOST}/files/{self.bot_user_id}"
        for record, item in records:
            record["completed"] = True
            if item.get("title"):
                record["title"] = item["title"]
            shown.append(
                {
                    "id": record["id"],
                    "name": record["name"],
                    "title": record["title"],
                    "size": len(record["data"]),
                    "url_private": f"{file_root}/{record['id']}/{record['name']}",
                    "permalink": f"{file_root}/{record['id']}",
                }
            )
        if channel is not None:
            msg = SimMessage(
                channel=channel["id"],
                ts="",
                user=self.bot_user_id,
                text=comment,
                thread_ts=thread_ts,
                files=shown,
                bot_id=self.bot_id,
                names=self._name_of,
            )
            delay = self.share_delay or 0.0
            self._pending_shares.append((self._clock() + delay, msg, [f["id"] for f in shown]))
            if delay <= 0:
                self._materialize_shares()
            elif self._server is not None:  # real time passing also shares it (a fake clock needs flush_shares)
                timer = threading.Timer(delay, self._share_timer_fired)
                timer.daemon = True
                self._timers = [t for t in self._timers if t.is_alive()] + [timer]
                timer.start()
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shown]}

    def _files_info(self, p: dict) -> dict:
        # A file whose upload was never completed is unknown to Slack's readers.
        record = self._files.get(str(p.get("file") or ""))
        if record is None or not record.get("completed"):
            raise _ApiError("file_not_found")
        return {"file": {"id": record["id"], "name": record["name"], "title": record["title"],
                         "size": len(record["data"] or b"")}}

    # ------------------------------------------------------------------ methods: apps

    def _apps_connections_open(self, p: dict) -> dict:
        return {"url": self.socket.new_url(self.host, self.port)}


def _copy(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


def _opt_in(value: bool | None, variable: str) -> bool:
    """An opt-in rule: the argument when given, else the environment (so a whole test run can opt in)."""
    if value is not None:
        return bool(value)
    return os.environ.get(variable, "").strip().lower() in ("1", "true", "yes", "on")


def _tz_offset(tz: str) -> tuple[int, str]:
    """(seconds east of UTC now, zone label) for an IANA zone name, as users.info reports them."""
    try:
        now = datetime.now(UTC).astimezone(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return 0, tz
    offset = now.utcoffset()
    return (int(offset.total_seconds()) if offset else 0), (now.tzname() or tz)


def _error_body(e: _ApiError) -> dict:
    body: dict[str, Any] = {"ok": False, "error": e.code}
    if e.detail:
        body["errors"] = [e.detail]
        body["response_metadata"] = {"messages": [f"[ERROR] {e.detail}"]}
    return body


# --------------------------------------------------------------------------- HTTP plumbing


class _Handler(BaseHTTPRequestHandler):
    server_version = "SlackSim/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "sim", None) is not None and self.server.sim.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, reply: _Reply | object) -> None:
        if isinstance(reply, _Hold):  # a call that "times out": hold the line, then hang up unanswered
            self.server.sim._stopping.wait(reply.seconds)  # type: ignore[attr-defined]
            reply = _DROP
        if reply is _RESET:
            self.close_connection = True
            try:  # SO_LINGER 0 then close: the kernel answers with RST instead of FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            except OSError:
                pass
            return
        if reply is _DROP or not isinstance(reply, _Reply):
            self.close_connection = True  # finish() then closes the socket: no HTTP answer at all
            return
        if isinstance(reply.body, dict):
            payload = json.dumps(reply.body, default=str).encode()
            ctype = "application/json; charset=utf-8"
        else:
            payload = str(reply.body).encode()
            ctype = "text/plain; charset=utf-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _dispatch(self, verb: str) -> None:
        sim: SlackSimulator = self.server.sim  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/link") and verb == "GET" and "websocket" in (self.headers.get("Upgrade") or "").lower():
            self._websocket(sim, parts.query)
            return
        body = self._read_body()
        if path.startswith("/api/"):
            reply = sim.handle_api(path[len("/api/") :], self.headers, parts.query, body)
        elif path.startswith("/upload/") and verb == "POST":
            reply = sim.handle_upload(path[len("/upload/") :], self.headers, body)
        elif path.startswith("/response/") and verb == "POST":
            reply = sim.handle_response_url(path, self.headers, body)
        elif path.startswith("/_sim/"):
            reply = sim.handle_control(verb, path[len("/_sim/") :].strip("/"), body)
        else:
            reply = _Reply(404, {"ok": False, "error": "not_found"})
        self._send(reply)

    def _websocket(self, sim: SlackSimulator, query: str) -> None:
        """Socket Mode: a ticket from apps.connections.open upgrades this connection to a WebSocket."""
        ticket = (parse_qs(query).get("ticket") or [""])[0]
        key = self.headers.get("Sec-WebSocket-Key") or ""
        if not key or not sim.socket.take_ticket(ticket):
            self._send(_Reply(401, {"ok": False, "error": "invalid_ticket"}))
            self.close_connection = True
            return
        self.close_connection = True
        sim.socket.serve(self.connection, self.rfile, key, ticket)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")


# --------------------------------------------------------------------------- standalone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.devkit.simulator", description="Run the Slack API simulator.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--team-id", default="T0VENDOR")
    parser.add_argument("--bot-user-id", default="UBOT")
    parser.add_argument("--bot-token", default="xoxb-sim-token")
    parser.add_argument("--user", action="append", default=[], metavar="ID:NAME[:EMAIL]")
    parser.add_argument("--channel", action="append", default=[], metavar="ID:NAME[:MEMBER,MEMBER]")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)

    sim = SlackSimulator(
        args.team_id, args.bot_user_id, args.bot_token, host=args.host, port=args.port, verbose=args.verbose
    )
    for spec in args.user:
        uid, name, *rest = spec.split(":")
        sim.add_user(uid, name, email=rest[0] if rest else None)
    for spec in args.channel:
        cid, name, *rest = spec.split(":")
        sim.add_channel(cid, name, members=_split_ids(rest[0]) if rest else ())
    sim.start()
    print(f"Slack simulator listening: {sim.url}  (token {sim.bot_token})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
