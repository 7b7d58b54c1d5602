"""Property-based fuzzing of every Slack door, against the real app over signed HTTP.

Hypothesis builds signed slash commands, block actions, view submissions, message shortcuts, events and
raw bodies — valid ones mixed with mutated ones (fields deleted, wrong types, garbage, huge strings, any
Unicode, unknown ids, other channels and teams, retried event ids) — and checks after each example that:

- no request is answered 5xx, and no response (HTTP body or response_url message) shows a traceback or
  internal exception text;
- the data invariants hold: one issue per source message, one current answer per person per day, no
  outbox row posted twice (each dedupe key at most once in what reached Slack), every issue routed, no
  outbox row for a method that is neither a Slack method nor one of golive's composers;

and at the end of each property that no listener failed (nothing logged at ERROR by golive or Bolt) on a
well-formed request — one shaped as Slack sends it, every field present and of the right type, whatever the
values. Each example draws whether it is well-formed or ill-formed (mutated, garbage-typed); a listener may
refuse an ill-formed one with "something went wrong" (those are listed, not failed), never a well-formed one.

`GOLIVE_FUZZ_EXAMPLES` sets the examples per test (CI default below); the number of requests sent is
printed at the end of each test (`pytest -s`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from bot.core.ids import ActionId, CallbackId
from bot.devkit.slack_requests import FORM, JSON
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from bot.wiring import COMPOSERS
from storage.models import CheckIn, CheckInAnswer, Issue, OutboxMessage, OutboxStatus, ProcessedEvent
from tests.conftest import CUSTOMER_TEAM, SECRET, VENDOR

EXAMPLES = int(os.environ.get("GOLIVE_FUZZ_EXAMPLES", "40"))
# CI runs a fixed sequence without shrinking (fast, repeatable); GOLIVE_FUZZ_RANDOM=1 explores new inputs
# and GOLIVE_FUZZ_SHRINK=1 shrinks a failure to its smallest form.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target] + \
    ([Phase.shrink] if os.environ.get("GOLIVE_FUZZ_SHRINK") else [])
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, phases=PHASES,
                derandomize=not os.environ.get("GOLIVE_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MON = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # go-live Monday, 10:00 in Berlin: check-ins are posted
NOW = MON + timedelta(hours=3)
MESSAGE_SOURCES = ("mention", "🚨 reaction", "message shortcut")  # one issue per source message
# What must never reach a person: a traceback, or the name of an internal exception.
INTERNAL = ("Traceback", 'File "/', "sqlalchemy", "sqlite3.", "psycopg", "IntegrityError", "OperationalError",
            "KeyError", "TypeError", "AttributeError", "IndexError", "ValueError", "OverflowError",
            "Internal Server Error", "slack_bolt.", "pydantic")

USERS = ["U0CSM", "U0CSM2", "U0ADMIN", "U0SUP", "U0CUST1", "U0CUST2", "U0OTHER", "UBOT", "U0NOBODY", "W0ENTERPRISE"]
TEAMS = [VENDOR, CUSTOMER_TEAM, "T0OTHERCO", "T0NOWHERE"]
CHANNELS = ["C0ACME", "C0OTHER", "C0SUP", "C0URG", "C0LEAD", "C0NOTALAUNCH", "D0DIRECT", "G0PRIVATE"]
HOSTILE = ["<!channel>", "<!here>", "<!everyone>", "<@U0CUST2>", "<#C0SUP>", "<!subteam^S0ONCALL>",
           "<https://evil.test|click me>", "&lt;!channel&gt;", "*bold* _it_ ~s~ `code` ```block```", "> quote",
           "'; DROP TABLE issue; --", "\x00", "\u202e\u200b", "🚀" * 10, "é" * 5]



# -- strategies -------------------------------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40))
garbage = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=6)


@st.composite
def huge_text(draw: st.DrawFn) -> str:
    unit = draw(st.sampled_from(["a", "é", "🚀", "<!channel> ", "&", "\n", "ǅ̈", "x" * 7]))
    return unit * draw(st.integers(min_value=1_000, max_value=60_000))


any_text = st.one_of(st.text(max_size=200), st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
                     st.sampled_from(HOSTILE), huge_text(), st.builds(" ".join, st.lists(st.sampled_from(HOSTILE),
                                                                                          max_size=6)))


def pick(valid: list[Any]) -> st.SearchStrategy:
    """One of `valid`, which may grow between examples: drawn as an index, so Hypothesis sees the same
    shape of data each time."""
    return st.integers(min_value=0, max_value=2**16).map(lambda i: valid[i % len(valid)] if valid else "")


def pool(valid: list[Any], *extra: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly valid values (so deep paths are reached), sometimes anything at all."""
    return st.one_of(pick(valid), pick(valid), pick(valid), st.text(max_size=30), garbage, *extra)


