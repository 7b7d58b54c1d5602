"""`golive demo`: a whole go-live week rehearsed in seconds against a simulated Slack workspace,
with the real app over HTTP, the real scheduler and storage, showing what each person saw.

The worker runs on a fast simulated clock (`Worker` in stage.py): every simulated minute in which something
is due is ticked, in order, so nothing is found late or skipped unless the story says so. The story is the
list `STORY` of chapters, and launch week is the list `LAUNCH_WEEK` of moments in a day: each is one
function, placed in the list where its time falls, so the story grows by adding an entry."""

from __future__ import annotations

import random
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule
from sqlmodel import func, select

from bot.core.settings import Settings
from bot.devkit.demo_adoption import first_adoption_report, usage_import
from bot.devkit.demo_milestones import (
    before_go_live,
    declare_live,
    goal_review,
    lesson_for_every_launch,
    retrospective,
)
from bot.devkit.simulator import SlackSimulator
from bot.devkit.slack_requests import SlackRequestSender
from bot.devkit.stage import PEOPLE, ZONE, Chapter, Demo, DemoClock, Stage, Worker, local, next_monday
from bot.features.checkins.service import checkin_days
from bot.features.launches.service import LaunchInput, launch_for_channel
from bot.features.milestones.service import reminder_days
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from bot.runtime import Runtime
from storage.models import CheckInAnswer, Issue, IssueStatus, Launch

VENDOR = "T0VENDOR"
CUSTOMER = "T0ACME"
CUSTOMERS = ["U0CORA", "U0CYRIL", "U0CLEO", "U0CARL"]
CHANNEL = "C0ACME"


def build_workspace(sim: SlackSimulator) -> None:
    sim.add_team(CUSTOMER, "Acme Corp")
    for uid, (name, _) in PEOPLE.items():
        team = CUSTOMER if uid in CUSTOMERS else VENDOR
        sim.add_user(uid, name, team_id=team, email=f"{name}@{'acme' if team == CUSTOMER else 'vendor'}.test")
    sim.update_user("U0CLEO", status_emoji=":palm_tree:", status_text="On vacation until Thursday")
    sim.add_channel("C0ACME", "acme-golive", members=["U0CARLA", *CUSTOMERS], is_ext_shared=True)
    sim.add_channel("C0SUPPORT", "support", members=["U0SAM"])
    sim.add_channel("C0URGENT", "support-urgent", members=["U0SAM"])
    sim.add_channel("C0LEADERS", "acme-leadership", members=["U0CARLA"])


# -- the chapters before launch week ---------------------------------------------------------------------


def plan_the_launch(demo: Demo) -> dict:
    """A week before go-live, Carla adds the launch and asks where it stands."""
    with demo.runtime.db.session() as s:
        spec = LaunchInput.parse({
            "customer": "Acme Corp", "channel": CHANNEL, "go_live": demo.go_live.isoformat(), "tz": ZONE,
            "checkin_time": "10:00", "digest_time": "08:30", "csm": ["U0CARLA"], "support_channel": "C0SUPPORT",
            "urgent_channel": "C0URGENT", "oncall": "U0SAM", "leadership_channel": "C0LEADERS",
            "goal": ["40 of 50 invited users active in week 2", "First month-end close run in the product"],
            "locale": demo.facts.get("locale", "en"),
        })
        launch, _ = save_launch(s, spec, now=demo.clock())
        replan(s, launch, now=demo.clock())
        demo.launch_id = launch.id
    demo.console.print(f"Carla ran: golive launch add --customer 'Acme Corp' --channel C0ACME --go-live "
                       f"{demo.go_live} --tz {ZONE} --csm U0CARLA --support-channel C0SUPPORT …  "
                       f"(launch {demo.launch_id})")
    answer = demo.slack.slash_command("status", user_id="U0CARLA", channel_id=CHANNEL)
    demo.stage.panel(answer.json()["text"], "only Carla sees: /golive status")
    return {"launch_id": demo.launch_id}


def business_day_before(demo: Demo) -> None:
    """The heads-up to the CSM on the business day before go-live, and the last checklist reminder."""
    with demo.runtime.db.session() as s:
        (_, _), (_, one_before) = reminder_days(s.get(Launch, demo.launch_id))
    demo.at(local(one_before, 10), f"{one_before:%a %d %b} 10:00 — the business day before go-live")


