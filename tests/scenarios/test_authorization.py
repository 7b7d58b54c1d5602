"""The authorization matrix: every Slack surface against every role, plus `/api/usage` and the CLI.

Expected values come from INTERFACE.md, "Who may do what":

- CSMs of a launch and GOLIVE_ADMINS manage it: `live`, `ready` changes, severity, resolve (and the live
  confirmation and the 30-day goal review, which are the same powers in another form).
- Anyone in the launch channel, guests from other organisations included, answers check-ins and reports
  issues; the vendor's own people may also run `status` and `issues` for that channel's launch.
- Support staff (vendor team + member of the support or urgent channel) acknowledge and resolve.
- A refused action gets an ephemeral explanation and changes nothing.

Judgement calls, written down so they can be argued with:

- Slash commands and the message shortcut are the vendor's doors: Slack does not deliver another
  organisation's slash commands or shortcuts in a Slack Connect channel (INTERFACE.md, "Slack surface"), so a
  non-vendor payload is refused with a pointer to the button. A vendor person running a slash command in the
  channel is in it as far as golive can tell, so `/golive issue` is allowed to the vendor's people.
- `/golive ready` shows the checklist read-only to anyone who may see it — the vendor's people, and people
  in the launch channel (the rule App Home's checklist button follows) — and with checkboxes to managers.
- The retrospective is answered by people in the launch channel and by the vendor's people (as the button
  allows today); `/golive retro` (its state) is for the vendor's people.
- `nudge_mute` and `adoption_opt_out` only ever change the clicker's own reminders, so anyone may click them.
- Events cannot be forged by a role: a mention or 🚨 only arrives from someone in the channel, a thread reply
  in the support channel only from someone in that channel; those rows cover the roles that can produce
  them.
- The CLI is operator-level: whoever can run it has the database. It takes no Slack identity at all; the rows
  run it with GOLIVE_ADMINS and GOLIVE_TEAM_ID unset to show they play no role.

Roles (tests/conftest.py plus one): admin U0ADMIN, CSM of this launch U0CSM, CSM of another launch U0CSM2,
support U0SUP, customer in this channel U0CUST1, customer of another launch's channel U0OTHER, and U0STRANGER
of team T0STRANGER — a member of the launch, support and urgent channels, listed in GOLIVE_ADMINS and as a
CSM of this launch, who must get no staff role because their team is not the vendor's.

Cells where today's code differs from the contract are marked xfail(strict=True) in MISMATCHES with the
fix; once the code is fixed they XPASS, which fails, and the entry is to be removed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import SQLModel, delete, select

from bot.core import blocks as modals
from bot.core.ids import ActionId, CallbackId
from bot.core.settings import Settings
from bot.devkit.simulator import SlackSimulator
from bot.devkit.slack_requests import SlackRequestSender
from bot.features.adoption.model import OPT_OUT_ACTION
from bot.features.home.model import READINESS_ACTION
from bot.features.issues import service as issue_domain
from bot.features.launches.service import LaunchInput
from bot.features.milestones.model import MilestoneAction, MilestoneCallback
from bot.features.milestones.service import checklist, leadership_key
from bot.features.milestones.views import block_id_for
from bot.features.retro import service as retro
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from bot.outbox.queue import post_message
from bot.runtime import Runtime
from handlers.commands import SUBCOMMANDS
from storage.models import (
    AdoptionOptOut,
    CheckIn,
    ChecklistTemplateItem,
    Goal,
    Issue,
    IssueStatus,
    Launch,
    OutboxMessage,
    ReadinessItem,
    RetroAnswer,
    UsageRecord,
)
from tests.conftest import CUSTOMER_TEAM, SECRET, VENDOR, FakeClock, World, populate, run_golive
from tests.scenarios.dates import monday_ahead

MON = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # go-live day, 10:00 in Berlin: the day-1 check-in goes out
NOW = MON + timedelta(hours=1)
STRANGER_TEAM = "T0STRANGER"
TOKEN = "usage-api-token-authz-0123456789"
GOALS = ["40 of 50 invited users active in week 2", "First month-end close in the product"]

ROLES: dict[str, tuple[str, str]] = {
    "admin": ("U0ADMIN", VENDOR),
    "csm": ("U0CSM", VENDOR),
    "csm_other": ("U0CSM2", VENDOR),
    "support": ("U0SUP", VENDOR),
    "customer": ("U0CUST1", CUSTOMER_TEAM),
    "customer_other": ("U0OTHER", "T0OTHERCO"),
    "stranger": ("U0STRANGER", STRANGER_TEAM),
}
ALL = frozenset(ROLES)
VENDOR_PEOPLE = frozenset({"admin", "csm", "csm_other", "support"})
MANAGERS = frozenset({"admin", "csm"})
SUPPORT = frozenset({"support"})
IN_CHANNEL = frozenset({"csm", "customer", "stranger"})  # members of C0ACME
IN_SUPPORT_CHANNEL = frozenset({"support", "stranger"})  # members of C0SUP

ALLOW, DENY, READ = "allow", "deny", "read"  # READ: allowed to see, without the controls that change things

# Tables whose rows are bookkeeping of a request rather than state an action may change.
# The stored Slack directory (slack_person, channel_member, channel_sync) is a copy of what Slack says, filled
# on a miss whoever asks: reading it is not a change golive made on someone's behalf.
NOT_STATE = {"processed_event", "home_visit", "alembic_version", "slack_person", "channel_member", "channel_sync"}


# -- the world ---------------------------------------------------------------------------------------


@dataclass
class Ctx:
    world: World
    acme: int
    other: int
    checkin: int
    seq: int = 0
    cache: dict = field(default_factory=dict)

    @property
    def sim(self) -> SlackSimulator:
        return self.world.sim

    @property
    def slack(self) -> SlackRequestSender:
        return self.world.slack

    def session(self):  # noqa: ANN201
        return self.world.runtime.db.session()

    def next(self) -> int:
        self.seq += 1
        return self.seq

    def snapshot(self) -> dict[str, list]:
        """Every row of every table that holds state: a refused action must leave all of it as it was."""
        with self.session() as s:
            state = {t.name: sorted(map(repr, s.execute(t.select()).all()))
                     for t in SQLModel.metadata.sorted_tables if t.name not in NOT_STATE}
            # Publishing a person's own Home (the answer to opening it) is not a change made for them.
            state["outbox_message"] = sorted(map(repr, s.execute(OutboxMessage.__table__.select().where(
                OutboxMessage.method != "golive.home")).all()))
            return state

    def fresh_issue(self, *, reporter: str = "U0CUST1", team: str = CUSTOMER_TEAM, resolved: bool = False) -> int:
        n = self.next()
        with self.session() as s:
            launch = s.get(Launch, self.acme)
            reported = issue_domain.open_issue(
                s, launch=launch, text=f"Export {n} times out", reporter=reporter, reporter_team=team,
                source="mention", source_key=f"authz:{n}", now=NOW, source_channel="C0ACME",
                source_ts=f"1700000000.{n:06d}", thread_ts=f"1700000000.{n:06d}")
            issue = reported.issue
            if resolved:
                issue_domain.resolve(s, issue=issue, actor="U0SUP", note="Fixed", now=NOW)
            return issue.id

    def issue(self, issue_id: int) -> Issue:
        with self.session() as s:
            return s.get(Issue, issue_id)

    def launch(self) -> Launch:
        with self.session() as s:
            return s.get(Launch, self.acme)

    def count(self, model, *where) -> int:  # noqa: ANN001
        with self.session() as s:
            return len(s.exec(select(model.id if hasattr(model, "id") else model).where(*where)).all())

    def set_planned(self, *, criteria_done: bool) -> None:
        with self.session() as s:
            s.execute(update(Launch).where(Launch.id == self.acme).values(
                status="planned", live_at=None, live_by=None, live_forced_reason=None))
            s.execute(update(ReadinessItem).where(ReadinessItem.launch_id == self.acme).values(
                done=criteria_done, changed_by=None, changed_at=None))

    def reset_goals(self, state: str) -> None:
        with self.session() as s:
            s.execute(update(Goal).where(Goal.launch_id == self.acme).values(
                state=state, reviewed_by=None, reviewed_at=None))
            from storage.models import OutboxMessage

            s.execute(delete(OutboxMessage).where(OutboxMessage.dedupe_key == leadership_key(self.acme, "goals")))

    def goals(self) -> list[Goal]:
        with self.session() as s:
            return list(s.exec(select(Goal).where(Goal.launch_id == self.acme).order_by(Goal.position)).all())


def _launch(s, now: datetime, **raw) -> int:  # noqa: ANN001
    launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=now)
    replan(s, launch, now=now)
    return launch.id


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ctx]:
    """One workspace and one bot for the whole matrix; every cell prepares what it acts on and compares
    the database before and after, so cells do not depend on each other's order."""
    with SlackSimulator(team_id=VENDOR) as sim:
        populate(sim)
        sim.add_team(STRANGER_TEAM, "Stranger Inc")
        sim.add_user("U0STRANGER", "sly.stranger", team_id=STRANGER_TEAM, email="sly@stranger.test")
        for channel in ("C0ACME", "C0SUP", "C0URG"):
            sim.add_member(channel, "U0STRANGER")
        db_url = f"sqlite:///{tmp_path_factory.mktemp('authz') / 'golive.db'}"
        env = {"SLACK_BOT_TOKEN": sim.bot_token, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": sim.url,
               "GOLIVE_DATABASE_URL": db_url, "GOLIVE_ADMINS": "U0ADMIN,U0STRANGER", "GOLIVE_TEAM_ID": VENDOR,
               "GOLIVE_API_TOKEN": TOKEN}
        clock = FakeClock(MON - timedelta(days=7))
        settings = Settings.from_env(env)
        runtime = Runtime(settings, clock=clock)
        server = runtime.web(host="127.0.0.1", port=0).start_in_thread()
        slack = SlackRequestSender(server.url, SECRET, team_id=VENDOR, response_url_base=sim.response_url_base,
                                   settle=runtime.after_ack.wait_idle)
        world = World(sim=sim, settings=settings, runtime=runtime, slack=slack, clock=clock, env=env, url=server.url)
        try:
            with runtime.db.session() as s:
                acme = _launch(s, clock(), customer="Acme Corp", channel="C0ACME", go_live="2027-03-08",
                               tz="Europe/Berlin", csm=["U0CSM", "U0STRANGER"], support_channel="C0SUP",
                               urgent_channel="C0URG", oncall="U0SUP", leadership_channel="C0LEAD",
                               leader=["U0CUST2"], goal=GOALS)
                other = _launch(s, clock(), customer="Other Co", channel="C0OTHER", go_live="2027-03-08",
                                tz="Europe/Berlin", csm=["U0CSM2"], support_channel="C0SUP")
            world.tick(MON)  # the day-1 check-ins and the pinned help messages
            clock.set(NOW)
            with runtime.db.session() as s:
                checkin = s.exec(select(CheckIn.id).where(CheckIn.launch_id == acme)).first()
                # The retrospective counts as started once its prompt is queued.
                post_message(s, key=retro.prompt_key(acme), channel="C0ACME", text="Retrospective", now=NOW,
                             launch_id=acme)
            assert checkin is not None
            yield Ctx(world=world, acme=acme, other=other, checkin=checkin)
        finally:
            server.stop()
            runtime.close()