def ids(wild: bool, valid: list[Any], *extra: st.SearchStrategy) -> st.SearchStrategy:
    """Where Slack sends a string: for an ill-formed example anything at all (`pool`); for a well-formed one
    a string — mostly a valid id, sometimes any text (an id golive never saw is still well-formed)."""
    if wild:
        return pool(valid, *extra)
    return st.one_of(pick(valid), pick(valid), pick(valid), st.text(max_size=30), *extra)


def ill_formed(data: st.DataObject) -> bool:
    """Whether this example may break Slack's shapes (drawn first: the simplest examples are well-formed)."""
    return data.draw(st.booleans(), label="ill-formed?")


# -- the world the fuzzer plays in ------------------------------------------------------------------


class Ctx:
    """Valid ids the fuzzer can mix in: launches, posted check-ins, issues, cards and user messages."""

    def __init__(self, world):  # noqa: ANN001
        self.world = world
        self.requests = 0
        self.examples = 0
        self.event_ids: list[str] = []
        self.errors: list[logging.LogRecord] = []
        self.unexpected: list[str] = []
        self.well_formed = 0  # well-formed requests sent
        self.failed_on_well_formed: list[str] = []  # what went wrong, and the request it went wrong on
        self.refresh()

    def refresh(self) -> None:
        with self.world.runtime.db.session() as s:
            checkins = s.exec(select(CheckIn)).all()
            issues = s.exec(select(Issue)).all()
            self.checkin_ids = [str(c.id) for c in checkins]
            self.issue_ids = [str(i.id) for i in issues]
            self.card_ts = [i.support_ts for i in issues if i.support_ts]
            self.thread_ts = [i.thread_ts for i in issues if i.thread_ts] + [c.message_ts for c in checkins
                                                                              if c.message_ts]
        self.message_ts = [m.ts for ch in ("C0ACME", "C0OTHER", "C0SUP") for m in self.world.sim.messages(ch)]

    def ts(self, wild: bool = True) -> st.SearchStrategy:
        return ids(wild, self.message_ts + self.card_ts + self.thread_ts, st.just("1.0"), st.just(""))

    def send(self, body: str | bytes, content_type: str, headers: dict[str, str] | None = None, *,
             well_formed: bool = False) -> Any:
        before = len(self.world.sim.responses)
        logged = len(self.errors)
        result = self.world.slack.raw(body.encode() if isinstance(body, str) else body,
                                      {**signed(body, content_type), **(headers or {})})
        self.requests += 1
        if well_formed:
            self.well_formed += 1
            shown = body[:300] if isinstance(body, str) else repr(body[:300])
            self.failed_on_well_formed += [f"{where(r) or r.getMessage()}\n    on: {shown}"
                                           for r in self.errors[logged:]]
        assert result.status < 500, (result.status, result.body_text[:500], body[:500])
        for leak in INTERNAL:
            assert leak not in result.body_text, (leak, result.body_text[:1000])
        for response in self.world.sim.responses[before:]:
            shown = json.dumps(response, ensure_ascii=False)
            for leak in INTERNAL:
                assert leak not in shown, (leak, shown[:1000])
        return result

    def send_form(self, form: dict[str, Any], *, well_formed: bool = False) -> Any:
        return self.send(urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}), FORM,
                         well_formed=well_formed)

    def send_payload(self, payload: Any, *, well_formed: bool = False) -> Any:
        return self.send(urlencode({"payload": json.dumps(payload)}), FORM, well_formed=well_formed)


def signed(body: str | bytes, content_type: str) -> dict[str, str]:
    """Slack's signature over any bytes (slack_sdk's helper only signs UTF-8 text)."""
    raw = body.encode() if isinstance(body, str) else body
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": ts, "Content-Type": content_type}


class _Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]):
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


