"""`golive demo`: a whole go-live week rehearsed in seconds against a simulated Slack workspace,
with the real app over HTTP, the real scheduler and storage, showing what each person saw."""

from __future__ import annotations

import random
import secrets
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule
from sqlmodel import func, select

from bot.core.settings import Settings
from bot.devkit.demo_adoption import show_digest_and_adoption
from bot.devkit.demo_milestones import after_launch_week, before_go_live, declare_live
from bot.devkit.simulator import SlackSimulator
from bot.devkit.slack_requests import SlackRequestSender
from bot.devkit.stage import PEOPLE, ZONE, DemoClock, Stage, deliver, local, next_monday
from bot.features.checkins.service import checkin_days
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from bot.runtime import Runtime
from storage.models import CheckInAnswer, Issue

VENDOR = "T0VENDOR"
CUSTOMER = "T0ACME"
CUSTOMERS = ["U0CORA", "U0CYRIL", "U0CLEO", "U0CARL"]


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


def run_demo(out_dir: Path, *, seed: int = 7, console: Console | None = None, locale: str = "en") -> dict:
    console = console or Console(highlight=False)
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    rng = random.Random(seed)
    go_live = next_monday(datetime.now(UTC).date())
    clock = DemoClock(local(go_live - timedelta(days=7), 9))
    secret = secrets.token_hex(16)
    with SlackSimulator(team_id=VENDOR) as sim:
        build_workspace(sim)
        settings = Settings.from_env({
            "SLACK_BOT_TOKEN": sim.bot_token, "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": sim.url,
            "GOLIVE_DATABASE_URL": f"sqlite:///{out_dir / 'golive-demo.db'}", "GOLIVE_ADMINS": "U0ADA",
            "GOLIVE_TEAM_ID": VENDOR,
        })
        runtime = Runtime(settings, clock=clock)
        server = runtime.web(host="127.0.0.1", port=0).start_in_thread()
        slack = SlackRequestSender(server.url, secret, team_id=VENDOR, response_url_base=sim.response_url_base)
        stage = Stage(sim, console)
        try:
            summary = _rehearse(runtime, slack, stage, clock, go_live, rng, out_dir, locale)
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


def _rehearse(runtime: Runtime, slack: SlackRequestSender, stage: Stage, clock: DemoClock, go_live: date,
              rng: random.Random, out_dir: Path, locale: str = "en") -> dict:


    console = stage.console
    console.print(Panel.fit(
        "golive rehearses Acme Corp's go-live week against a simulated Slack workspace.\n"
        "Carla is the CSM, Sam is on support; Cora, Cyril, Cleo and Carl are Acme's people in the shared channel.\n"
        "Everything below went through the real app, scheduler, outbox and database.", title="golive demo"))

    def tick(at: datetime, heading: str) -> None:
        clock.now = at
        runtime.tick_once(at)
        deliver(runtime, clock)
        stage.show_new(heading)

    with runtime.db.session() as s:
        spec = LaunchInput.parse({
            "customer": "Acme Corp", "channel": "C0ACME", "go_live": go_live.isoformat(), "tz": ZONE,
            "checkin_time": "10:00", "digest_time": "08:30", "csm": ["U0CARLA"], "support_channel": "C0SUPPORT",
            "urgent_channel": "C0URGENT", "oncall": "U0SAM", "leadership_channel": "C0LEADERS",
            "goal": ["40 of 50 invited users active in week 2", "First month-end close run in the product"],
            "locale": locale,
        })
        launch, _ = save_launch(s, spec, now=clock())
        replan(s, launch, now=clock())
        days = checkin_days(launch)
    console.print(f"Carla ran: golive launch add --customer 'Acme Corp' --channel C0ACME --go-live {go_live} "
                  f"--tz {ZONE} --csm U0CARLA --support-channel C0SUPPORT …  (launch {launch.id})")

    answer = slack.slash_command("status", user_id="U0CARLA", channel_id="C0ACME")
    console.print(Panel(answer.json()["text"], title="only Carla sees: /golive status", title_align="left",
                        border_style="magenta", expand=False))


    before_go_live(runtime, slack, stage, clock, go_live)
    friday = go_live - timedelta(days=3)
    tick(local(friday, 10), f"{friday:%a %d %b} 10:00 — the business day before go-live")
    moods = ["checkin_good"] * 5 + ["checkin_friction"] * 2 + ["checkin_blocked"]
    for number, day in enumerate(days, start=1):
        tick(local(day, 8, 30), f"{day:%a %d %b} 08:30 — Carla's standup digest, before the daily standup")
        if number == 1:
            declare_live(runtime, slack, stage, clock, go_live)
        tick(local(day, 10), f"{day:%a %d %b} 10:00 — check-in, day {number}")
        # The day's check-in, found by its buttons (its text is in the launch's language).
        post = [m for m in stage.sim.messages("C0ACME")
                if not m.is_reply and "checkin_good" in str(m.blocks)][number - 1]
        value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
        responders = [u for u in CUSTOMERS if u != "U0CLEO" and rng.random() < 0.75]
        for minute, user in enumerate(responders, start=5):
            clock.now = local(day, 10, minute)
            action = "checkin_blocked" if (number == 2 and user == "U0CORA") else rng.choice(moods)
            slack.block_action(action, user_id=user, channel_id="C0ACME", message_ts=post["ts"], value=value,
                               user_team_id=CUSTOMER)
            console.print(f"[dim]{clock.now.astimezone(ZoneInfo(ZONE)):%H:%M}[/dim] {stage.who(user)} clicks "
                          f"{action.split('_')[1]}")
            stage.show_private(user)
        clock.now = local(day, 10, 30)
        deliver(runtime, clock)
        stage.show_new(f"{day:%a %d %b} 10:30 — answers so far")
        tick(local(day, 13), f"{day:%a %d %b} 13:00 — a gentle nudge for those who have not answered")
        if number == 2:
            _problem_story(runtime, slack, stage, clock, day, tick)
    adoption = show_digest_and_adoption(runtime, slack, stage, clock, go_live, out_dir)
    milestones = after_launch_week(runtime, slack, stage, clock, go_live)
    with runtime.db.session() as s:
        answers = s.exec(select(func.count(CheckInAnswer.id))).one()
        issues = s.exec(select(func.count(Issue.id))).one()
    return {"checkins": len(days), "answers": answers, "issues": issues, "last_day": days[-1],
            "adoption": adoption, "milestones": milestones}