# -- what a person saw -------------------------------------------------------------------------------


@dataclass
class Observed:
    outcome: str  # ALLOW, DENY or READ, as evidenced by what happened
    told: str = ""  # what the person was told (response body, response_url post, modal error)
    explain: bool = True  # does a refusal owe an explanation? (not for events and views)


def _response_texts(ctx: Ctx, since: int) -> str:
    return "\n".join(str(r.get("text") or "") for r in ctx.sim.responses[since:])


def _view_id(ctx: Ctx, user: str) -> str | None:
    view = ctx.sim.views_for(user)
    return view.get("id") if view else None


def _modal_errors(result) -> str:  # noqa: ANN001
    body = result.json() if result.body_text.strip() else None
    if isinstance(body, dict) and body.get("response_action") == "errors":
        return " ".join(str(v) for v in body.get("errors", {}).values())
    return ""


def slash(ctx: Ctx, text: str, user: str, team: str) -> str:
    result = ctx.slack.slash_command(text, user_id=user, channel_id="C0ACME", team_id=team)
    assert result.status == 200, result.body_text
    return str(result.json()["text"])


def click(ctx: Ctx, action_id: str, user: str, team: str, *, channel: str = "C0ACME", value: str | None = None,
          **kw) -> tuple[str, bool]:
    """A block action: (what came back through response_url, whether a modal opened for the person)."""
    since, view_before = len(ctx.sim.responses), _view_id(ctx, user)
    result = ctx.slack.block_action(action_id, user_id=user, channel_id=channel, message_ts=f"1.{ctx.next()}",
                                    value=value, user_team_id=team, **kw)
    assert result.status == 200, result.body_text
    return _response_texts(ctx, since), _view_id(ctx, user) != view_before