def add_launch(world, **overrides: Any) -> int:  # noqa: ANN001
    raw = {"customer": "Acme <Corp> & Co", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "urgent_channel": "C0URG", "oncall": "U0SUP", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


@pytest.fixture
def ctx(world):  # noqa: ANN001, ANN201
    """Two launches (one routed to a support channel, one to its CSM by DM), check-ins posted, a few
    issues and customer messages, and an error-log collector."""
    world.clock.set(MON - timedelta(days=7))
    add_launch(world)
    add_launch(world, channel="C0OTHER", customer="Other Co", csm=["U0CSM2"], support_channel=None,
               urgent_channel=None, oncall=None)
    world.tick(MON)
    world.clock.set(NOW)
    for channel, user, team in (("C0ACME", "U0CUST1", CUSTOMER_TEAM), ("C0OTHER", "U0OTHER", "T0OTHERCO")):
        msg = world.sim.post_as_user(channel, user, "<@UBOT> exports time out")
        assert world.slack.app_mention(msg["text"], user_id=user, channel_id=channel, ts=msg["ts"],
                                       user_team=team).status == 200
        world.sim.post_as_user(channel, user, "a message someone may flag with 🚨")
    world.deliver()
    context = Ctx(world)
    RESPONSE_BASE[0] = world.sim.response_url_base
    assert len(context.checkin_ids) == 2 and len(context.issue_ids) == 2 and context.card_ts
    handler = _Collect(context.errors)
    logging.getLogger("golive").addHandler(handler)
    try:
        yield context
    finally:
        logging.getLogger("golive").removeHandler(handler)
        print(f"\nfuzz: {context.examples} examples, {context.requests} signed requests "
              f"({context.well_formed} well-formed); listener failures on ill-typed payloads: "
              f"{context.unexpected or 'none'}")


def check_invariants(ctx: Ctx, *, final: bool = False) -> None:
    world = ctx.world
    world.deliver()
    with world.runtime.db.session() as s:
        doubled_sources = s.exec(
            select(Issue.source_channel, Issue.source_ts, func.count(Issue.id))
            .where(Issue.source.in_(MESSAGE_SOURCES))
            .group_by(Issue.source_channel, Issue.source_ts).having(func.count(Issue.id) > 1)).all()
        doubled_answers = s.exec(
            select(CheckIn.launch_id, CheckIn.local_date, CheckInAnswer.user_id, func.count(CheckInAnswer.id))
            .join(CheckIn, CheckIn.id == CheckInAnswer.check_in_id)
            .group_by(CheckIn.launch_id, CheckIn.local_date, CheckInAnswer.user_id)
            .having(func.count(CheckInAnswer.id) > 1)).all()
        issues = s.exec(select(Issue)).all()
        rows = {r.dedupe_key: r for r in s.exec(select(OutboxMessage)).all()}
    assert doubled_sources == [], f"a source message became more than one issue: {doubled_sources}"
    assert doubled_answers == [], f"more than one current answer for a person and day: {doubled_answers}"
    known = set(COMPOSERS.table) | set(world.sim._methods)  # golive's composers, and Slack's methods
    unknown = sorted({(r.method, r.dedupe_key) for r in rows.values() if r.method not in known})
    assert unknown == [], f"outbox rows for a method nobody can run: {unknown[:5]}"
    posted: dict[str, int] = {}
    for message in world.sim.all_messages():
        key = ((message.metadata or {}).get("event_payload") or {}).get("key")
        if key:
            posted[key] = posted.get(key, 0) + 1
    assert {k: n for k, n in posted.items() if n > 1} == {}, "an outbox row reached Slack more than once"
    for issue in issues:
        routes = [r for k, r in rows.items() if k == f"issue:{issue.id}:card"
                  or k.startswith(f"issue:{issue.id}:nosupport:")]
        assert routes, f"issue {issue.id} ({issue.source}) was never routed to anyone"
        if final:
            assert all(r.status == OutboxStatus.SENT for r in routes), [(r.dedupe_key, r.status, r.last_error)
                                                                        for r in routes]
            for route in routes:
                assert posted.get(route.dedupe_key) == 1 or route.method != "chat.postMessage"


def where(record: logging.LogRecord) -> str | None:
    """`Error: message at file:line in function` for a logged listener failure."""
    if not record.exc_info or record.exc_info[1] is None:
        return record.getMessage()
    error = record.exc_info[1]
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "site-packages" not in f.filename]
    if not frames:
        return None  # Bolt itself choking on a payload Slack never sends (matching, logging): not golive's code
    last = frames[-1]
    return f"{type(error).__name__}: {str(error)[:200]} at {'/'.join(Path(last.filename).parts[-2:])}:" \
           f"{last.lineno} in {last.name}"


def finish(ctx: Ctx) -> None:
    """Let every backoff and tally bucket fall due, deliver, and check the invariants strictly (each request
    was already checked: no 5xx, nothing internal leaked)."""
    ctx.world.clock.advance(minutes=30)
    check_invariants(ctx, final=True)
    failed = sorted({w for r in ctx.errors if r.getMessage().startswith("unexpected error") and (w := where(r))})
    ctx.unexpected = failed  # payloads Slack never sends (a list where it sends a string) may end here


def no_listener_failed_on_well_formed_input(ctx: Ctx) -> bool:
    """The end of a property: it sent well-formed requests, and none of them made a listener fail."""
    assert ctx.well_formed > 0, "no well-formed request was sent: the property checked nothing"
    assert ctx.failed_on_well_formed == [], "a listener failed on a well-formed request:\n" + \
        "\n".join(ctx.failed_on_well_formed[:10])
    return True


