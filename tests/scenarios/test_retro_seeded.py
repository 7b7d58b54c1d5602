"""A retrospective seeded with its launch: the prompt names facts of launch week, the summary carries the
numbers, themes, SLA breaches and satisfaction next to the answers and proposes lessons, and *Add to every
future checklist* turns one into a criterion of every later launch — once, by a CSM or an admin only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.features.launches.service import LaunchInput
from bot.features.milestones.service import checklist
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import ChecklistTemplateItem, RetroSummary
from tests.conftest import CUSTOMER_TEAM

MON_CHECKIN = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # go-live Monday, 10:00 in Berlin
PROMPT = datetime(2027, 3, 22, 9, 0, tzinfo=UTC)  # go-live + 14 days, at check-in time
SUMMARY = datetime(2027, 3, 25, 9, 0, tzinfo=UTC)  # after the three business days of answers


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def blocked_with_note(world, user: str, note: str) -> None:  # noqa: ANN001
    post = [m for m in world.sim.messages("C0ACME") if m.blocks and "Day 1 of launch week" in m.plain_text()][0]
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    world.slack.block_action("checkin_note", user_id=user, channel_id="C0ACME", message_ts=post["ts"], value=value,
                             user_team_id=CUSTOMER_TEAM)
    view = world.sim.views_for(user)
    world.slack.view_submission(
        "checkin_note_modal", user_id=user, user_team_id=CUSTOMER_TEAM, private_metadata=view["private_metadata"],
        values={"answer": {"answer": {"type": "radio_buttons", "selected_option": {"value": "blocked"}}},
                "note": {"note": {"type": "plain_text_input", "value": note}}})
    world.deliver()


def answer_retro(world, user: str, improve: str) -> None:  # noqa: ANN001
    prompt = [m for m in world.sim.messages("C0ACME") if "Retrospective" in m.plain_text() and not m.is_reply][0]
    button = next(e for b in prompt.blocks if b["type"] == "actions" for e in b["elements"])
    world.slack.block_action("retro_open", user_id=user, channel_id="C0ACME", message_ts=prompt["ts"],
                             value=button["value"], user_team_id=CUSTOMER_TEAM)
    view = world.sim.views_for(user)
    values = {"went_well": {"went_well": "Quick answers from support"}, "improve": {"improve": improve},
              "rating": {"rating": {"type": "radio_buttons", "selected_option": {"value": "3"}}}}
    assert world.slack.view_submission("retro_modal", user_id=user, user_team_id=CUSTOMER_TEAM,
                                       private_metadata=view["private_metadata"], values=values).status == 200


def summary_dm(world, user: str = "U0CSM"):  # noqa: ANN001, ANN201
    [summary] = [m for m in world.sim.dm_messages(user) if "Retrospective summary" in m.plain_text()]
    return summary


def lesson_buttons(blocks: list[dict]) -> list[dict]:
    return [b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == "lesson_add_template"]


def templates(world) -> list[ChecklistTemplateItem]:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return list(s.exec(select(ChecklistTemplateItem)).all())


def click(world, user: str, button: dict, team: str | None = None):  # noqa: ANN001, ANN201
    dm = world.sim.dm_channel_id("U0CSM")
    return world.slack.block_action("lesson_add_template", user_id=user, channel_id=dm,
                                    message_ts=summary_dm(world)["ts"], value=button["value"], user_team_id=team)


def test_a_retro_seeded_with_its_launch_proposes_lessons_that_a_csm_adds_to_every_future_checklist_once(world):
    add_launch(world)
    world.tick(MON_CHECKIN)
    world.clock.set(MON_CHECKIN + timedelta(minutes=5))
    blocked_with_note(world, "U0CUST1", "CSV export times out for the monthly report")
    blocked_with_note(world, "U0CUST2", "Export to CSV fails on big reports")
    world.tick(MON_CHECKIN + timedelta(hours=2))  # neither was acknowledged within its hour: both breach the SLA

    world.tick(PROMPT)
    [prompt] = [m for m in world.sim.messages("C0ACME") if "Retrospective" in m.plain_text() and not m.is_reply]
    text = prompt.plain_text()
    assert "From launch week: 2 people were blocked on day 1;" in text
    assert "was the most reported theme (2×)" in text and "2 issues were reported and 0 resolved" in text

    world.clock.set(PROMPT + timedelta(hours=1))
    answer_retro(world, "U0CUST1", "Test the CSV export with real data before go-live")
    world.tick(SUMMARY)
    summary = summary_dm(world)
    blocks = json.dumps(summary.blocks, ensure_ascii=False)
    assert "*Launch week in numbers*" in blocks and "*Issues:* 2 reported, 0 resolved" in blocks
    assert "*SLA breaches:* 2 (#1, #2)" in blocks
    assert "*Satisfaction:* :thumbsup: 0 · :thumbsdown: 0 (no ratings yet)" in blocks
    assert "*Themes (issues, notes and answers):*" in blocks and "3× · new" in blocks
    assert "Test the CSV export with real data before go-live" in blocks  # the answers, next to the numbers
    buttons = lesson_buttons(summary.blocks)
    assert [b["text"]["text"] for b in buttons][:1] == ["Add to every future checklist"]
    with world.runtime.db.session() as s:
        lessons = s.get(RetroSummary, 1).lessons
    assert len(buttons) == len(lessons) >= 3
    assert any("Support rota and escalation contacts confirmed for launch week (2 SLA breaches" in x for x in lessons)
    assert any("Dry run with the customer's own users" in x for x in lessons)
    with world.runtime.db.session() as s:
        assert "## Proposed lessons" in s.get(RetroSummary, 1).markdown

    # A customer (not a manager) is refused, ephemerally, and nothing is added.
    refused = click(world, "U0CUST1", buttons[0], team=CUSTOMER_TEAM)
    assert refused.status == 200 and templates(world) == []
    assert "Only the launch's CSMs and admins can add a lesson" in world.sim.responses[-1]["text"]

    # The CSM's click makes it a template criterion; the summary now says who added it and when.
    world.clock.set(SUMMARY + timedelta(hours=2))
    click(world, "U0CSM", buttons[0])
    [item] = templates(world)
    assert item.text == lessons[0] and item.added_by == "U0CSM" and item.source == "retro:1"
    replaced = [r for r in world.sim.responses if r.get("replace_original")][-1]
    shown = json.dumps(replaced["blocks"], ensure_ascii=False)
    assert "added by <@U0CSM> Thu 25 Mar 2027" in shown
    assert len(lesson_buttons(replaced["blocks"])) == len(lessons) - 1

    # Twice (the same CSM on the old message, or an admin) adds nothing more.
    click(world, "U0CSM", buttons[0])
    click(world, "U0ADMIN", buttons[0])
    assert len(templates(world)) == 1
    assert "on every future checklist already (added by <@U0CSM>" in world.sim.responses[-1]["text"]

    # Every launch created from now on has it on its checklist.
    world.sim.add_channel("C0NEXT", "next-golive", members=["U0CSM"])
    add_launch(world, channel="C0NEXT", customer="Next Co", go_live="2027-05-03")
    with world.runtime.db.session() as s:
        assert lessons[0] in [i.text for i in checklist(s, 2)]