def submit(ctx: Ctx, callback_id: str, user: str, team: str, meta: dict, values: dict) -> str:
    """A modal submission: the errors shown in the modal ('' when it was accepted)."""
    result = ctx.slack.view_submission(callback_id, user_id=user, user_team_id=team,
                                       private_metadata=modals.pack(meta), values=values)
    assert result.status == 200, result.body_text
    return _modal_errors(result)


def _sev(value: str) -> dict:
    return {"severity": {"type": "radio_buttons", "selected_option": {"value": value}}}


# -- the actions -------------------------------------------------------------------------------------
# Each takes (ctx, user, team) and returns what was observed; prepare work happens before the snapshot.

Runner = Callable[[Ctx, str, str], Observed]


def slash_help(ctx: Ctx, user: str, team: str) -> Observed:
    text = slash(ctx, "help", user, team)
    return Observed(ALLOW if "your customer's go-live week" in text else DENY, text)


def slash_status(ctx: Ctx, user: str, team: str) -> Observed:
    text = slash(ctx, "status", user, team)
    return Observed(ALLOW if "Acme Corp" in text else DENY, text)


def slash_issue(ctx: Ctx, user: str, team: str) -> Observed:
    before = ctx.count(Issue)
    text = slash(ctx, f"issue Dashboard {ctx.next()} is blank", user, team)
    return Observed(ALLOW if ctx.count(Issue) == before + 1 and "Recorded issue" in text else DENY, text)


def slash_issues(ctx: Ctx, user: str, team: str) -> Observed:
    text = slash(ctx, "issues", user, team)
    return Observed(ALLOW if "issues for" in text and "Acme Corp" in text else DENY, text)


def slash_ready(ctx: Ctx, user: str, team: str) -> Observed:
    since = len(ctx.sim.responses)
    text = slash(ctx, "ready", user, team)
    interactive = any("checkboxes" in json.dumps(r.get("blocks") or []) for r in ctx.sim.responses[since:])
    if interactive:
        return Observed(ALLOW, text)
    return Observed(READ if "Go-live checklist" in text and "Acme Corp" in text else DENY, text)


def slash_live(ctx: Ctx, user: str, team: str) -> Observed:
    text = slash(ctx, "live", user, team)
    return Observed(ALLOW if ctx.launch().status == "live" else DENY, text)


def slash_retro(ctx: Ctx, user: str, team: str) -> Observed:
    text = slash(ctx, "retro", user, team)
    return Observed(ALLOW if "The retrospective for *Acme Corp* is open" in text else DENY, text)


def checkin_answer(action_id: str) -> Runner:
    def run(ctx: Ctx, user: str, team: str) -> Observed:
        from storage.models import CheckInAnswerHistory

        before = ctx.count(CheckInAnswerHistory, CheckInAnswerHistory.user_id == user)
        told, _ = click(ctx, action_id, user, team, value=str(ctx.checkin))
        after = ctx.count(CheckInAnswerHistory, CheckInAnswerHistory.user_id == user)
        return Observed(ALLOW if after == before + 1 else DENY, told)

    return run


def checkin_note_open(ctx: Ctx, user: str, team: str) -> Observed:
    told, opened = click(ctx, ActionId.CHECKIN_NOTE, user, team, value=str(ctx.checkin))
    return Observed(ALLOW if opened else DENY, told)


def checkin_note_submit(ctx: Ctx, user: str, team: str) -> Observed:
    from storage.models import CheckInAnswerHistory

    before = ctx.count(CheckInAnswerHistory, CheckInAnswerHistory.user_id == user)
    errors = submit(ctx, CallbackId.CHECKIN_NOTE_MODAL, user, team, {"checkin": ctx.checkin, "channel": "C0ACME"},
                    {"answer": {"answer": {"type": "radio_buttons", "selected_option": {"value": "good"}}},
                     "note": {"note": "Going fine, thanks"}})
    after = ctx.count(CheckInAnswerHistory, CheckInAnswerHistory.user_id == user)
    return Observed(ALLOW if after == before + 1 and not errors else DENY, errors)