def stored_state(world) -> dict[str, int]:  # noqa: ANN001
    """What requests can leave behind: issues, answers, outbox rows, processed events."""
    with world.runtime.db.session() as s:
        return {model.__name__: s.exec(select(func.count()).select_from(model)).one()
                for model in (Issue, CheckInAnswer, OutboxMessage, ProcessedEvent)}


# -- payload builders -------------------------------------------------------------------------------


def user_obj(user: Any, team: Any) -> dict:
    return {"id": user, "username": str(user).lower(), "name": str(user).lower(), "team_id": team}


def block_action_payload(action: dict, *, user: Any, team: Any, channel: Any, ts: Any) -> dict:
    return {
        "type": "block_actions", "user": user_obj(user, team), "api_app_id": "A0GOLIVE", "token": "t",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"{int(time.time())}.{user}.{secrets.token_hex(6)}", "team": {"id": VENDOR, "domain": "v"},
        "enterprise": None, "is_enterprise_install": False, "channel": {"id": channel, "name": "x"},
        "message": {"type": "message", "ts": ts, "user": "UBOT", "text": "", "blocks": []},
        "state": {"values": {}}, "response_url": f"{RESPONSE_BASE[0]}/actions/{secrets.token_hex(8)}",
        "actions": [action],
    }


RESPONSE_BASE = [""]


@st.composite
def mutated(draw: st.DrawFn, payload: Any, depth: int = 0) -> Any:
    """`payload` with a few fields deleted or replaced by garbage (any depth), or untouched."""
    if depth > 4:
        return payload
    if isinstance(payload, dict):
        out = {}
        for key, value in payload.items():
            choice = draw(st.integers(0, 24))
            if choice == 0:
                continue  # field missing
            if choice == 1:
                out[key] = draw(garbage)  # wrong type or garbage
            else:
                out[key] = draw(mutated(value, depth + 1))
        if draw(st.integers(0, 15)) == 0:
            out[draw(st.text(max_size=10))] = draw(garbage)
        return out
    if isinstance(payload, list):
        return [draw(mutated(v, depth + 1)) for v in payload]
    return payload


def maybe_mutate(data: st.DataObject, payload: Any) -> Any:
    return data.draw(st.one_of(st.just(payload), mutated(payload)), label="payload")


# -- the properties ---------------------------------------------------------------------------------


def test_fuzzed_slash_commands(ctx):
    @FUZZ
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        ctx.examples += 1
        wild = ill_formed(data)
        sub = data.draw(st.sampled_from(["", "help", "status", "issue", "issues", "ready", "live", "retro", "ISSUE",
                                         "nonsense", "issue\n", "  issue"]))
        text = f"{sub} {data.draw(any_text)}" if data.draw(st.booleans()) else sub
        form: dict[str, Any] = {
            "token": "t", "team_id": data.draw(ids(wild, TEAMS)), "team_domain": "vendor",
            "channel_id": data.draw(ids(wild, CHANNELS)), "channel_name": "x", "user_id": data.draw(ids(wild, USERS)),
            "user_name": "someone", "command": data.draw(st.sampled_from(["/golive", "/golive", "/other", ""])),
            "text": text, "api_app_id": "A0GOLIVE", "is_enterprise_install": "false",
            "response_url": f"{ctx.world.sim.response_url_base}/commands/{secrets.token_hex(6)}",
            "trigger_id": data.draw(st.one_of(st.just(f"{int(time.time())}.U0CSM.{secrets.token_hex(6)}"),
                                              st.text(max_size=20))),
        }
        # Ill-formed: fields missing. (Form fields are strings whatever they hold, so a well-formed command may
        # carry any text in any field.)
        for key in data.draw(st.lists(st.sampled_from(sorted(form)), max_size=3, unique=True)):
            if wild and data.draw(st.booleans()):
                del form[key]
            else:
                form[key] = data.draw(st.one_of(st.text(max_size=50), huge_text()))
        ctx.send_form(form, well_formed=not wild)
        check_invariants(ctx)

    example()
    finish(ctx)
    assert no_listener_failed_on_well_formed_input(ctx)