# -- launch week: the moments of a day, in time order ----------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """Something that happens on launch-week days (`days`: which, 1-based; None: every day) at a local time;
    `run(demo, day, number)` advances the clock itself from there."""

    hour: int
    minute: int
    run: Any  # Callable[[Demo, date, int], None]
    days: frozenset[int] | None = None


def standup_digest(demo: Demo, day: date, number: int) -> None:
    demo.at(local(day, 8, 30), f"{day:%a %d %b} 08:30 — Carla's standup digest, before the daily standup")


def go_live_morning(demo: Demo, day: date, number: int) -> None:
    declare_live(demo)


def daily_checkin(demo: Demo, day: date, number: int) -> None:
    """The check-in post; most of Acme's people answer within minutes (Cleo is on vacation)."""
    demo.at(local(day, 10), f"{day:%a %d %b} 10:00 — check-in, day {number}")
    # The day's check-in, found by its buttons (its text is in the launch's language).
    post = [m for m in demo.sim.messages(CHANNEL) if not m.is_reply and "checkin_good" in str(m.blocks)][number - 1]
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    responders = [u for u in CUSTOMERS if u != "U0CLEO" and demo.rng.random() < 0.75]
    if number == 2 and "U0CORA" not in responders:
        responders.insert(0, "U0CORA")  # the story needs her blocked answer on day 2
    moods = ["checkin_good"] * 5 + ["checkin_friction"] * 2 + ["checkin_blocked"]
    for minute, user in enumerate(responders, start=5):
        at = demo.at(local(day, 10, minute), quiet=True)
        action = "checkin_blocked" if (number == 2 and user == "U0CORA") else demo.rng.choice(moods)
        demo.slack.block_action(action, user_id=user, channel_id=CHANNEL, message_ts=post["ts"], value=value,
                                user_team_id=CUSTOMER)
        demo.say(at, f"{demo.stage.who(user)} clicks {action.split('_')[1]}")
        demo.stage.show_private(user)
    demo.at(local(day, 10, 30), f"{day:%a %d %b} 10:30 — answers so far")


def blocked_answer_picked_up(demo: Demo, day: date, number: int) -> None:
    """Cora's Blocked answer became an issue with the sev2 SLA; nobody acknowledges it within the hour, so
    golive escalates to on-call — and Sam picks it up."""
    with demo.runtime.db.session() as s:
        issue = s.exec(select(Issue).where(Issue.launch_id == demo.launch_id, Issue.status == IssueStatus.OPEN)
                       .order_by(Issue.id)).first()
        if issue is None or issue.next_escalation_at is None:
            return
        card_ts, issue_id, escalation = issue.support_ts, issue.id, issue.next_escalation_at
    at = demo.at(escalation.replace(tzinfo=escalation.tzinfo or UTC) + timedelta(minutes=4))  # shows the escalation
    demo.slack.block_action("issue_ack", user_id="U0SAM", channel_id="C0SUPPORT", message_ts=card_ts,
                            value=str(issue_id))
    demo.say(at, "Sam clicks Acknowledge on the escalated card in #support")
    demo.stage.show_private("U0SAM")
    reply = demo.sim.post_as_user("C0SUPPORT", "U0SAM", ">> Sorry for the wait, Cora — what is blocking you?",
                                  thread_ts=card_ts)
    demo.slack.message(reply["text"], user_id="U0SAM", channel_id="C0SUPPORT", ts=reply["ts"], thread_ts=card_ts)
    demo.say(at, "Sam asks in the card's thread, starting with >> so it goes to Cora")
    demo.at(at + timedelta(minutes=1), f"{day:%a %d %b} {_hhmm(at)} — acknowledged: Cora hears back in her thread")


def _hhmm(instant: datetime) -> str:
    return f"{instant.astimezone(ZoneInfo(ZONE)):%H:%M}"


def afternoon_nudge(demo: Demo, day: date, number: int) -> None:
    demo.at(local(day, 13), f"{day:%a %d %b} 13:00 — a gentle nudge for those who have not answered")


