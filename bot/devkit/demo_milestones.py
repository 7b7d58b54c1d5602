"""The milestone chapters of `golive demo`: the go-live checklist before launch week, then declaring live,
the retrospective and the 30-day goal review after it. Called from bot/devkit/demo.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rich.panel import Panel

from bot.devkit.simulator import render_blocks
from bot.devkit.stage import deliver, local
from bot.features.launches.service import get_launch, launch_for_channel
from bot.features.milestones.service import goal_review_instant, reminder_days
from bot.features.retro import service as retro

CSM = "U0CARLA"
CUSTOMER_TEAM = "T0ACME"
CHANNEL = "C0ACME"


def _launch_id(runtime) -> int:  # noqa: ANN001

    with runtime.db.session() as s:
        return launch_for_channel(s, CHANNEL).id


def _tick(runtime, stage, clock, at, heading: str) -> None:  # noqa: ANN001
    clock.now = at
    runtime.tick_once(at)
    deliver(runtime, clock)
    stage.show_new(heading)


def _render(blocks: list[dict], names=None) -> str:  # noqa: ANN001
    """Blocks as a person sees them, with checkboxes and buttons readable."""

    lines = []
    for block in blocks:
        element = (block.get("elements") or [{}])[0] if block.get("type") == "actions" else {}
        if element.get("type") == "checkboxes":
            ticked = {o["value"] for o in element.get("initial_options") or []}
            for option in element["options"]:
                mark = "☑" if option["value"] in ticked else "☐"
                detail = f"   ({render_blocks([{'type': 'context', 'elements': [option['description']]}], names)})" \
                    if option.get("description") else ""
                lines.append(f"{mark} {option['text']['text']}{detail}")
        else:
            lines.append(render_blocks([block], names))
    return "\n".join(lines)


def _show(stage, title: str, blocks: list[dict]) -> None:  # noqa: ANN001
    def names(uid: str) -> str | None:
        return (stage.sim.user(uid) or {}).get("name")

    stage.console.print(Panel(_render(blocks, names), title=title, title_align="left", border_style="magenta",
                              expand=False))
    stage.responses_seen = len(stage.sim.responses)


def _click_checkboxes(slack, stage, response: dict, texts: set[str]) -> dict:  # noqa: ANN001
    """Carla ticks the boxes whose text is in `texts` (and keeps the ones already ticked) in every group."""
    for block in [b for b in response["blocks"] if b["type"] == "actions"]:
        element = block["elements"][0]
        ticked = {o["value"] for o in element.get("initial_options") or []}
        selected = [o for o in element["options"] if o["text"]["text"] in texts or o["value"] in ticked]
        if len(selected) == len(ticked):
            continue
        action = {"type": "checkboxes", "action_id": element["action_id"], "block_id": block["block_id"],
                  "selected_options": selected, "action_ts": "1.0"}
        slack.block_action(element["action_id"], user_id=CSM, channel_id=CHANNEL, message_ts="1.0",
                           extra={"actions": [action]})
        response = stage.sim.responses[-1]
    return response


def before_go_live(runtime, slack, stage, clock, go_live: date) -> dict[str, Any]:  # noqa: ANN001
    """Three business days before go-live: the checklist reminder; Carla ticks criteria with /golive ready;
    the day before, the last one."""

    with runtime.db.session() as s:

        launch = get_launch(s, _launch_id(runtime))
        (_, three_before), (_, one_before) = reminder_days(launch)
    _tick(runtime, stage, clock, local(three_before, 14),
          f"{three_before:%a %d %b} 14:00 — three business days before go-live: the checklist reminder")

    clock.now = local(three_before, 15)
    answer = slack.slash_command("ready", user_id=CSM, channel_id=CHANNEL).json()["text"]
    stage.console.print(f"[dim]15:00[/dim] Carla runs /golive ready in #acme-golive — {answer}")
    checklist = stage.sim.responses[-1]
    _show(stage, "only Carla sees: the go-live checklist", checklist["blocks"])
    clock.now = local(three_before, 15, 5)
    checklist = _click_checkboxes(slack, stage, checklist, {
        "All integrations tested end to end", "Key data migrated and validated", "Support escalation paths defined",
        "Fallback procedure agreed"})
    stage.console.print("[dim]15:05[/dim] Carla ticks four criteria")
    _show(stage, "only Carla sees: the checklist, updated", checklist["blocks"])

    day_after = three_before + timedelta(days=1)
    clock.now = local(day_after, 16)
    slack.slash_command("ready", user_id=CSM, channel_id=CHANNEL)
    checklist = _click_checkboxes(slack, stage, stage.sim.responses[-1], {
        "Primary users trained", "Admins trained on configuration changes"})
    stage.console.print(f"[dim]{day_after:%a} 16:00[/dim] After the training sessions, Carla ticks the last two")
    _show(stage, "only Carla sees: the checklist, all done", checklist["blocks"])
    deliver(runtime, clock)
    return {"reminder_days": [three_before, one_before]}


def declare_live(runtime, slack, stage, clock, go_live: date) -> None:  # noqa: ANN001
    """Go-live morning, every criterion met: Carla declares the launch live (announcement to leadership,
    launch-day post in the customer channel); a second /golive live changes nothing."""
    clock.now = local(go_live, 9, 15)
    answer = slack.slash_command("live", user_id=CSM, channel_id=CHANNEL).json()["text"]
    stage.console.print(f"[dim]{go_live:%a} 09:15[/dim] The switch is done: Carla runs /golive live")
    stage.console.print(Panel(answer, title="only Carla sees: /golive live", title_align="left",
                              border_style="magenta", expand=False))
    deliver(runtime, clock)
    stage.show_new(f"{go_live:%a %d %b} 09:15 — we are live: the announcement to leadership, and how to get help")
    again = slack.slash_command("live", user_id=CSM, channel_id=CHANNEL).json()["text"]
    stage.console.print(Panel(again, title="only Carla sees: /golive live, a second time", title_align="left",
                              border_style="magenta", expand=False))


def after_launch_week(runtime, slack, stage, clock, go_live: date) -> dict[str, Any]:  # noqa: ANN001
    """The retrospective runs, and 30 days after going live Carla confirms the goal review."""

    launch_id = _launch_id(runtime)

    with runtime.db.session() as s:
        plan = retro.retro_plan(get_launch(s, launch_id))
    _tick(runtime, stage, clock, plan.prompt, f"{plan.prompt:%a %d %b} — the retrospective opens")
    prompt = [m for m in stage.sim.messages(CHANNEL) if "retro_open" in str(m.blocks)][0]
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
        clock.now = plan.prompt + timedelta(minutes=15 * minute)
        slack.block_action("retro_open", user_id=user, channel_id=CHANNEL, message_ts=prompt["ts"],
                           value=button["value"], user_team_id=team)
        view = stage.sim.views_for(user)
        slack.view_submission("retro_modal", user_id=user, user_team_id=team,
                              private_metadata=view["private_metadata"],
                              values={"went_well": {"went_well": went_well}, "improve": {"improve": improve},
                                      "rating": {"rating": {"type": "radio_buttons",
                                                            "selected_option": {"value": rating}}}})
        stage.console.print(f"{stage.who(user)} answers the retrospective: rating {rating}; "
                            f"to improve: \u201c{improve}\u201d")
    _tick(runtime, stage, clock, plan.reminder, f"{plan.reminder:%a %d %b} — halfway: one reminder")
    _tick(runtime, stage, clock, plan.summary, f"{plan.summary:%a %d %b} — the retrospective closes: the summary")
    with runtime.db.session() as s:
        report = retro.report(s, get_launch(s, launch_id), clock.now)
    stage.console.print(Panel(report.rstrip(), title=f"golive retro report --launch {launch_id}", title_align="left",
                              border_style="blue", expand=False))


    with runtime.db.session() as s:
        review_at = goal_review_instant(get_launch(s, launch_id))
    _tick(runtime, stage, clock, review_at, f"{review_at:%a %d %b} — 30 days live: the goal review")
    review = [m for m in stage.sim.dm_messages(CSM) if "30-day review" in m.plain_text()][-1]
    buttons = [e for b in review.blocks if b["type"] == "actions" for e in b["elements"]]
    goal_buttons = [e for e in buttons if e["action_id"] != "goals_confirm"]
    choices = ["goal_met", "goal_in_progress"]
    for n, value in enumerate(dict.fromkeys(e["value"] for e in goal_buttons)):
        clock.now = review_at + timedelta(minutes=10 + n)
        slack.block_action(choices[n % 2], user_id=CSM, channel_id=review["channel"], message_ts=review["ts"],
                           value=value)
    confirm = next(e for e in buttons if e["action_id"] == "goals_confirm")
    slack.block_action("goals_confirm", user_id=CSM, channel_id=review["channel"], message_ts=review["ts"],
                       value=confirm["value"])
    stage.console.print("Carla marks the first goal met and the second in progress, then confirms")
    _show(stage, "only Carla sees: the review, confirmed", stage.sim.responses[-1]["blocks"])
    deliver(runtime, clock)
    stage.show_new(f"{review_at:%a %d %b} — the 30-day outcome goes to leadership")
    return {"live_on": go_live, "retro_answers": len(answers), "goal_review": review_at}