def test_fuzzed_block_actions(ctx):
    @FUZZ
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        ctx.examples += 1
        wild = ill_formed(data)
        action_id = data.draw(st.one_of(st.sampled_from(list(ActionId)), st.sampled_from(["unknown_action", ""]),
                                        st.text(max_size=20)), label="action_id")
        values = ctx.checkin_ids + ctx.issue_ids + [f"{i}:up" for i in ctx.issue_ids] + \
            [f"{i}:down" for i in ctx.issue_ids] + ["1", "2", "help:1", "0", "-1", "9" * 25, "1e3", " 1 "]
        action: dict[str, Any] = {"action_id": action_id, "block_id": f"b-{action_id}", "type": "button",
                                  "action_ts": f"{time.time():.6f}",
                                  "value": data.draw(ids(wild, values), label="value"),
                                  "text": {"type": "plain_text", "text": "x"}}
        if action_id == ActionId.ISSUE_SEVERITY or data.draw(st.integers(0, 5)) == 0:
            block = data.draw(ids(wild, ctx.issue_ids))
            action = {**action, "type": "static_select", "block_id": f"issue_triage_{block}",
                      "selected_option": {"text": {"type": "plain_text", "text": "s"},
                                          "value": data.draw(ids(wild, ["sev1", "sev2", "sev3"]))}}
            action.pop("value")
        payload = block_action_payload(action, user=data.draw(ids(wild, USERS)), team=data.draw(ids(wild, TEAMS)),
                                       channel=data.draw(ids(wild, CHANNELS)), ts=data.draw(ctx.ts(wild)))
        ctx.send_payload(maybe_mutate(data, payload) if wild else payload, well_formed=not wild)
        check_invariants(ctx)
        ctx.refresh()

    example()
    finish(ctx)
    assert no_listener_failed_on_well_formed_input(ctx)


def view_values(data: st.DataObject, wild: bool) -> Any:
    """A modal's state: for a well-formed example, blocks of golive's element types with any values (any
    blocks may be missing, as when a modal of another callback is submitted); otherwise garbage may appear."""
    choice = ids(wild, ["sev1", "sev2", "sev3", "good", "friction", "blocked"])
    option = st.fixed_dictionaries({"value": choice})
    odd = garbage if wild else st.none()  # an input left empty arrives as None
    element = st.one_of(
        st.fixed_dictionaries({"type": st.just("plain_text_input"), "value": st.one_of(any_text, odd)}),
        st.fixed_dictionaries({"type": st.just("radio_buttons"), "selected_option": st.one_of(option, odd)}),
        st.fixed_dictionaries({"type": st.just("checkboxes"),
                               "selected_options": st.lists(garbage if wild else option, max_size=3)}),
        *([garbage] if wild else []))
    blocks = st.sampled_from(["text", "severity", "note", "answer", "other"])
    shaped = st.dictionaries(blocks, st.dictionaries(blocks, element, max_size=2), max_size=4)
    return data.draw(st.one_of(shaped, garbage) if wild else shaped, label="values")


def test_fuzzed_view_submissions(ctx):
    @FUZZ
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        ctx.examples += 1
        wild = ill_formed(data)
        callback_id = data.draw(st.one_of(st.sampled_from(list(CallbackId)), st.text(max_size=20)), label="callback")
        metadata_options = [
            {"channel": "C0ACME", "thread_ts": ctx.message_ts[0], "source": "button"},
            {"channel": "C0OTHER", "source": "button"},
            {"channel": "C0ACME", "source": "shortcut", "message_ts": data.draw(ctx.ts(wild)), "thread_ts": None,
             "author": "U0CUST1"},
            {"checkin": data.draw(ids(wild, ctx.checkin_ids)), "channel": data.draw(ids(wild, CHANNELS))},
            {"issue": data.draw(ids(wild, ctx.issue_ids))},
        ]
        # private_metadata is golive's own (it put it there when it opened the modal): anything else is ill-formed.
        metadata = data.draw(st.one_of(
            st.sampled_from(metadata_options).map(json.dumps),
            st.sampled_from(metadata_options).flatmap(lambda m: mutated(m)).map(json.dumps),
            garbage.map(json.dumps), st.text(max_size=50), st.just("{not json"), st.just("[]"), st.just("null"),
            huge_text()) if wild else st.sampled_from(metadata_options).map(json.dumps), label="private_metadata")
        view_id = data.draw(st.one_of(st.just(f"V{secrets.token_hex(5).upper()}"), st.just("V0SAME"),
                                      *([garbage] if wild else [])))
        user = data.draw(ids(wild, USERS))
        payload = {
            "type": "view_submission", "team": {"id": VENDOR, "domain": "v"},
            "user": user_obj(user, data.draw(ids(wild, TEAMS))), "api_app_id": "A0GOLIVE", "token": "t",
            "trigger_id": f"{int(time.time())}.{user}.{secrets.token_hex(6)}",
            "view": {"id": view_id, "team_id": VENDOR, "type": "modal", "callback_id": callback_id,
                     "private_metadata": metadata, "state": {"values": view_values(data, wild)}, "hash": "1.x",
                     "title": {"type": "plain_text", "text": "golive"}, "blocks": [], "app_id": "A0GOLIVE",
                     "root_view_id": view_id, "previous_view_id": None, "external_id": ""},
            "response_urls": [], "is_enterprise_install": False, "enterprise": None,
        }
        ctx.send_payload(maybe_mutate(data, payload) if wild else payload, well_formed=not wild)
        check_invariants(ctx)
        ctx.refresh()

    example()
    finish(ctx)
    assert no_listener_failed_on_well_formed_input(ctx)