def problem_reported_with_reaction(demo: Demo, day: date, number: int) -> None:
    """A customer flags a message with 🚨; nobody acknowledges for an hour, so golive escalates; Sam
    acknowledges, answers the customer from the support thread, resolves; the customer rates the help."""
    sim, slack, stage = demo.sim, demo.slack, demo.stage
    at = demo.at(local(day, 14))
    message = sim.post_as_user(CHANNEL, "U0CYRIL", "The month-end report export just spins and never finishes :(")
    demo.say(at, "Cyril writes in the channel, and Cora reacts to it with 🚨")
    slack.reaction_added("rotating_light", user_id="U0CORA", channel_id=CHANNEL, item_ts=message["ts"],
                         user_team=CUSTOMER)
    demo.at(local(day, 14, 1), f"{day:%a %d %b} 14:01 — a problem reported with a reaction")
    with demo.runtime.db.session() as s:
        issue = s.exec(select(Issue).where(Issue.source == "🚨 reaction")).one()
        card_ts, issue_id = issue.support_ts, issue.id
    at = demo.at(local(day, 15, 5))  # the escalation at 15:00 shows on its own
    slack.block_action("issue_ack", user_id="U0SAM", channel_id="C0SUPPORT", message_ts=card_ts,
                       value=str(issue_id))
    demo.say(at, "Sam clicks Acknowledge on the card in #support")
    stage.show_private("U0SAM")
    at = demo.at(local(day, 15, 6), quiet=True)
    reply = sim.post_as_user("C0SUPPORT", "U0SAM", ">> Found it: a stuck export job. Restarting it now.",
                             thread_ts=card_ts)
    slack.message(reply["text"], user_id="U0SAM", channel_id="C0SUPPORT", ts=reply["ts"], thread_ts=card_ts)
    demo.say(at, "Sam replies in the card's thread, starting with >> so it goes to the customer")
    demo.at(local(day, 15, 7), f"{day:%a %d %b} 15:07 — acknowledged, and the customer hears back in their thread")
    at = demo.at(local(day, 15, 30), quiet=True)
    slack.block_action("issue_resolve", user_id="U0SAM", channel_id="C0SUPPORT", message_ts=card_ts,
                       value=str(issue_id), trigger_id=f"{int(at.timestamp())}.U0SAM.demo")
    view = sim.views_for("U0SAM")
    slack.view_submission("issue_resolve_modal", user_id="U0SAM", private_metadata=view["private_metadata"],
                          values={"note": {"note": {"type": "plain_text_input",
                                                    "value": "Export job restarted; exports finish in ~40 s again."}}})
    demo.say(at, "Sam resolves it with a note")
    at = demo.at(local(day, 15, 31), f"{day:%a %d %b} 15:31 — resolved")
    resolved, button = _satisfaction_question(demo, issue_id, "up")  # found by its button: any language
    slack.block_action(button["action_id"], user_id="U0CORA", channel_id=CHANNEL, message_ts=resolved["ts"],
                       value=button["value"], user_team_id=CUSTOMER)
    demo.say(at, "Cora clicks Helpful")
    stage.show_private("U0CORA")


def _satisfaction_question(demo: Demo, issue_id: int, answer: str) -> tuple[Any, dict]:
    """The reply asking the reporter how it went, and its 👍 ("up") or 👎 ("down") button."""
    value = f"{issue_id}:{answer}"
    for message in reversed(demo.sim.messages(CHANNEL)):
        for block in message.blocks or []:
            for element in block.get("elements", []) if block["type"] == "actions" else []:
                if element.get("value") == value:
                    return message, element
    raise LookupError(f"no satisfaction question for issue {issue_id}")


def _issue(demo: Demo, text_part: str) -> Issue:
    with demo.runtime.db.read() as s:
        return s.exec(select(Issue).where(Issue.launch_id == demo.launch_id, Issue.text.contains(text_part))
                      .order_by(Issue.id.desc())).first()


def _mention(demo: Demo, user: str, text: str) -> None:
    """A customer's message mentioning @golive: the message is in the channel, and Slack sends the event."""
    message = demo.sim.post_as_user(CHANNEL, user, f"<@{demo.sim.bot_user_id}> {text}")
    demo.slack.app_mention(message["text"], user_id=user, channel_id=CHANNEL, ts=message["ts"], user_team=CUSTOMER)


