"""The milestone chapters of `golive demo`: the go-live checklist before launch week, then declaring live,
the retrospective and the 30-day goal review after it. Listed in bot/devkit/demo.py's STORY."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.devkit.stage import ZONE, Demo, local
from bot.features.launches.service import get_launch
from bot.features.milestones.service import goal_review_instant, reminder_days
from bot.features.retro import service as retro
from storage.models import ChecklistTemplateItem

CSM = "U0CARLA"
CUSTOMER_TEAM = "T0ACME"
CHANNEL = "C0ACME"


def _when(instant: datetime) -> str:
    return f"{instant.astimezone(ZoneInfo(ZONE)):%a %d %b %H:%M}"


def _show(demo: Demo, title: str, blocks: list[dict]) -> None:
    demo.stage.panel(None, title, blocks=blocks)
    demo.stage.responses_seen = len(demo.sim.responses)


def _click_checkboxes(demo: Demo, response: dict, texts: set[str]) -> dict:
    """Carla ticks the boxes whose text is in `texts` (and keeps the ones already ticked) in every group."""
    for block in [b for b in response["blocks"] if b["type"] == "actions"]:
        element = block["elements"][0]
        ticked = {o["value"] for o in element.get("initial_options") or []}
        selected = [o for o in element["options"] if o["text"]["text"] in texts or o["value"] in ticked]
        if len(selected) == len(ticked):
            continue
        action = {"type": "checkboxes", "action_id": element["action_id"], "block_id": block["block_id"],
                  "selected_options": selected, "action_ts": "1.0"}
        demo.slack.block_action(element["action_id"], user_id=CSM, channel_id=CHANNEL, message_ts="1.0",
                                extra={"actions": [action]})
        response = demo.sim.responses[-1]
    return response


def before_go_live(demo: Demo) -> dict[str, Any]:
    """Three business days before go-live: the checklist reminder; Carla ticks criteria with /golive ready;
    the day after, the last ones."""
    with demo.runtime.db.session() as s:
        (_, three_before), (_, one_before) = reminder_days(get_launch(s, demo.launch_id))
    demo.at(local(three_before, 14),
            f"{three_before:%a %d %b} 14:00 — three business days before go-live: the checklist reminder")

    at = demo.at(local(three_before, 15))
    answer = demo.slack.slash_command("ready", user_id=CSM, channel_id=CHANNEL).json()["text"]
    demo.say(at, "Carla runs /golive ready in #acme-golive")
    demo.stage.panel(answer, "only Carla sees: /golive ready")
    checklist = demo.sim.responses[-1]
    _show(demo, "only Carla sees: the go-live checklist", checklist["blocks"])
    at = demo.at(local(three_before, 15, 5))
    checklist = _click_checkboxes(demo, checklist, {
        "All integrations tested end to end", "Key data migrated and validated", "Support escalation paths defined",
        "Fallback procedure agreed"})
    demo.say(at, "Carla ticks four criteria")
    _show(demo, "only Carla sees: the checklist, updated", checklist["blocks"])

    at = demo.at(local(three_before + timedelta(days=1), 16))
    demo.slack.slash_command("ready", user_id=CSM, channel_id=CHANNEL)
    checklist = _click_checkboxes(demo, demo.sim.responses[-1], {
        "Primary users trained", "Admins trained on configuration changes"})
    demo.say(at, "After the training sessions, Carla ticks the last two")
    _show(demo, "only Carla sees: the checklist, all done", checklist["blocks"])
    demo.worker.deliver()
    return {"reminder_days": [three_before, one_before]}


def declare_live(demo: Demo) -> None:
    """Go-live morning, every criterion met: Carla declares the launch live (announcement to leadership,
    launch-day post in the customer channel); a second /golive live changes nothing."""
    at = demo.at(local(demo.go_live, 9, 15))
    answer = demo.slack.slash_command("live", user_id=CSM, channel_id=CHANNEL).json()["text"]
    demo.say(at, "The switch is done: Carla runs /golive live")
    demo.stage.panel(answer, "only Carla sees: /golive live")
    demo.at(local(demo.go_live, 9, 16),
            f"{demo.go_live:%a %d %b} 09:15 — we are live: the announcement to leadership, and how to get help")
    again = demo.slack.slash_command("live", user_id=CSM, channel_id=CHANNEL).json()["text"]
    demo.stage.panel(again, "only Carla sees: /golive live, a second time")


def retrospective(demo: Demo) -> dict[str, Any]:
    """The retrospective opens in the customer channel, people answer, a reminder, the summary."""
    with demo.runtime.db.session() as s:
        plan = retro.retro_plan(get_launch(s, demo.launch_id))
    demo.at(plan.prompt, f"{_when(plan.prompt)} — the retrospective opens")
    prompt = [m for m in demo.sim.messages(CHANNEL) if "retro_open" in str(m.blocks)][0]
    button = next(e for b in prompt.blocks if b["type"] == "actions" for e in b["elements"])
    answers = [
        ("U0CORA", CUSTOMER_TEAM, "Daily check-ins made it easy to speak up; support answered fast.",
         "Admin training came a week too late for our month-end.", "4"),
        ("U0CYRIL", CUSTOMER_TEAM, "The export fix was quick and we heard back in the thread.",
         "Test the month-end export with real data before go-live.", "4"),
        (CSM, None, "Criteria were all met before go-live.", "Book admin training before the data migration.",
         "5"),
    ]
    for minute, (user, team, went_well, improve, rating) in enumerate(answers, start=1):
        at = demo.at(plan.prompt + timedelta(minutes=15 * minute))
        demo.slack.block_action("retro_open", user_id=user, channel_id=CHANNEL, message_ts=prompt["ts"],
                                value=button["value"], user_team_id=team)
        view = demo.sim.views_for(user)
        demo.slack.view_submission("retro_modal", user_id=user, user_team_id=team,
                                   private_metadata=view["private_metadata"],
                                   values={"went_well": {"went_well": went_well}, "improve": {"improve": improve},
                                           "rating": {"rating": {"type": "radio_buttons",
                                                                 "selected_option": {"value": rating}}}})
        demo.say(at, f"{demo.stage.who(user)} answers the retrospective: rating {rating}; "
                     f"to improve: \u201c{improve}\u201d")
    demo.at(plan.reminder, f"{_when(plan.reminder)} — halfway: one reminder")
    demo.at(plan.summary, f"{_when(plan.summary)} — the retrospective closes: the summary")
    with demo.runtime.db.session() as s:
        report = retro.report(s, get_launch(s, demo.launch_id), demo.clock())
    demo.stage.panel(report.rstrip(), f"golive retro report --launch {demo.launch_id}", border_style="blue")
    return {"retro_answers": len(answers)}


def lesson_for_every_launch(demo: Demo) -> dict[str, Any]:
    """Carla reads the summary's proposed lessons and makes the first one a go-live criterion of every future
    launch, with one click."""
    summaries = [m for m in demo.sim.dm_messages(CSM) if m.blocks and any(
        b.get("accessory", {}).get("action_id") == "lesson_add_template" for b in m.blocks)]
    if not summaries:
        return {"lesson_added": None}
    summary = summaries[-1]
    block = next(b for b in summary.blocks if b.get("accessory", {}).get("action_id") == "lesson_add_template")
    at = demo.at(demo.clock() + timedelta(minutes=15), quiet=True)
    demo.slack.block_action("lesson_add_template", user_id=CSM, channel_id=summary.channel, message_ts=summary["ts"],
                            value=block["accessory"]["value"])
    demo.say(at, "Carla clicks “Add to every future checklist” on the first proposed lesson")
    demo.at(at + timedelta(minutes=1), f"{_when(at + timedelta(minutes=1))} — a lesson for every future launch")
    with demo.runtime.db.read() as s:
        items = s.exec(select(ChecklistTemplateItem).where(ChecklistTemplateItem.added_by == CSM)).all()
    lines = [f"• {item.text} — added by {demo.stage.who(item.added_by)}" for item in items]
    demo.stage.panel("Every future launch's go-live checklist now also has:\n" + "\n".join(lines),
                     "the checklist template", border_style="blue")
    return {"lesson_added": [item.text for item in items]}


def goal_review(demo: Demo) -> dict[str, Any]:
    """30 days after going live Carla confirms the goal review, and the outcome goes to leadership."""
    with demo.runtime.db.session() as s:
        review_at = goal_review_instant(get_launch(s, demo.launch_id))
    demo.at(review_at, f"{_when(review_at)} — 30 days live: the goal review")
    review = [m for m in demo.sim.dm_messages(CSM) if "30-day review" in m.plain_text()][-1]
    buttons = [e for b in review.blocks if b["type"] == "actions" for e in b["elements"]]
    goal_buttons = [e for e in buttons if e["action_id"] != "goals_confirm"]
    choices = ["goal_met", "goal_in_progress"]
    for n, value in enumerate(dict.fromkeys(e["value"] for e in goal_buttons)):
        demo.at(review_at + timedelta(minutes=10 + n), quiet=True)
        demo.slack.block_action(choices[n % 2], user_id=CSM, channel_id=review["channel"], message_ts=review["ts"],
                                value=value)
    confirm = next(e for e in buttons if e["action_id"] == "goals_confirm")
    demo.slack.block_action("goals_confirm", user_id=CSM, channel_id=review["channel"], message_ts=review["ts"],
                            value=confirm["value"])
    demo.say(demo.clock(), "Carla marks the first goal met and the second in progress, then confirms")
    _show(demo, "only Carla sees: the review, confirmed", demo.sim.responses[-1]["blocks"])
    demo.at(demo.clock() + timedelta(minutes=1), f"{_when(demo.clock())} — the 30-day outcome goes to leadership")
    return {"live_on": demo.go_live, "goal_review": review_at}