def test_fuzzed_message_shortcuts(ctx):
    @FUZZ
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        ctx.examples += 1
        wild = ill_formed(data)
        user = data.draw(ids(wild, USERS))
        ts = data.draw(ctx.ts(wild))
        payload = {
            "type": "message_action", "token": "t", "action_ts": f"{time.time():.6f}",
            "team": {"id": data.draw(ids(wild, TEAMS)), "domain": "v"},
            "user": user_obj(user, data.draw(ids(wild, TEAMS))),
            "channel": {"id": data.draw(ids(wild, CHANNELS)), "name": "x"}, "is_enterprise_install": False,
            "enterprise": None, "callback_id": data.draw(st.one_of(st.just(CallbackId.REPORT_ISSUE_SHORTCUT),
                                                                   st.text(max_size=15))),
            "trigger_id": f"{int(time.time())}.{user}.{secrets.token_hex(6)}", "message_ts": ts,
            "message": {"type": "message", "user": data.draw(ids(wild, USERS)), "ts": ts, "text": data.draw(any_text)},
            "response_url": f"{ctx.world.sim.response_url_base}/app/{secrets.token_hex(6)}",
        }
        ctx.send_payload(maybe_mutate(data, payload) if wild else payload, well_formed=not wild)
        check_invariants(ctx)
        ctx.refresh()

    example()
    finish(ctx)
    assert no_listener_failed_on_well_formed_input(ctx)


@st.composite
def an_event(draw: st.DrawFn, ctx: Ctx, wild: bool) -> dict:
    kind = draw(st.sampled_from(["app_mention", "reaction_added", "message", "thread_reply", "app_home_opened",
                                 "member_joined_channel", "unknown"]))
    user = draw(ids(wild, USERS))
    channel = draw(ids(wild, CHANNELS))
    text = draw(any_text)
    if kind == "app_mention":
        return {"type": "app_mention", "user": user, "text": f"<@UBOT> {text}", "ts": draw(ctx.ts(wild)),
                "channel": channel, "team": draw(ids(wild, TEAMS))}
    if kind == "reaction_added":
        return {"type": "reaction_added", "user": user, "reaction": draw(ids(wild, ["rotating_light", "thumbsup"])),
                "item": {"type": draw(ids(wild, ["message", "file"])), "channel": channel, "ts": draw(ctx.ts(wild))},
                "user_team": draw(ids(wild, TEAMS))}
    if kind in ("message", "thread_reply"):
        event = {"type": "message", "channel": channel, "user": user, "ts": f"{time.time():.6f}",
                 "text": draw(st.sampled_from([">> ", "", ">>"])) + text, "channel_type": "channel",
                 "team": draw(ids(wild, TEAMS))}
        if kind == "thread_reply":
            event["thread_ts"] = draw(ids(wild, ctx.card_ts + ctx.thread_ts))
        if draw(st.integers(0, 6)) == 0:
            event["subtype"] = draw(st.sampled_from(["thread_broadcast", "message_changed", "bot_message"]))
        return event
    if kind == "app_home_opened":
        return {"type": "app_home_opened", "user": user, "channel": "D0HOME",
                "tab": draw(ids(wild, ["home", "messages"]))}
    if kind == "member_joined_channel":
        return {"type": "member_joined_channel", "user": user, "channel": channel}
    return {"type": draw(st.text(max_size=20)), "user": user, "channel": channel}


def test_fuzzed_events_and_retries(ctx):
    @FUZZ
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        ctx.examples += 1
        wild = ill_formed(data)
        event = data.draw(an_event(ctx, wild), label="event")
        retry = data.draw(st.integers(0, 4), label="retry?") == 0 and bool(ctx.event_ids)
        earlier = data.draw(pick(ctx.event_ids), label="earlier event id")
        event_id = earlier if retry else f"Ev{secrets.token_hex(6).upper()}"
        envelope = {
            "token": "t", "team_id": data.draw(ids(wild, TEAMS)), "api_app_id": "A0GOLIVE",
            "event": {"event_ts": f"{time.time():.6f}", **event}, "type": "event_callback", "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": VENDOR, "user_id": "UBOT", "is_bot": True}],
            "is_ext_shared_channel": data.draw(st.booleans()), "event_context": "4-x",
        }
        headers = {"X-Slack-Retry-Num": str(data.draw(st.integers(1, 3))), "X-Slack-Retry-Reason": "http_timeout"} \
            if retry else None
        body = maybe_mutate(data, envelope) if wild else envelope
        ctx.send(json.dumps(body), JSON, headers=headers, well_formed=not wild)
        if isinstance(body, dict) and isinstance(body.get("event_id"), str):
            ctx.event_ids.append(body["event_id"])
        if event["type"] == "reaction_added" and data.draw(st.booleans()):
            # Slack delivers the same 🚨 again under a new event id (another person reacting): still one issue.
            ctx.send(json.dumps({**envelope, "event_id": f"Ev{secrets.token_hex(6).upper()}"}), JSON,
                     well_formed=not wild)
        check_invariants(ctx)
        ctx.refresh()

    example()
    finish(ctx)
    assert no_listener_failed_on_well_formed_input(ctx)