def same_problem_twice(demo: Demo, day: date, number: int) -> None:
    """Two of Acme's people report the same SSO problem in their own words, twenty minutes apart. golive sees
    the second means the same as the first ("looks like #…"); Sam links it with one click, so one fix answers
    both, and each reporter hears in their own thread."""
    slack = demo.slack
    at = demo.at(local(day, 11), quiet=True)
    _mention(demo, "U0CARL", "SSO login fails for our finance team: the Okta page shows an error")
    demo.say(at, "Carl mentions @golive: SSO login fails for the finance team")
    demo.at(local(day, 11, 1), f"{day:%a %d %b} 11:01 — a problem reported with a mention")
    at = demo.at(local(day, 11, 20), quiet=True)
    _mention(demo, "U0CYRIL", "Cannot log in with SSO, Okta gives an error page")
    demo.say(at, "Cyril mentions @golive too, in other words")
    demo.at(local(day, 11, 21), f"{day:%a %d %b} 11:21 — the second report's card says what it looks like")
    second = _issue(demo, "Cannot log in with SSO")
    first = _issue(demo, "SSO login fails")
    if second is None or first is None or second.looks_like_id is None:
        return
    at = demo.at(local(day, 11, 25), quiet=True)
    slack.block_action("issue_same", user_id="U0SAM", channel_id="C0SUPPORT", message_ts=second.support_ts,
                       value=f"{second.id}:{second.looks_like_id}")
    demo.say(at, f"Sam clicks “Same problem as #{first.number}” on the second card")
    demo.stage.show_private("U0SAM")
    at = demo.at(local(day, 11, 30), quiet=True)
    slack.block_action("issue_ack", user_id="U0SAM", channel_id="C0SUPPORT", message_ts=first.support_ts,
                       value=str(first.id))
    demo.say(at, f"Sam acknowledges #{first.number}: both reporters hear it in their own threads")
    demo.stage.show_private("U0SAM")
    demo.at(local(day, 11, 31), f"{day:%a %d %b} 11:31 — one acknowledgement, two reporters told")


def thumbs_down_reaches_the_csm(demo: Demo, day: date, number: int) -> None:
    """Sam resolves the SSO problem; Carl finds it is not really fixed and answers 👎 — Carla, the CSM, gets a
    DM with the issue, the resolution and a Reopen button."""
    sim, slack = demo.sim, demo.slack
    first = _issue(demo, "SSO login fails")
    if first is None or first.support_ts is None:
        return
    at = demo.at(local(day, 16), quiet=True)
    slack.block_action("issue_resolve", user_id="U0SAM", channel_id="C0SUPPORT", message_ts=first.support_ts,
                       value=str(first.id), trigger_id=f"{int(at.timestamp())}.U0SAM.demo")
    view = sim.views_for("U0SAM")
    slack.view_submission("issue_resolve_modal", user_id="U0SAM", private_metadata=view["private_metadata"],
                          values={"note": {"note": {"type": "plain_text_input",
                                                    "value": "Okta app re-linked to the finance group."}}})
    demo.say(at, f"Sam resolves #{first.number} with a note")
    at = demo.at(local(day, 16, 1), f"{day:%a %d %b} 16:01 — resolved: every linked reporter hears it")
    asked, button = _satisfaction_question(demo, first.id, "down")
    at = demo.at(local(day, 16, 20), quiet=True)
    slack.block_action(button["action_id"], user_id="U0CARL", channel_id=CHANNEL, message_ts=asked["ts"],
                       value=button["value"], user_team_id=CUSTOMER)
    demo.say(at, "Carl clicks Not really: SSO still fails for him")
    demo.stage.show_private("U0CARL")
    demo.at(local(day, 16, 21), f"{day:%a %d %b} 16:21 — the 👎 reaches Carla, with a way to reopen")


LAUNCH_WEEK: list[Moment] = [
    Moment(8, 30, standup_digest),
    Moment(9, 15, go_live_morning, frozenset({1})),
    Moment(10, 0, daily_checkin),
    Moment(11, 0, blocked_answer_picked_up, frozenset({2})),
    Moment(11, 0, same_problem_twice, frozenset({3})),
    Moment(13, 0, afternoon_nudge),
    Moment(14, 0, problem_reported_with_reaction, frozenset({2})),
    Moment(16, 0, thumbs_down_reaches_the_csm, frozenset({3})),
    # More moments go here in time order.
]