def nudge_mute(ctx: Ctx, user: str, team: str) -> Observed:
    from storage.models import NudgeMute

    told, _ = click(ctx, ActionId.NUDGE_MUTE, user, team, value=str(ctx.acme))
    muted = ctx.count(NudgeMute, NudgeMute.user_id == user, NudgeMute.launch_id == ctx.acme)
    return Observed(ALLOW if muted == 1 else DENY, told)


def report_open(ctx: Ctx, user: str, team: str) -> Observed:
    told, opened = click(ctx, ActionId.ISSUE_REPORT_OPEN, user, team, value="help:1")
    return Observed(ALLOW if opened else DENY, told)


def report_submit(source: str) -> Runner:
    def run(ctx: Ctx, user: str, team: str) -> Observed:
        n = ctx.next()
        meta = {"channel": "C0ACME", "source": source, "thread_ts": None}
        if source == "shortcut":
            meta.update(message_ts=f"1700000001.{n:06d}", thread_ts=f"1700000001.{n:06d}", author="U0CUST2")
        before = ctx.count(Issue)
        errors = submit(ctx, CallbackId.REPORT_ISSUE_MODAL, user, team, meta,
                        {"text": {"text": f"Cannot log in ({n})"}, **_sev("sev2")})
        return Observed(ALLOW if ctx.count(Issue) == before + 1 and not errors else DENY, errors)

    return run


def report_shortcut(ctx: Ctx, user: str, team: str) -> Observed:
    since, view_before = len(ctx.sim.responses), _view_id(ctx, user)
    result = ctx.slack.message_shortcut(CallbackId.REPORT_ISSUE_SHORTCUT, user_id=user, channel_id="C0ACME",
                                        message_ts=f"1700000002.{ctx.next():06d}",
                                        message_text="Report builder crashes",
                                        message_user="U0CUST2", user_team_id=team)
    assert result.status == 200, result.body_text
    return Observed(ALLOW if _view_id(ctx, user) != view_before else DENY, _response_texts(ctx, since))


def issue_ack(ctx: Ctx, user: str, team: str) -> Observed:
    issue_id = ctx.cache.pop("issue", None)
    told, _ = click(ctx, ActionId.ISSUE_ACK, user, team, channel="C0SUP", value=str(issue_id))
    return Observed(ALLOW if ctx.issue(issue_id).status == IssueStatus.ACKNOWLEDGED else DENY, told)


def issue_severity(ctx: Ctx, user: str, team: str) -> Observed:
    issue_id = ctx.cache.pop("issue", None)
    told, _ = click(ctx, ActionId.ISSUE_SEVERITY, user, team, channel="C0SUP", selected_option="sev3",
                    block_id=f"issue_triage_{issue_id}")
    return Observed(ALLOW if ctx.issue(issue_id).severity == "sev3" else DENY, told)


def issue_resolve_open(ctx: Ctx, user: str, team: str) -> Observed:
    issue_id = ctx.cache.pop("issue", None)
    told, opened = click(ctx, ActionId.ISSUE_RESOLVE, user, team, channel="C0SUP", value=str(issue_id))
    return Observed(ALLOW if opened else DENY, told)


def issue_resolve_submit(ctx: Ctx, user: str, team: str) -> Observed:
    issue_id = ctx.cache.pop("issue", None)
    errors = submit(ctx, CallbackId.RESOLVE_MODAL, user, team, {"issue": issue_id}, {"note": {"note": "Fixed in 4.2"}})
    return Observed(ALLOW if ctx.issue(issue_id).status == IssueStatus.RESOLVED and not errors else DENY, errors)


def satisfaction(action_id: str, verdict: str) -> Runner:
    def run(ctx: Ctx, user: str, team: str) -> Observed:
        issue_id = ctx.cache.pop("issue", None)
        told, _ = click(ctx, action_id, user, team, value=f"{issue_id}:{verdict}")
        return Observed(ALLOW if ctx.issue(issue_id).satisfaction == verdict else DENY, told)

    return run


def issue_reopen(ctx: Ctx, user: str, team: str) -> Observed:
    issue_id = ctx.cache.pop("issue", None)
    told, _ = click(ctx, ActionId.ISSUE_REOPEN, user, team, channel="C0SUP", value=str(issue_id))
    return Observed(ALLOW if ctx.issue(issue_id).status == IssueStatus.OPEN else DENY, told)


def blocked_details_open(ctx: Ctx, user: str, team: str) -> Observed:
    issue_id = ctx.cache.pop("issue", None)
    told, opened = click(ctx, ActionId.ISSUE_BLOCKED_DETAILS, user, team, value=str(issue_id))
    return Observed(ALLOW if opened else DENY, told)


def blocked_details_submit(ctx: Ctx, user: str, team: str) -> Observed:
    issue_id = ctx.cache.pop("issue", None)
    errors = submit(ctx, CallbackId.BLOCKED_DETAILS_MODAL, user, team, {"issue": issue_id},
                    {"text": {"text": "The export page never loads"},
                     "impact": {"impact": {"type": "radio_buttons", "selected_option": {"value": "sev2"}}}})
    changed = ctx.issue(issue_id).text.endswith("The export page never loads")
    return Observed(ALLOW if changed and not errors else DENY, errors)


def issue_same(ctx: Ctx, user: str, team: str) -> Observed:
    issue_id, parent_id = ctx.cache.pop("pair", (None, None))
    told, _ = click(ctx, ActionId.ISSUE_SAME, user, team, channel="C0SUP", value=f"{issue_id}:{parent_id}")
    return Observed(ALLOW if ctx.issue(issue_id).parent_id == parent_id else DENY, told)


def retro_open(ctx: Ctx, user: str, team: str) -> Observed:
    told, opened = click(ctx, ActionId.RETRO_OPEN, user, team, value=str(ctx.acme))
    return Observed(ALLOW if opened else DENY, told)


