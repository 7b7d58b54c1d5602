"""Adoption after go-live: the weekly report to the CSM and the opt-out-able nudges, under controlled time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.features.launches.service import LaunchInput
from bot.features.usage.service import store_rows, validate_json_rows
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from schedules.plan import stored_plan
from storage.models import AdoptionOptOut, Launch
from tests.conftest import CUSTOMER_TEAM

WEEK1 = datetime(2027, 3, 15, 7, 30, tzinfo=UTC)  # go-live Mon 8 Mar + 7 days, 08:30 in Berlin
WEEK2 = datetime(2027, 3, 22, 7, 30, tzinfo=UTC)


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "adoption_nudges": True,
           "training_link": "https://learn.example.com/acme", "quiet_days": 5, **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def usage(world, launch_id: int, rows: list[dict]) -> None:  # noqa: ANN001
    with world.runtime.db.session() as s:
        store_rows(s, s.get(Launch, launch_id), validate_json_rows(rows, world.clock()), source="api",
                   now=world.clock())


def reports(world, week: int) -> list:  # noqa: ANN001
    return [m for m in world.sim.dm_messages("U0CSM") if m.blocks and f"week {week} after go-live" in m.plain_text()]


def nudges(world, user: str) -> list:  # noqa: ANN001
    return [m for m in world.sim.dm_messages(user) if "training" in m["text"]]


def setup_week_one(world) -> int:  # noqa: ANN001
    world.sim.add_user("U0CUST3", "cleo.customer", team_id=CUSTOMER_TEAM, email="cleo@acme.test")
    world.sim.add_member("C0ACME", "U0CUST3")
    launch_id = add_launch(world)
    world.clock.set(datetime(2027, 3, 9, 12, 0, tzinfo=UTC))
    for user, text in (("U0CUST1", "SSO login fails after the password reset"),
                       ("U0CUST2", "The SSO login loops back to the sign-in page")):
        msg = world.sim.post_as_user("C0ACME", user, f"<@UBOT> {text}")
        world.slack.app_mention(msg["text"], user_id=user, channel_id="C0ACME", ts=msg["ts"], user_team=CUSTOMER_TEAM)
    world.clock.set(WEEK1 - timedelta(hours=1))
    usage(world, launch_id, [
        {"email": "cora@acme.test", "last_active_at": "2027-03-14T16:00:00Z", "feature": "reports"},
        {"email": "cora@acme.test", "last_active_at": "2027-03-14T16:05:00Z", "feature": "dashboards"},
        {"email": "cyril@acme.test", "last_active_at": "2027-03-05T09:00:00Z", "feature": "reports"},
        {"email": "ghost@acme.test", "last_active_at": "2027-03-13", "feature": "exports"},
    ])
    return launch_id


def test_adoption_reports_are_planned_weekly_for_the_first_thirty_days_at_digest_time(world):
    launch_id = add_launch(world)
    with world.runtime.db.session() as s:
        due = [w.due_at for w in stored_plan(s, launch_id) if w.kind == "adoption_report"]
    assert due == [WEEK1, WEEK2, datetime(2027, 3, 29, 6, 30, tzinfo=UTC),  # Berlin is on summer time by then
                   datetime(2027, 4, 5, 6, 30, tzinfo=UTC)]


def test_weekly_report_shows_active_invited_never_quiet_features_and_themes_and_nudges_quiet_people(world):
    setup_week_one(world)
    world.tick(WEEK1)
    world.tick(WEEK1 + timedelta(minutes=1))
    [report] = reports(world, 1)
    text = report.plain_text()
    blocks = json.dumps(report.blocks, ensure_ascii=False)
    assert "2 of 4 invited (50 %)" in text  # Cora and ghost@ active; Cyril quiet; Cleo never logged in
    assert "Never logged in (1):* <@U0CUST3>" in blocks
    assert "no activity for 5+ days (1):* <@U0CUST2> (9 days)" in blocks
    assert "reports 2 · dashboards 1 · exports 1" in text
    assert "• *SSO login* — 2×, new this week: “" in blocks  # where people get stuck, from the issue texts
    assert "ghost@acme.test" in text and "match no Slack user" in text  # unmatched: kept and reported
    # The nudges: a DM with the training link and an opt-out button, to quiet and never-seen people only.
    [cyril] = nudges(world, "U0CUST2")
    assert "https://learn.example.com/acme" in cyril["text"]
    assert [e["action_id"] for b in cyril.blocks if b["type"] == "actions" for e in b["elements"]] == [
        "adoption_opt_out"]
    assert len(nudges(world, "U0CUST3")) == 1 and nudges(world, "U0CUST1") == []


def test_an_opted_out_person_is_never_nudged_again_and_nobody_hears_twice_a_week(world):
    launch_id = setup_week_one(world)
    world.tick(WEEK1)
    [cyril] = nudges(world, "U0CUST2")
    button = next(e for b in cyril.blocks if b["type"] == "actions" for e in b["elements"])
    result = world.slack.block_action("adoption_opt_out", user_id="U0CUST2", channel_id=cyril.channel,
                                      message_ts=cyril["ts"], value=button["value"], user_team_id=CUSTOMER_TEAM)
    assert result.status == 200 and "no more reminders" in world.sim.responses[-1]["text"]
    with world.runtime.db.session() as s:
        assert s.exec(select(AdoptionOptOut.user_id).where(AdoptionOptOut.launch_id == launch_id)).all() == ["U0CUST2"]
    world.tick(WEEK1 + timedelta(days=2))  # the same ISO week: nothing new
    assert len(nudges(world, "U0CUST3")) == 1
    world.tick(WEEK2)
    assert len(reports(world, 2)) == 1
    assert len(nudges(world, "U0CUST2")) == 1  # opted out: still just the first one
    assert len(nudges(world, "U0CUST3")) == 2  # a new week, a new (single) nudge


def test_launch_without_nudges_gets_the_report_but_sends_no_dm_to_customers(world):
    world.sim.add_user("U0CUST3", "cleo.customer", team_id=CUSTOMER_TEAM)
    add_launch(world, adoption_nudges=False)
    world.tick(WEEK1)
    [report] = reports(world, 1)
    assert "Adoption nudges are off" in report.plain_text()
    assert nudges(world, "U0CUST1") == [] and nudges(world, "U0CUST2") == []