def _problem_story(runtime: Runtime, slack: SlackRequestSender, stage: Stage, clock: DemoClock, day: date,
                   tick) -> None:  # noqa: ANN001
    """A customer flags a message with 🚨; nobody acknowledges for an hour, so golive escalates; Sam
    acknowledges, answers the customer from the support thread, resolves; the customer rates the help."""

    console, sim = stage.console, stage.sim
    clock.now = local(day, 14)
    message = sim.post_as_user("C0ACME", "U0CYRIL", "The month-end report export just spins and never finishes :(")
    console.print("[dim]14:00[/dim] Cyril writes in the channel, and Cora reacts to it with :rotating_light:")
    slack.reaction_added("rotating_light", user_id="U0CORA", channel_id="C0ACME", item_ts=message["ts"],
                         user_team=CUSTOMER)
    deliver(runtime, clock)
    stage.show_new(f"{day:%a %d %b} 14:00 — a problem reported with a reaction")
    tick(local(day, 15, 1), f"{day:%a %d %b} 15:01 — an hour without acknowledgement: golive escalates")
    with runtime.db.session() as s:

        issue = s.exec(select(Issue).where(Issue.source == "🚨 reaction")).one()
        card_ts, issue_id = issue.support_ts, issue.id
    clock.now = local(day, 15, 5)
    slack.block_action("issue_ack", user_id="U0SAM", channel_id="C0SUPPORT", message_ts=card_ts,
                       value=str(issue_id))
    console.print("[dim]15:05[/dim] Sam clicks Acknowledge on the card in #support")
    stage.show_private("U0SAM")
    reply = sim.post_as_user("C0SUPPORT", "U0SAM", ">> Found it: a stuck export job. Restarting it now.",
                             thread_ts=card_ts)
    slack.message(reply["text"], user_id="U0SAM", channel_id="C0SUPPORT", ts=reply["ts"], thread_ts=card_ts)
    console.print("[dim]15:06[/dim] Sam replies in the card's thread, starting with >> so it goes to the customer")
    deliver(runtime, clock)
    stage.show_new(f"{day:%a %d %b} 15:06 — acknowledged, and the customer hears back in their thread")
    clock.now = local(day, 15, 30)
    slack.block_action("issue_resolve", user_id="U0SAM", channel_id="C0SUPPORT", message_ts=card_ts,
                       value=str(issue_id), trigger_id=f"{int(clock.now.timestamp())}.U0SAM.demo")
    view = sim.views_for("U0SAM")
    slack.view_submission("issue_resolve_modal", user_id="U0SAM", private_metadata=view["private_metadata"],
                          values={"note": {"note": {"type": "plain_text_input",
                                                    "value": "Export job restarted; exports finish in ~40 s again."}}})
    console.print("[dim]15:30[/dim] Sam resolves it with a note")
    deliver(runtime, clock)
    stage.show_new(f"{day:%a %d %b} 15:30 — resolved")
    resolved = [m for m in sim.messages("C0ACME") if m.is_reply and "is resolved" in m["text"]][-1]
    button = next(e for b in resolved.blocks if b["type"] == "actions" for e in b["elements"])
    slack.block_action(button["action_id"], user_id="U0CORA", channel_id="C0ACME", message_ts=resolved["ts"],
                       value=button["value"], user_team_id=CUSTOMER)
    console.print("[dim]15:32[/dim] Cora clicks Helpful")
    stage.show_private("U0CORA")