def retro_submit(ctx: Ctx, user: str, team: str) -> Observed:
    errors = submit(ctx, MilestoneCallback.RETRO, user, team, {"launch": ctx.acme},
                    {"went_well": {"went_well": "The checklist"}, "improve": {"improve": "Earlier training"},
                     "rating": {"rating": {"type": "radio_buttons", "selected_option": {"value": "4"}}}})
    answered = ctx.count(RetroAnswer, RetroAnswer.user_id == user, RetroAnswer.launch_id == ctx.acme)
    return Observed(ALLOW if answered == 1 and not errors else DENY, errors)


def readiness_toggle(ctx: Ctx, user: str, team: str) -> Observed:
    with ctx.session() as s:
        items = checklist(s, ctx.acme)
        block_id = block_id_for(ctx.acme, items[:10])
    first = items[0]
    action = {"type": "checkboxes", "action_id": MilestoneAction.READINESS_TOGGLE, "block_id": block_id,
              "selected_options": [{"text": {"type": "mrkdwn", "text": first.text}, "value": str(first.id)}],
              "action_ts": "1.0"}
    since = len(ctx.sim.responses)
    result = ctx.slack.block_action(MilestoneAction.READINESS_TOGGLE, user_id=user, channel_id="C0ACME",
                                    message_ts="1.1", user_team_id=team, extra={"actions": [action]})
    assert result.status == 200, result.body_text
    with ctx.session() as s:
        done = s.get(ReadinessItem, first.id).done
    return Observed(ALLOW if done else DENY, _response_texts(ctx, since))


def live_confirm_submit(ctx: Ctx, user: str, team: str) -> Observed:
    errors = submit(ctx, MilestoneCallback.LIVE_CONFIRM, user, team, {"launch": ctx.acme},
                    {"reason": {"reason": "The CEO announced the date"}})
    return Observed(ALLOW if ctx.launch().status == "live" and not errors else DENY, errors)


def goal_state(action_id: str, state: str) -> Runner:
    def run(ctx: Ctx, user: str, team: str) -> Observed:
        goal = ctx.goals()[0]
        told, _ = click(ctx, action_id, user, team, channel=f"D{user}", value=str(goal.id))
        return Observed(ALLOW if ctx.goals()[0].state == state else DENY, told)

    return run


def goals_confirm(ctx: Ctx, user: str, team: str) -> Observed:
    from storage.models import OutboxMessage

    told, _ = click(ctx, MilestoneAction.GOALS_CONFIRM, user, team, channel=f"D{user}", value=str(ctx.acme))
    posted = ctx.count(OutboxMessage, OutboxMessage.dedupe_key == leadership_key(ctx.acme, "goals"))
    return Observed(ALLOW if posted == 1 else DENY, told)


def prep_lesson(ctx: Ctx) -> None:
    """A kept retrospective summary of Acme proposing one lesson, and no lesson on the template yet."""
    from storage.models import ChecklistTemplateItem, RetroSummary

    with ctx.session() as s:
        s.execute(delete(ChecklistTemplateItem))
        if s.get(RetroSummary, ctx.acme) is None:
            s.add(RetroSummary(launch_id=ctx.acme, markdown="# Retrospective", created_at=ctx.world.clock(),
                               lessons=["Walk through SSO with the customer before go-live"]))


def lesson_add(ctx: Ctx, user: str, team: str) -> Observed:
    from storage.models import ChecklistTemplateItem

    told, _ = click(ctx, MilestoneAction.LESSON_ADD_TEMPLATE, user, team, channel=f"D{user}", value=f"{ctx.acme}:0")
    return Observed(ALLOW if ctx.count(ChecklistTemplateItem) == 1 else DENY, told)


def home_readiness(ctx: Ctx, user: str, team: str) -> Observed:
    told, opened = click(ctx, READINESS_ACTION, user, team, channel=f"D{user}", value=str(ctx.acme))
    return Observed(ALLOW if opened else DENY, told)


def home_open_channel(ctx: Ctx, user: str, team: str) -> Observed:
    """A link button: Slack opens the channel; golive only acknowledges, so there is nothing to refuse."""
    told, opened = click(ctx, "home_open_channel", user, team, channel=f"D{user}", value=str(ctx.acme))
    return Observed(ALLOW if not opened and not told else DENY, told)


def app_home(customer: str) -> Runner:
    def run(ctx: Ctx, user: str, team: str) -> Observed:
        result = ctx.slack.app_home_opened(user)
        assert result.status == 200, result.body_text
        ctx.world.deliver()  # the sender publishes the Home
        view = ctx.sim.views_for(user, "home")
        shown = json.dumps(view["blocks"] if view else [], ensure_ascii=False)
        return Observed(ALLOW if customer in shown else DENY, explain=False)

    return run


def adoption_opt_out(ctx: Ctx, user: str, team: str) -> Observed:
    told, _ = click(ctx, OPT_OUT_ACTION, user, team, channel=f"D{user}", value=str(ctx.acme))
    out = ctx.count(AdoptionOptOut, AdoptionOptOut.user_id == user, AdoptionOptOut.launch_id == ctx.acme)
    return Observed(ALLOW if out == 1 else DENY, told)


def mention(ctx: Ctx, user: str, team: str) -> Observed:
    before = ctx.count(Issue)
    result = ctx.slack.app_mention(f"SSO loop {ctx.next()}", user_id=user, channel_id="C0ACME",
                                   ts=f"1700000003.{ctx.next():06d}", user_team=team)
    assert result.status == 200
    return Observed(ALLOW if ctx.count(Issue) == before + 1 else DENY, explain=False)


def reaction(ctx: Ctx, user: str, team: str) -> Observed:
    msg = ctx.sim.post_as_user("C0ACME", "U0CUST2", f"Invoices in the wrong currency ({ctx.next()})")
    before = ctx.count(Issue)
    result = ctx.slack.reaction_added("rotating_light", user_id=user, channel_id="C0ACME", item_ts=msg["ts"],
                                      user_team=team)
    assert result.status == 200
    ctx.world.deliver()  # the sender reads the flagged message and files the issue
    return Observed(ALLOW if ctx.count(Issue) == before + 1 else DENY, explain=False)