def launch_week(demo: Demo) -> dict:
    with demo.runtime.db.session() as s:
        days = checkin_days(launch_for_channel(s, CHANNEL))
    for number, day in enumerate(days, start=1):
        for moment in sorted(LAUNCH_WEEK, key=lambda m: (m.hour, m.minute)):
            if moment.days is None or number in moment.days:
                moment.run(demo, day, number)
    demo.facts["last_day"] = days[-1]
    return {"checkins": len(days), "last_day": days[-1]}


# -- the story ------------------------------------------------------------------------------------------

STORY: list[Chapter] = [
    plan_the_launch,        # a week before go-live: Carla adds the launch
    before_go_live,         # three business days before: the checklist reminder, Carla ticks the criteria
    business_day_before,    # the heads-up to the CSM and the customer channel's last reminder
    launch_week,            # LAUNCH_WEEK, every check-in day
    usage_import,           # Friday evening: the launch-week chart, adoption nudges on, a usage import
    first_adoption_report,  # a week after go-live: the wrap-up to leadership, the first weekly adoption report
    retrospective,          # the retrospective opens, people answer, the summary
    lesson_for_every_launch,  # Carla makes a proposed lesson a criterion of every future launch
    goal_review,            # 30 days live: the goal review and the outcome to leadership
]


def run_demo(out_dir: Path, *, seed: int = 7, console: Console | None = None,
             story: list[Chapter] | None = None, locale: str = "en") -> dict:
    console = console or Console(highlight=False)
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    go_live = next_monday(datetime.now(UTC).date())
    clock = DemoClock(local(go_live - timedelta(days=7), 9))
    secret = secrets.token_hex(16)
    # Files are shared at once (Slack takes a moment), so the chart shows next to the digest that carried it.
    with SlackSimulator(team_id=VENDOR, share_delay=0) as sim:
        build_workspace(sim)
        settings = Settings.from_env({
            "SLACK_BOT_TOKEN": sim.bot_token, "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": sim.url,
            "GOLIVE_DATABASE_URL": f"sqlite:///{out_dir / 'golive-demo.db'}", "GOLIVE_ADMINS": "U0ADA",
            "GOLIVE_TEAM_ID": VENDOR,
        })
        runtime = Runtime(settings, clock=clock)
        server = runtime.web(host="127.0.0.1", port=0).start_in_thread()
        slack = SlackRequestSender(server.url, secret, team_id=VENDOR, response_url_base=sim.response_url_base,
                                   settle=runtime.after_ack.wait_idle)
        stage = Stage(sim, console)
        demo = Demo(runtime=runtime, slack=slack, stage=stage, clock=clock, worker=Worker(runtime, clock, stage),
                    go_live=go_live, rng=random.Random(seed), out_dir=out_dir)
        demo.facts["locale"] = locale
        try:
            summary = _rehearse(demo, STORY if story is None else story)
        finally:
            server.stop()
            runtime.close()
    summary["database"] = str(out_dir / "golive-demo.db")
    console.print(Rule("done", style="cyan"))
    console.print(f"Rehearsed launch week {go_live:%a %d %b} – {summary['last_day']:%a %d %b %Y} for Acme Corp: "
                  f"{summary['checkins']} check-ins, {summary['answers']} answers, {summary['issues']} issue(s).")
    console.print(f"The demo's database is {summary['database']} — try `GOLIVE_DATABASE_URL=sqlite:///"
                  f"{summary['database']} golive launch show 1`.")
    return summary


def _rehearse(demo: Demo, story: list[Chapter]) -> dict:
    demo.console.print(Panel.fit(
        "golive rehearses Acme Corp's go-live week against a simulated Slack workspace.\n"
        "Carla is the CSM, Sam is on support; Cora, Cyril, Cleo and Carl are Acme's people in the shared channel.\n"
        "Everything below went through the real app, scheduler, outbox and database.\n"
        "The worker runs on a fast simulated clock: every minute in which something is due is ticked, in order.",
        title="golive demo"))
    summary: dict[str, Any] = {}
    for chapter in story:
        summary[chapter.__name__] = chapter(demo) or {}
    with demo.runtime.db.session() as s:
        answers = s.exec(select(func.count(CheckInAnswer.id))).one()
        issues = s.exec(select(func.count(Issue.id))).one()
    week = summary.get("launch_week", {})
    return {**summary, "checkins": week.get("checkins", 0), "answers": answers, "issues": issues,
            "last_day": week.get("last_day", demo.go_live), "ticks": demo.worker.ticks}