def test_fuzzed_raw_signed_bodies(ctx):
    """Bodies Slack never sends, correctly signed: not JSON, JSON that is not an object, forms without a
    payload, payloads that are not JSON, unknown payload types, wrong content types, url_verification. None of them
    may leave anything behind."""
    before = stored_state(ctx.world)

    @FUZZ
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        ctx.examples += 1
        body = data.draw(st.one_of(
            st.text(max_size=300),
            garbage.map(json.dumps),
            st.just("payload=%7Bnot+json"), st.just("payload="), st.just("payload=null"), st.just("payload=[1,2]"),
            st.fixed_dictionaries({"type": st.text(max_size=20)}).map(lambda p: urlencode({"payload": json.dumps(p)})),
            st.fixed_dictionaries({"type": st.just("url_verification"), "challenge": st.one_of(st.text(max_size=50),
                                                                                              garbage)}).map(json.dumps),
            st.fixed_dictionaries({"type": st.sampled_from(["block_suggestion", "view_closed", "shortcut",
                                                            "interactive_message", "dialog_submission"])})
            .map(lambda p: urlencode({"payload": json.dumps(p)})),
            st.binary(max_size=200),
        ), label="body")
        content_type = data.draw(st.sampled_from([FORM, JSON, "text/plain", "", "multipart/form-data"]))
        raw = body if isinstance(body, bytes) else body.encode()
        ctx.send(raw, content_type)
        check_invariants(ctx)

    example()
    finish(ctx)
    assert ctx.requests >= ctx.examples > 0
    assert stored_state(ctx.world) == before, "a body Slack never sends changed what golive stores"


def test_well_typed_clicks_and_forms_are_always_explained(ctx):
    """Payloads shaped exactly as Slack sends them (every field of the right type) but with any values:
    each is answered with an explanation or done, never with 'something went wrong'."""
    @FUZZ
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        ctx.examples += 1
        before = len(ctx.errors)
        user = data.draw(pick(USERS))
        text_value = st.one_of(pick(ctx.checkin_ids + ctx.issue_ids), st.text(max_size=30),
                               st.integers(-(2**70), 2**70).map(str), pick([f"{i}:up" for i in ctx.issue_ids]))
        if data.draw(st.booleans(), label="click?"):
            action_id = data.draw(st.sampled_from(list(ActionId)))
            action = {"action_id": action_id, "block_id": f"issue_triage_{data.draw(text_value)}", "type": "button",
                      "action_ts": f"{time.time():.6f}", "value": data.draw(text_value),
                      "text": {"type": "plain_text", "text": "x"}}
            if action_id == ActionId.ISSUE_SEVERITY:
                action["selected_option"] = {"text": {"type": "plain_text", "text": "s"},
                                             "value": data.draw(st.one_of(pick(["sev1", "sev2", "sev3"]), st.text()))}
            payload = block_action_payload(action, user=user, team=data.draw(pick(TEAMS)),
                                           channel=data.draw(pick(CHANNELS)), ts=data.draw(pick(ctx.message_ts)))
        else:
            meta = {"channel": data.draw(pick(CHANNELS)), "thread_ts": data.draw(pick(ctx.message_ts)),
                    "source": data.draw(pick(["button", "shortcut"])), "message_ts": data.draw(pick(ctx.message_ts)),
                    "checkin": data.draw(text_value), "issue": data.draw(text_value)}
            view_id = f"V{secrets.token_hex(5).upper()}"
            values = {block: {block: {"type": "plain_text_input", "value": data.draw(any_text)}}
                      for block in ("text", "note")}
            choices = ["sev1", "sev2", "sev3", "good", "friction", "blocked", "sev9"]
            values.update({block: {block: {"type": "radio_buttons", "selected_option": {
                "value": data.draw(pick(choices))}}} for block in ("severity", "answer")})
            payload = {"type": "view_submission", "team": {"id": VENDOR, "domain": "v"}, "token": "t",
                       "user": user_obj(user, data.draw(pick(TEAMS))), "api_app_id": "A0GOLIVE",
                       "trigger_id": f"{int(time.time())}.{user}.{secrets.token_hex(6)}",
                       "view": {"id": view_id, "team_id": VENDOR, "type": "modal",
                                "callback_id": data.draw(st.sampled_from(list(CallbackId))),
                                "private_metadata": json.dumps(meta), "state": {"values": values}, "hash": "1.x",
                                "title": {"type": "plain_text", "text": "golive"}, "blocks": [], "app_id": "A0GOLIVE",
                                "root_view_id": view_id, "previous_view_id": None, "external_id": ""},
                       "response_urls": [], "is_enterprise_install": False, "enterprise": None}
        ctx.send_payload(payload, well_formed=True)
        failed = sorted({w for r in ctx.errors[before:] if r.getMessage().startswith("unexpected error")
                         and (w := where(r))})
        assert failed == [], "a well-formed request ended in 'something went wrong':\n" + "\n".join(failed)
        check_invariants(ctx)
        ctx.refresh()

    example()
    finish(ctx)
    assert no_listener_failed_on_well_formed_input(ctx) and ctx.well_formed == ctx.examples