def relay_to_customer(ctx: Ctx, user: str, team: str) -> Observed:
    """`>> text` in the support thread goes to the customer: only from the vendor's people (support staff,
    since only members of the support channel can post there)."""
    from storage.models import IssueEvent

    issue_id, card_ts = ctx.cache.pop("card")
    reply = ctx.sim.post_as_user("C0SUP", user, ">> A fix is rolling out", thread_ts=card_ts)
    before = ctx.count(IssueEvent, IssueEvent.issue_id == issue_id)
    result = ctx.slack.message(reply["text"], user_id=user, channel_id="C0SUP", ts=reply["ts"], thread_ts=card_ts,
                               user_team=team)
    assert result.status == 200
    return Observed(ALLOW if ctx.count(IssueEvent, IssueEvent.issue_id == issue_id) > before else DENY,
                    explain=False)


# -- preparation (before the snapshot) ---------------------------------------------------------------


def prep_issue(ctx: Ctx) -> None:
    ctx.cache["issue"] = ctx.fresh_issue()


def prep_resolved_issue(ctx: Ctx) -> None:
    ctx.cache["issue"] = ctx.fresh_issue(resolved=True)


def prep_pair(ctx: Ctx) -> None:
    parent = ctx.fresh_issue()
    ctx.cache["pair"] = (ctx.fresh_issue(reporter="U0CSM", team=VENDOR), parent)


def prep_card(ctx: Ctx) -> None:
    issue_id = ctx.fresh_issue()
    ctx.world.deliver()
    ts = ctx.issue(issue_id).support_ts
    if not ts:
        with ctx.session() as s:
            waiting = s.exec(select(OutboxMessage).where(OutboxMessage.status != "sent")).all()
        raise AssertionError("the support card was not posted; not sent: "
                             + "; ".join(f"{r.id} {r.method} {r.status} {r.order_key} {r.attempts} {r.last_error} "
                                         f"{r.next_attempt_at}" for r in waiting))
    ctx.cache["card"] = (issue_id, ts)


@dataclass(frozen=True)
class Action:
    name: str
    run: Runner
    expect: Callable[[str], str]  # role -> ALLOW / DENY / READ
    prepare: Callable[[Ctx], None] | None = None
    roles: frozenset[str] = ALL  # the roles that can produce this request at all


def allowed(who: frozenset[str]) -> Callable[[str], str]:
    return lambda role: ALLOW if role in who else DENY


def ready_expectation(role: str) -> str:
    if role in MANAGERS:
        return ALLOW
    return READ if role in VENDOR_PEOPLE | IN_CHANNEL else DENY


ACTIONS: list[Action] = [
    # /golive subcommands, run in the launch channel
    Action("/golive help", slash_help, allowed(ALL)),
    Action("/golive status", slash_status, allowed(VENDOR_PEOPLE)),
    Action("/golive issue", slash_issue, allowed(VENDOR_PEOPLE)),
    Action("/golive issues", slash_issues, allowed(VENDOR_PEOPLE)),
    Action("/golive ready", slash_ready, ready_expectation),
    Action("/golive live", slash_live, allowed(MANAGERS), lambda c: c.set_planned(criteria_done=True)),
    Action("/golive retro", slash_retro, allowed(VENDOR_PEOPLE)),
    # check-in message
    Action("checkin_good", checkin_answer(ActionId.CHECKIN_GOOD), allowed(IN_CHANNEL)),
    Action("checkin_friction", checkin_answer(ActionId.CHECKIN_FRICTION), allowed(IN_CHANNEL)),
    Action("checkin_blocked", checkin_answer(ActionId.CHECKIN_BLOCKED), allowed(IN_CHANNEL)),
    Action("checkin_note (opens the modal)", checkin_note_open, allowed(IN_CHANNEL)),
    Action("checkin_note_modal (submit)", checkin_note_submit, allowed(IN_CHANNEL)),
    Action("nudge_mute", nudge_mute, allowed(ALL)),
    # reporting a problem
    Action("issue_report_open (opens the modal)", report_open, allowed(IN_CHANNEL)),
    Action("report_issue_modal (submit, from the button)", report_submit("button"), allowed(IN_CHANNEL)),
    Action("report_issue (message shortcut)", report_shortcut, allowed(VENDOR_PEOPLE)),
    Action("report_issue_modal (submit, from the shortcut)", report_submit("shortcut"), allowed(VENDOR_PEOPLE)),
    Action("app_mention", mention, allowed(IN_CHANNEL), roles=IN_CHANNEL),
    Action("reaction_added :rotating_light:", reaction, allowed(IN_CHANNEL), roles=IN_CHANNEL),
    # triage in the support channel
    Action("issue_ack", issue_ack, allowed(SUPPORT), prep_issue),
    # Issue 4 gives severity changes to "CSMs, admins, support" (INTERFACE.md lists only the managers' powers).
    Action("issue_severity", issue_severity, allowed(MANAGERS | SUPPORT), prep_issue),
    Action("issue_resolve (opens the modal)", issue_resolve_open, allowed(MANAGERS | SUPPORT), prep_issue),
    Action("issue_resolve_modal (submit)", issue_resolve_submit, allowed(MANAGERS | SUPPORT), prep_issue),
    Action("support thread `>>` reply", relay_to_customer, allowed(SUPPORT), prep_card, roles=IN_SUPPORT_CHANNEL),
    # the reporter's verdict
    Action("issue_satisfied", satisfaction(ActionId.ISSUE_SATISFIED, "up"), allowed(frozenset({"customer"})),
           prep_resolved_issue),
    Action("issue_unsatisfied", satisfaction(ActionId.ISSUE_UNSATISFIED, "down"), allowed(frozenset({"customer"})),
           prep_resolved_issue),
    Action("issue_reopen (on the 👎 DM)", issue_reopen, allowed(MANAGERS | SUPPORT), prep_resolved_issue),
    # the Blocked follow-up: the reporter's own question (fresh issues are the customer's)
    Action("issue_blocked_details (opens the modal)", blocked_details_open, allowed(frozenset({"customer"})),
           prep_issue),
    Action("issue_blocked_details_modal (submit)", blocked_details_submit, allowed(frozenset({"customer"})),
           prep_issue),
    # same problem, one fix: support staff link a repeat to the issue it repeats
    Action("issue_same", issue_same, allowed(SUPPORT), prep_pair),
    # milestones
    Action("readiness_toggle (checkbox)", readiness_toggle, allowed(MANAGERS),
           lambda c: c.set_planned(criteria_done=False)),
    Action("live_confirm_modal (submit)", live_confirm_submit, allowed(MANAGERS),
           lambda c: c.set_planned(criteria_done=False)),
    Action("goal_met", goal_state(MilestoneAction.GOAL_MET, "met"), allowed(MANAGERS), lambda c: c.reset_goals("open")),
    Action("goal_not_met", goal_state(MilestoneAction.GOAL_NOT_MET, "not_met"), allowed(MANAGERS),
           lambda c: c.reset_goals("open")),
    Action("goal_in_progress", goal_state(MilestoneAction.GOAL_IN_PROGRESS, "in_progress"), allowed(MANAGERS),
           lambda c: c.reset_goals("open")),
    Action("goals_confirm", goals_confirm, allowed(MANAGERS), lambda c: c.reset_goals("met")),
    Action("retro_open (opens the modal)", retro_open, allowed(IN_CHANNEL | VENDOR_PEOPLE)),
    Action("retro_modal (submit)", retro_submit, allowed(IN_CHANNEL | VENDOR_PEOPLE)),
    Action("lesson_add_template", lesson_add, allowed(MANAGERS), prep_lesson),
    # App Home and adoption
    Action("app_home_opened shows Acme", app_home("Acme Corp"), allowed(MANAGERS | IN_CHANNEL)),
    Action("app_home_opened shows Other Co", app_home("Other Co"), allowed(frozenset({"admin", "csm_other",
                                                                                      "customer_other"}))),
    Action("home_open_readiness", home_readiness, allowed(MANAGERS | IN_CHANNEL)),
    Action("home_open_channel (link button)", home_open_channel, allowed(ALL)),
    Action("adoption_opt_out", adoption_opt_out, allowed(ALL)),
]

