"""The retrospective end to end: the prompt at go-live + the retro delay, the modal, replacing answers,
the reminder halfway, the summary kept and sent inside Slack's limits, `/golive retro` and the report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.features.launches.service import LaunchInput
from bot.flows.going_live import declare_live
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import Launch, RetroAnswer, RetroSummary
from tests.conftest import CUSTOMER_TEAM, run_golive

PROMPT = datetime(2027, 3, 22, 9, 0, tzinfo=UTC)  # Mon 8 March + 14 days, 10:00 in Berlin
REMINDER = datetime(2027, 3, 23, 9, 0, tzinfo=UTC)  # first of three business days
SUMMARY = datetime(2027, 3, 25, 9, 0, tzinfo=UTC)  # after three business days


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def prompt_post(world):  # noqa: ANN001, ANN201
    posts = [m for m in world.sim.messages("C0ACME") if "Retrospective" in m.plain_text() and not m.is_reply]
    assert len(posts) == 1
    return posts[0]


def open_form(world, user: str, team: str | None = CUSTOMER_TEAM) -> dict:  # noqa: ANN001
    post = prompt_post(world)
    button = next(e for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == "retro_open"
    result = world.slack.block_action("retro_open", user_id=user, channel_id="C0ACME", message_ts=post["ts"],
                                      value=button["value"], user_team_id=team)
    assert result.status == 200
    return world.sim.views_for(user)


def submit(world, view: dict, user: str, went_well: str, improve: str, rating: str | None,  # noqa: ANN001
           team: str | None = CUSTOMER_TEAM):  # noqa: ANN201
    values = {"went_well": {"went_well": went_well}, "improve": {"improve": improve}}
    if rating is not None:
        values["rating"] = {"rating": {"type": "radio_buttons", "selected_option": {"value": rating}}}
    return world.slack.view_submission("retro_modal", user_id=user, user_team_id=team,
                                       private_metadata=view["private_metadata"], values=values)


def stored(world) -> list[RetroAnswer]:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return list(s.exec(select(RetroAnswer).order_by(RetroAnswer.user_id)).all())


def test_prompt_modal_reminder_and_summary_at_the_planned_local_times(world):
    add_launch(world)
    world.tick(PROMPT - timedelta(minutes=1))
    assert not [m for m in world.sim.messages("C0ACME") if "Retrospective" in m.plain_text()]
    world.tick(PROMPT)
    assert "It has been 14 days since go-live" in prompt_post(world).plain_text()
    csm_prompt = [m for m in world.sim.dm_messages("U0CSM") if "retrospective" in m.plain_text().lower()]
    assert len(csm_prompt) == 1 and "retro_open" in json.dumps(csm_prompt[0].blocks)
    view = open_form(world, "U0CUST1")
    assert view["callback_id"] == "retro_modal"
    rating = next(b for b in view["blocks"] if b.get("block_id") == "rating")["element"]
    assert [o["value"] for o in rating["options"]] == ["5", "4", "3", "2", "1"]
    world.clock.set(PROMPT + timedelta(hours=1))
    assert submit(world, view, "U0CUST1", "Daily check-ins", "Training came late", "3").status == 200
    again = open_form(world, "U0CUST1")  # the form comes back with the earlier answer
    assert "replaces your earlier answer" in json.dumps(again["blocks"])
    submit(world, again, "U0CUST1", "Daily check-ins; quick support", "Train admins a week earlier", "4")
    submit(world, open_form(world, "U0CSM", team=None), "U0CSM", "", "Migration dry run sooner", "5", team=None)
    assert [(a.user_id, a.improve, a.rating) for a in stored(world)] == [
        ("U0CSM", "Migration dry run sooner", 5), ("U0CUST1", "Train admins a week earlier", 4)]
    with world.runtime.db.session() as s:
        assert s.exec(select(Launch.status)).one() == "retro"
    world.tick(REMINDER)
    world.tick(REMINDER + timedelta(minutes=5))
    reminders = [m for m in world.sim.messages("C0ACME") if "Halfway through the retrospective" in m.plain_text()]
    assert len(reminders) == 1 and "2 answers so far" in reminders[0].plain_text()
    assert "retro_open" in json.dumps(reminders[0].blocks)
    status = world.slack.slash_command("retro", user_id="U0CSM", channel_id="C0ACME").json()["text"]
    assert "is open: 2 answers so far, average rating 4.5 / 5" in status
    world.tick(SUMMARY)
    world.tick(SUMMARY + timedelta(hours=1))
    summaries = [m for m in world.sim.dm_messages("U0CSM") if "Retrospective summary" in m.plain_text()]
    assert len(summaries) == 1
    text = summaries[0].plain_text()
    assert "2 answers, average rating *4.5 / 5*" in text and "Train admins a week earlier" in text
    with world.runtime.db.session() as s:
        kept = s.get(RetroSummary, 1)
        assert s.exec(select(Launch.status)).one() == "done"
    report = run_golive(["retro", "report", "--launch", "1"], world.env)
    assert report.code == 0 and report.stdout == kept.markdown
    assert report.stdout.startswith("# Retrospective — Acme Corp") and "## What should improve" in report.stdout
    assert "- Migration dry run sooner (U0CSM)" in report.stdout
    late = submit(world, view, "U0CUST2", "x", "y", "2")
    assert late.json()["response_action"] == "errors" and len(stored(world)) == 2
    assert "is closed" in world.slack.slash_command("retro", user_id="U0CSM", channel_id="C0ACME").json()["text"]


def test_long_answers_in_any_script_are_stored_whole_and_the_summary_stays_inside_slacks_limits(world):
    add_launch(world)
    world.tick(PROMPT)
    for n in range(30):  # thirty people from the customer's organisation in the launch channel
        world.sim.add_user(f"U0GUEST{n:02d}", f"guest{n}", team_id=CUSTOMER_TEAM)
        world.sim.add_member("C0ACME", f"U0GUEST{n:02d}")
    view = open_form(world, "U0CUST1")
    scripts = "Ünïcödé 日本語のテキスト العربية עברית हिन्दी Ελληνικά 🚀🎉 <!channel> <@U0CSM> & "
    long_text = (scripts * 80)[:5200]
    submissions = {}
    for n in range(30):
        user = f"U0GUEST{n:02d}"
        text = f"{n}: {long_text}"
        submissions[user] = text
        assert submit(world, view, user, text, text[::-1], str(1 + n % 5)).status == 200
    assert {a.user_id: a.went_well for a in stored(world)} == submissions
    world.tick(SUMMARY)
    [summary] = [m for m in world.sim.dm_messages("U0CSM") if "Retrospective summary" in m.plain_text()]
    sections = [b["text"]["text"] for b in summary.blocks if b["type"] == "section"]
    assert len(summary.blocks) <= 50 and all(len(t) <= 3000 for t in sections)
    assert sum(len(t) for t in sections) <= 12_000
    assert "<!channel>" not in json.dumps(summary.blocks) and "more answers did not fit here" in summary.plain_text()
    assert "golive retro report --launch 1" in summary.plain_text()
    exported = json.loads(run_golive(["export", "--launch", "1"], world.env).stdout)
    assert {r["user"]: r["went_well"] for r in exported["retro_answers"]} == submissions


def test_answers_are_refused_before_the_retro_starts_and_a_rating_is_required(world):
    add_launch(world)
    world.tick(PROMPT - timedelta(days=1))
    early = world.slack.block_action("retro_open", user_id="U0CUST1", channel_id="C0ACME", message_ts="1",
                                     value="1", user_team_id=CUSTOMER_TEAM)
    assert early.status == 200 and "has not started yet" in world.sim.responses[-1]["text"]
    assert "starts Mon 22 Mar 10:00" in world.slack.slash_command("retro", user_id="U0CSM",
                                                                  channel_id="C0ACME").json()["text"]
    world.tick(PROMPT)
    view = open_form(world, "U0CUST1")
    for rating in (None, "7", "abc"):
        refused = submit(world, view, "U0CUST1", "fine", "", rating)
        answer = refused.json()
        assert answer["response_action"] == "errors" and "rating from 1 to 5" in answer["errors"]["rating"]
    assert stored(world) == []
    outsider = world.slack.block_action("retro_open", user_id="U0OTHER", channel_id="C0ACME", message_ts="1",
                                        value="1", user_team_id="T0OTHERCO")
    assert outsider.status == 200 and "Only members of the launch's channel" in world.sim.responses[-1]["text"]
    guest = world.slack.slash_command("retro", user_id="U0CUST1", channel_id="C0ACME", team_id=CUSTOMER_TEAM)
    assert "button on the retrospective post" in guest.json()["text"]


def test_the_retro_counts_from_the_day_the_launch_went_live(world):
    add_launch(world, retro_after_days=21, retro_window_days=2)
    world.clock.set(datetime(2027, 3, 12, 15, 0, tzinfo=UTC))  # declared live on Friday, not Monday
    with world.runtime.db.session() as s:
        declare_live(s, launch=s.get(Launch, 1), actor="U0CSM", now=world.clock(), force_reason="Board date")
    live_day = world.clock().date()
    prompt_day = live_day + timedelta(days=21)
    while prompt_day.weekday() >= 5:  # a weekend moves to the Monday
        prompt_day += timedelta(days=1)
    draft = run_golive(["retro", "report", "--launch", "1"], world.env)
    assert "Not started yet" in draft.stdout and f"{prompt_day} 10:00" in draft.stdout