def test_zz_every_property_checked_at_the_end_of_a_mixed_run(ctx):
    """A short deterministic mix of all doors (so the strict end-of-run checks run once even when the
    fuzzers above are configured tiny), then the strict checks: everything routed and delivered once,
    no listener failed on the well-formed requests, and only the well-formed report became an issue."""
    world = ctx.world
    before = stored_state(world)

    def well_formed(send):  # noqa: ANN001, ANN202
        logged = len(ctx.errors)
        result = send()
        ctx.requests += 1
        ctx.well_formed += 1
        ctx.failed_on_well_formed += [where(r) or r.getMessage() for r in ctx.errors[logged:]]
        return result

    post = [m for m in world.sim.messages("C0ACME") if m.blocks and "launch week" in m.plain_text()][0]
    for action, value in ((ActionId.CHECKIN_BLOCKED, ctx.checkin_ids[0]), (ActionId.CHECKIN_GOOD, "nope"),
                          (ActionId.ISSUE_ACK, ctx.issue_ids[0]), (ActionId.ISSUE_ACK, "x")):
        result = well_formed(lambda a=action, v=value: world.slack.block_action(
            a, user_id="U0SUP", channel_id="C0ACME", message_ts=post["ts"], value=v))
        assert result.status == 200
    world.slack.view_submission("report_issue_modal", user_id="U0CUST1", private_metadata="{not json",
                                values={"text": "broken form"})  # not golive's metadata: ill-formed
    ctx.requests += 1
    answer = well_formed(lambda: world.slack.slash_command("issue " + "🚀" * 50_000, user_id="U0CSM",
                                                           channel_id="C0ACME"))
    assert "Recorded issue" in answer.json()["text"]
    finish(ctx)
    assert no_listener_failed_on_well_formed_input(ctx)
    assert stored_state(world)["Issue"] == before["Issue"] + 1


# -- what the fuzzers found, pinned as plain examples ----------------------------------------------


@pytest.mark.parametrize("body", [
    "payload=null",
    "payload=%5B1%2C2%5D",  # a JSON list
    urlencode({"payload": json.dumps({"type": "message_action", "channel": 5})}),
    urlencode({"payload": json.dumps({"type": "block_actions", "enterprise": False, "team": None})}),
])
def test_a_signed_payload_bolt_cannot_read_is_answered_400_not_500(world, body):
    """Bolt builds its context from the body before any listener runs; a shape it cannot read makes it
    raise TypeError/AttributeError there, which bot/slack/web.py must answer as a malformed request."""
    result = world.slack.send(body, FORM)
    assert result.status == 400, (result.status, result.body_text)
    assert result.json() == {"ok": False, "error": "malformed request"}


def test_ids_too_large_for_the_database_are_explained_not_internal_errors(ctx):
    """A button value or modal field is an id golive put there; one too large for an INTEGER column must
    read as 'does not exist', like any other unknown id, not as an internal error."""
    world = ctx.world
    huge = "9" * 20
    for action_id in (ActionId.CHECKIN_GOOD, ActionId.CHECKIN_NOTE, ActionId.ISSUE_ACK, ActionId.ISSUE_RESOLVE,
                      ActionId.NUDGE_MUTE, ActionId.ISSUE_SATISFIED):
        before = len(world.sim.responses)
        value = f"{huge}:up" if action_id == ActionId.ISSUE_SATISFIED else huge
        result = world.slack.block_action(action_id, user_id="U0SUP", channel_id="C0ACME", message_ts="1.0",
                                          value=value)
        assert result.status == 200
        said = [r.get("text", "") for r in world.sim.responses[before:]]
        assert said and not any("something went wrong" in s for s in said), (action_id, said)
    submitted = world.slack.view_submission("checkin_note_modal", user_id="U0CUST1", values={"note": "hi"},
                                            private_metadata=json.dumps({"checkin": huge, "channel": "C0ACME"}))
    assert submitted.status == 200 and "errors" in (submitted.json() or {}), submitted.body_text
    failed = [w for r in ctx.errors if r.getMessage().startswith("unexpected error") and (w := where(r))]
    assert failed == []