# (action, role) -> why today's code gives another answer than the contract, and the fix.
# Cells where the code differed from the contract were listed here (xfail, with the fix) until fixed;
# all found so far are fixed: submit paths now repeat their open path's membership / vendor checks.
MISMATCHES: dict[tuple[str, str], str] = {}

ACTIONS_BY_NAME = {a.name: a for a in ACTIONS}
CELLS = [(a.name, role) for a in ACTIONS for role in ROLES if role in a.roles]


def _param(name: str, role: str):  # noqa: ANN202
    why = MISMATCHES.get((name, role))
    marks = [pytest.mark.xfail(strict=True, reason=f"contract mismatch: {why}")] if why else []
    return pytest.param(name, role, id=f"{name}|{role}", marks=marks)


@pytest.mark.parametrize(("name", "role"), [_param(n, r) for n, r in CELLS])
def test_slack_matrix(ctx: Ctx, name: str, role: str) -> None:
    action = ACTIONS_BY_NAME[name]
    user, team = ROLES[role]
    if action.prepare is not None:
        action.prepare(ctx)
    before = ctx.snapshot()
    observed = action.run(ctx, user, team)
    expected = action.expect(role)
    assert observed.outcome == expected, f"{name} by {role}: expected {expected}, got {observed.outcome}: " \
                                         f"{observed.told!r}"
    if expected in (DENY, READ):
        after = ctx.snapshot()
        changed = {t for t in before if before[t] != after[t]}
        assert not changed, f"{name} by {role} was refused but changed {sorted(changed)}"
    if expected == DENY and observed.explain:
        assert observed.told.strip(), f"{name} by {role} was refused without an explanation"
        assert "went wrong on golive's side" not in observed.told, observed.told


def test_matrix_covers_every_registered_surface() -> None:
    """Every registered subcommand, action id and modal is a row (a new one without a row fails here)."""
    from bot.features.milestones.model import GOAL_STATES

    rows = " ".join(ACTIONS_BY_NAME)
    for sub in SUBCOMMANDS:
        assert f"/golive {sub}" in ACTIONS_BY_NAME, sub
    ids = [*ActionId, *CallbackId, *MilestoneAction, *MilestoneCallback, *GOAL_STATES, READINESS_ACTION,
           OPT_OUT_ACTION, "home_open_channel"]
    missing = {str(i) for i in ids if str(i) not in rows}
    assert not missing, missing
    print(f"\nauthorization matrix: {len(CELLS)} Slack cells + {len(USAGE_CASES)} /api/usage cells + "
          f"{len(CLI_CASES)} CLI cells = {len(CELLS) + len(USAGE_CASES) + len(CLI_CASES)} cells checked")


# -- /api/usage: a bearer token, nothing else --------------------------------------------------------

USAGE_CASES = {
    "no token": ({}, 401),
    "wrong token": ({"Authorization": "Bearer not-the-token"}, 401),
    "token as a different scheme": ({"Authorization": f"Basic {TOKEN}"}, 401),
    "a valid Slack signature but no token": ("slack", 401),
    "right token": ({"Authorization": f"Bearer {TOKEN}"}, 200),
}


@pytest.mark.parametrize("case", list(USAGE_CASES))
def test_usage_api_matrix(ctx: Ctx, case: str) -> None:
    headers, status = USAGE_CASES[case]
    body = json.dumps([{"email": f"cora{ctx.next()}@acme.test", "last_active_at": "2027-03-07T10:00:00Z",
                        "feature": "reports"}])
    if headers == "slack":
        from bot.devkit.slack_requests import sign

        headers = sign(SECRET, body, time.time(), content_type="application/json")
    before = ctx.count(UsageRecord)
    response = httpx.post(f"{ctx.world.url}/api/usage?launch={ctx.acme}", content=body,
                          headers={"Content-Type": "application/json", **headers}, timeout=10)
    assert response.status_code == status, response.text
    if status == 200:
        assert ctx.count(UsageRecord) == before + 1 and response.json()["imported"] == 1
    else:
        assert ctx.count(UsageRecord) == before and response.json()["ok"] is False


# -- the CLI: operator-level --------------------------------------------------------------------------


# The operator's launches go live after today: the CLI refuses a go-live date in the past.
CLI_GO_LIVE = monday_ahead(2)


@dataclass
class CliWorld:
    env: dict[str, str]
    db_url: str
    tmp: Path
    launch: int


@pytest.fixture(scope="module")
def cli_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliWorld]:
    """A database of its own (the operator's), with one launch; no GOLIVE_ADMINS, no GOLIVE_TEAM_ID, no
    signing secret: no Slack identity exists for these commands."""
    from storage.db import Database
    from storage.migrate import upgrade

    tmp = tmp_path_factory.mktemp("authz-cli")
    db_url = f"sqlite:///{tmp / 'operator.db'}"
    db = Database(db_url)
    upgrade(db)
    with db.session() as s:
        launch = _launch(s, datetime.now(UTC), customer="Cli Corp", channel="C0CLI", go_live=CLI_GO_LIVE.isoformat(),
                         tz="Europe/Berlin", csm=["U0CSM"])
    db.dispose()
    (tmp / "launches.yml").write_text("launches:\n  - customer: Yaml Corp\n    channel: C0YAML\n"
                                      f"    go_live: '{CLI_GO_LIVE + timedelta(days=1)}'\n    tz: Europe/Berlin\n"
                                      "    csm: [U0CSM]\n")
    (tmp / "usage.csv").write_text("email,last_active_at,feature\ncora@acme.test,2024-03-07T10:00:00Z,reports\n")
    yield CliWorld(env={"GOLIVE_DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-not-used-by-these-commands",
                        "SLACK_API_URL": "http://127.0.0.1:9/api/"}, db_url=db_url, tmp=tmp, launch=launch)


def _rows(cw: CliWorld, model, *where) -> list:  # noqa: ANN001
    from storage.db import Database

    db = Database(cw.db_url)
    try:
        with db.session() as s:
            return list(s.exec(select(model).where(*where)).all())
    finally:
        db.dispose()


def _cli_cases() -> dict[str, tuple[Callable[[CliWorld], list[str]], Callable[[CliWorld], bool]]]:
    """command -> (arguments, proof that the change happened)."""
    return {
        "launch add": (lambda cw: ["launch", "add", "--customer", "Added Corp", "--channel", "C0ADDED", "--go-live",
                                   str(CLI_GO_LIVE + timedelta(days=2)), "--tz", "Europe/Berlin"],
                       lambda cw: bool(_rows(cw, Launch, Launch.channel == "C0ADDED"))),
        "launch import": (lambda cw: ["launch", "import", str(cw.tmp / "launches.yml")],
                          lambda cw: bool(_rows(cw, Launch, Launch.channel == "C0YAML"))),
        "launch criteria --done": (lambda cw: ["launch", "criteria", str(cw.launch), "--done", "integrations_tested"],
                                   lambda cw: all(i.done for i in _rows(cw, ReadinessItem,
                                                                        ReadinessItem.launch_id == cw.launch,
                                                                        ReadinessItem.key == "integrations_tested"))),
        "launch live --force": (lambda cw: ["launch", "live", str(cw.launch), "--force", "--reason", "Board says go"],
                                lambda cw: _rows(cw, Launch, Launch.id == cw.launch)[0].status == "live"),
        # A tick now, before anything of the launch is due.
        "tick": (lambda cw: ["tick", "--at", f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}", "--wait", "0"],
                 lambda cw: True),
        "db upgrade": (lambda cw: ["db", "upgrade"], lambda cw: True),
        "usage import": (lambda cw: ["usage", "import", str(cw.tmp / "usage.csv"), "--launch", str(cw.launch),
                                     "--no-match"],
                         lambda cw: bool(_rows(cw, UsageRecord, UsageRecord.launch_id == cw.launch))),
        "template add-item": (lambda cw: ["template", "add-item", "Printers mapped"],
                              lambda cw: bool(_rows(cw, ChecklistTemplateItem))),
        "backup": (lambda cw: ["backup", str(cw.tmp / "copy.db")], lambda cw: (cw.tmp / "copy.db").stat().st_size > 0),
        "purge --older-than": (lambda cw: ["purge", "--older-than", "3650"], lambda cw: True),
        "forget-user": (lambda cw: ["forget-user", "U0CUST1"], lambda cw: True),
    }


CLI_CASES = _cli_cases()


@pytest.mark.parametrize("command", list(CLI_CASES))
def test_cli_is_operator_level(cli_world: CliWorld, command: str) -> None:
    """Whoever can run `golive` has the database: each state-changing command works for the operator,
    with no Slack identity configured or asked for."""
    args, proof = CLI_CASES[command]
    result = run_golive(args(cli_world), cli_world.env, cwd=cli_world.tmp)
    assert result.code == 0, (command, result.stderr)
    assert proof(cli_world), (command, result.stdout, result.stderr)
