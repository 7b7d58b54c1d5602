"""Declaring live end to end: refusals, the forced path with a reason, the leadership announcement with
what is true at go-live, the customer post, a missing or unjoined leadership channel, and the 30-day review."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.features.launches.service import LaunchInput
from bot.features.milestones.service import set_done
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import Goal, Launch, UsageRecord
from tests.conftest import CUSTOMER_TEAM, run_golive
from tests.scenarios.dates import monday_ahead

MON = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # go-live day, 10:00 in Berlin
FRI = datetime(2027, 3, 12, 15, 0, tzinfo=UTC)  # end of launch week
GOALS = ["40 of 50 invited users active in week 2", "First month-end close <run> in the product"]


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "leadership_channel": "C0LEAD", "leader": ["U0CUST2"],
           "goal": GOALS, "fallback_doc": "https://docs.vendor.test/acme/fallback?v=2&lang=en", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def launch_row(world) -> Launch:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return s.exec(select(Launch)).one()


def live(world, user: str = "U0CSM", channel: str = "C0ACME", team: str | None = None) -> str:  # noqa: ANN001
    return world.slack.slash_command("live", user_id=user, channel_id=channel, team_id=team).json()["text"]


def all_criteria_met(world) -> None:  # noqa: ANN001
    with world.runtime.db.session() as s:
        set_done(s, launch=s.get(Launch, 1), keys=[], all_items=True, done=True, actor="U0CSM", now=world.clock())


def leadership_posts(world) -> list:  # noqa: ANN001
    return [m for m in world.sim.messages("C0LEAD") if "We are live" in m.plain_text()]


def test_going_live_is_refused_while_criteria_are_open_and_a_reason_in_the_modal_forces_it(world):
    add_launch(world)
    with world.runtime.db.session() as s:
        set_done(s, launch=s.get(Launch, 1), keys=["integrations_tested"], all_items=False, done=True, actor="U0CSM",
                 now=world.clock())
    world.clock.set(MON)
    refused = live(world)
    assert "not live yet: 5 go-live criteria are still open" in refused and "Key data migrated" in refused
    assert "confirmation form is open" in refused
    assert launch_row(world).status == "planned"
    view = world.sim.views_for("U0CSM")
    assert view["callback_id"] == "live_confirm_modal" and "Primary users trained" in json.dumps(view["blocks"])
    meta = view["private_metadata"]
    empty = world.slack.view_submission("live_confirm_modal", user_id="U0CSM", private_metadata=meta,
                                        values={"reason": {"reason": "  "}})
    assert empty.json()["response_action"] == "errors" and launch_row(world).status == "planned"
    reason = "Acme's CEO announced the date publicly; <!channel> training finishes Tuesday"
    done = world.slack.view_submission("live_confirm_modal", user_id="U0CSM", private_metadata=meta,
                                       values={"reason": {"reason": reason}})
    assert done.status == 200 and done.body_text in ("", "{}")
    world.deliver()
    launch = launch_row(world)
    assert (launch.status, launch.live_by, launch.live_forced_reason, launch.live_at) == ("live", "U0CSM", reason, MON)
    dm = [m["text"] for m in world.sim.dm_messages("U0CSM") if "declared" in m["text"]]
    assert len(dm) == 1 and "training finishes Tuesday" in dm[0] and "&lt;!channel&gt;" in dm[0]
    public = world.sim.messages("C0ACME") + world.sim.messages("C0LEAD")
    customer_and_leaders = json.dumps([m.to_dict() for m in public])
    assert "CEO announced" not in customer_and_leaders and "open criteri" not in customer_and_leaders
    assert len(leadership_posts(world)) == 1


def test_customers_and_other_staff_are_refused_and_nothing_is_posted(world):
    add_launch(world)
    all_criteria_met(world)
    customer = live(world, user="U0CUST1", team=CUSTOMER_TEAM)
    support = live(world, user="U0SUP")
    other_csm = live(world, user="U0CSM2")
    for answer in (customer, support, other_csm):
        assert "Only the launch's CSMs and admins can declare a launch live" in answer
    elsewhere = live(world, channel="C0SUP")
    assert "not a launch channel" in elsewhere and "golive launch live ID" in elsewhere
    world.deliver()
    assert launch_row(world).status == "planned"
    assert world.sim.messages("C0LEAD") == [] and world.sim.messages("C0ACME") == []
    assert world.sim.views_for("U0SUP") is None
    assert "is live" in live(world, user="U0ADMIN")  # admins may


def test_the_announcement_states_what_is_true_at_go_live_and_the_goals_and_goes_out_once(world):
    add_launch(world)
    world.tick(MON)
    post = [m for m in world.sim.messages("C0ACME") if "Day 1" in m.plain_text()][0]
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    for user in ("U0CUST1", "U0CUST2"):
        world.slack.block_action("checkin_good", user_id=user, channel_id="C0ACME", message_ts=post["ts"], value=value,
                                 user_team_id=CUSTOMER_TEAM)
    for text, wait in (("Exports time out", 10), ("SSO loops", 30), ("Typo on the login page", None)):
        world.clock.set(MON + timedelta(hours=1))
        world.slack.slash_command(f"issue {text}", user_id="U0CSM", channel_id="C0ACME")
        world.deliver()
        if wait is not None:
            card = [m for m in world.sim.messages("C0SUP") if text in m.plain_text()][0]
            issue_id = next(e["value"] for b in card.blocks if b["type"] == "actions" for e in b["elements"])
            world.clock.set(MON + timedelta(hours=1, minutes=wait))
            world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts=card["ts"],
                                     value=issue_id)
    world.slack.block_action("issue_resolve", user_id="U0SUP", channel_id="C0SUP", message_ts="1", value="1")
    view = world.sim.views_for("U0SUP")
    world.slack.view_submission("issue_resolve_modal", user_id="U0SUP", private_metadata=view["private_metadata"],
                                values={"note": {"note": "Fixed"}})
    all_criteria_met(world)
    world.clock.set(FRI)
    answer = live(world)
    assert "Acme Corp* is live!" in answer and "<#C0LEAD>" in answer
    world.deliver()
    [announcement] = leadership_posts(world)
    text = announcement.plain_text()
    assert "We are live!" in text and "*Acme Corp* went live on Friday 12 March 2027" in text
    assert "<@U0CUST2>" in json.dumps(announcement.blocks) and "<@U0CUST2>" in announcement["text"]
    blocks = json.dumps(announcement.blocks, ensure_ascii=False)
    # What is true at go-live: the criteria and who signed them off, the fallback, support hours. The week's
    # numbers wait for the wrap-up (tests/scenarios/test_wrapup.py), so there are no counts here.
    assert "*Go-live criteria:* 6 of 6 met — signed off by <@U0CSM> (6)" in blocks
    assert "Fallback procedure agreed — <@U0CSM>" in blocks
    assert "<https://docs.vendor.test/acme/fallback?v=2&amp;lang=en|fallback procedure>" in blocks
    assert "*Support:* around the clock" in blocks
    assert "check-in answers" not in text and "issues reported" not in text
    assert "here is what we expect to accomplish in the first 30 days" in text.lower()
    assert "40 of 50 invited users active in week 2" in text
    assert "&lt;run&gt;" in json.dumps(announcement.blocks)  # the goal's text is escaped
    customer = [m for m in world.sim.messages("C0ACME") if "We are live, Acme Corp" in m.plain_text()]
    assert len(customer) == 1
    blocks = json.dumps(customer[0].blocks)
    assert "issue_report_open" in blocks and ":rotating_light:" in blocks and "/golive issue" in blocks
    assert "<https://docs.vendor.test/acme/fallback?v=2&amp;lang=en|fallback procedure>" in blocks
    # Twice does nothing the second time, from Slack or the command line.
    assert "live already" in live(world)
    again = run_golive(["launch", "live", "1"], world.env)
    assert again.code == 0 and "live already" in again.stdout
    world.tick(FRI + timedelta(minutes=5))
    assert len(leadership_posts(world)) == 1
    assert len([m for m in world.sim.messages("C0ACME") if "We are live" in m.plain_text()]) == 1


def launch_week_after_today(world, **overrides) -> datetime:  # noqa: ANN001
    """For a test that runs `golive launch live`, which stamps the wall clock: a launch whose week lies after
    today, so that the world's clock is ahead of what the CLI wrote and its posts are due when the world
    ticks. Returns the go-live Monday, 10:00 in Berlin."""
    go_live = monday_ahead(2)
    world.clock.set(datetime.combine(go_live - timedelta(days=7), time(12), UTC))
    add_launch(world, go_live=go_live.isoformat(), **overrides)
    return datetime.combine(go_live, time(10), ZoneInfo("Europe/Berlin")).astimezone(UTC)


def test_without_a_leadership_channel_the_announcement_waits_the_csms_are_told_and_it_goes_out_once_set(world):
    mon = launch_week_after_today(world, leadership_channel=None)
    all_criteria_met(world)
    result = run_golive(["launch", "live", "1"], world.env)
    assert result.code == 0 and "Acme Corp is live." in result.stdout and "waits" in result.stderr
    world.tick(mon)
    told = [m["text"] for m in world.sim.dm_messages("U0CSM") if "is waiting" in m["text"]]
    assert len(told) == 1 and "leadership_channel" in told[0] and "golive launch import" in told[0]
    assert world.sim.messages("C0LEAD") == []
    # The CSM sets the channel (golive launch import).
    add_launch(world, go_live=mon.date().isoformat(), leadership_channel="C0LEAD")
    world.tick(mon + timedelta(minutes=1))
    world.tick(mon + timedelta(minutes=2))
    add_launch(world, go_live=mon.date().isoformat(), leadership_channel="C0LEAD")  # again: releases nothing twice
    world.tick(mon + timedelta(minutes=3))
    assert len(leadership_posts(world)) == 1


def test_when_the_bot_is_not_in_the_leadership_channel_it_waits_and_goes_out_once_invited(world):
    world.sim.remove_member("C0LEAD", world.sim.bot_user_id)
    add_launch(world)
    all_criteria_met(world)
    world.clock.set(MON)
    live(world)
    for minutes in (0, 1, 2, 5):
        world.tick(MON + timedelta(minutes=minutes))
    assert world.sim.messages("C0LEAD") == []
    alerts = [m["text"] for m in world.sim.dm_messages("U0CSM") if "cannot post in" in m["text"]]
    assert len(alerts) == 1 and "Invite the bot" in alerts[0]
    world.sim.add_member("C0LEAD", world.sim.bot_user_id)
    world.tick(MON + timedelta(minutes=30))
    world.tick(MON + timedelta(minutes=60))
    assert len(leadership_posts(world)) == 1


def test_cli_force_needs_a_reason_and_records_it(world):
    mon = launch_week_after_today(world)
    for args in (["--force"], ["--reason", "why not"]):
        result = run_golive(["launch", "live", "1", *args], world.env)
        assert result.code == 2 and "--force and --reason TEXT go together" in result.stderr
    refused = run_golive(["launch", "live", "1"], world.env)
    assert refused.code == 2 and "6 go-live criteria are still open" in refused.stderr
    assert "fallback_agreed" in refused.stderr and "--force --reason" in refused.stderr
    forced = run_golive(["launch", "live", "1", "--force", "--reason", "Contract date; training on Tuesday"],
                        world.env)
    assert forced.code == 0 and "forced" in forced.stdout
    assert launch_row(world).live_forced_reason == "Contract date; training on Tuesday"
    world.tick(mon)
    assert any("Contract date" in m["text"] for m in world.sim.dm_messages("U0CSM"))
    public = world.sim.messages("C0ACME") + world.sim.messages("C0LEAD")
    assert not any("Contract date" in m.plain_text() for m in public)


def test_thirty_days_after_going_live_the_csm_reviews_the_goals_and_the_outcome_is_posted_once(world):
    add_launch(world)
    all_criteria_met(world)
    world.clock.set(FRI)
    live(world)
    world.deliver()
    review_at = datetime(2027, 4, 12, 8, 0, tzinfo=UTC)  # Fri 12 March + 30 days is a Sunday: Monday 10:00 CEST
    world.tick(review_at - timedelta(minutes=1))
    assert not [m for m in world.sim.dm_messages("U0CSM") if "30-day review" in m.plain_text()]
    world.tick(review_at)
    [review] = [m for m in world.sim.dm_messages("U0CSM") if "30-day review" in m.plain_text()]
    buttons = [e for b in review.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in buttons] == ["goal_met", "goal_not_met", "goal_in_progress"] * 2 + ["goals_confirm"]

    def click(action_id: str, value: str, user: str = "U0CSM") -> dict:
        world.slack.block_action(action_id, user_id=user, channel_id=review["channel"], message_ts=review["ts"],
                                 value=value)
        return world.sim.responses[-1]

    first, second = buttons[0]["value"], buttons[3]["value"]
    updated = click("goal_met", first)
    assert updated["replace_original"] in (True, "true") and ":white_check_mark: met" in json.dumps(updated["blocks"])
    assert "Set met, not met or in progress for every goal first" in click("goals_confirm", "1")["text"]
    assert "Only the launch's CSMs and admins" in click("goal_not_met", second, user="U0SUP")["text"]
    click("goal_in_progress", second)
    with world.runtime.db.session() as s:  # product usage: two people active this week, one a month ago
        for email, days_ago in (("cora@acme.test", 1), ("cyril@acme.test", 3), ("old@acme.test", 30)):
            s.add(UsageRecord(launch_id=1, email=email, last_active_at=world.clock() - timedelta(days=days_ago),
                              imported_at=world.clock()))
    confirmed = click("goals_confirm", "1")
    assert "has been posted" in json.dumps(confirmed["blocks"])
    world.deliver()
    outcome = [m for m in world.sim.messages("C0LEAD") if "30 days live" in m.plain_text()]
    assert len(outcome) == 1
    text = outcome[0].plain_text()
    assert "*Adoption:* 2 of 3 people used the product in the last 7 days (67%)" in text  # against the goals
    assert "1 of 2 goals for the first 30 days met" in text and "in progress" in text and "<@U0CUST2>" in \
        json.dumps(outcome[0].blocks)
    assert "already" in click("goals_confirm", "1")["text"]
    world.deliver()
    assert len([m for m in world.sim.messages("C0LEAD") if "30 days live" in m.plain_text()]) == 1
    with world.runtime.db.session() as s:
        states = [(g.state, g.reviewed_by) for g in s.exec(select(Goal).order_by(Goal.position))]
    assert states == [("met", "U0CSM"), ("in_progress", "U0CSM")]


def test_forged_or_stale_ids_on_milestone_controls_are_explained_and_change_nothing(world):
    add_launch(world)
    huge = "9" * 20
    for action_id, value in (("retro_open", huge), ("retro_open", "abc"), ("goal_met", huge), ("goals_confirm", huge)):
        before = len(world.sim.responses)
        result = world.slack.block_action(action_id, user_id="U0CSM", channel_id="C0ACME", message_ts="1.0",
                                          value=value)
        said = [r.get("text", "") for r in world.sim.responses[before:]]
        assert result.status == 200 and said and not any("something went wrong" in s for s in said), said
    bogus = {"type": "checkboxes", "action_id": "readiness_toggle", "block_id": f"readiness:{huge}:{huge}+",
             "selected_options": [], "action_ts": "1.0"}
    world.slack.block_action("readiness_toggle", user_id="U0CSM", channel_id="C0ACME", message_ts="1.0",
                             extra={"actions": [bogus]})
    assert "something went wrong" not in world.sim.responses[-1]["text"]
    forged = world.slack.view_submission("live_confirm_modal", user_id="U0CSM", values={"reason": "because"},
                                         private_metadata=json.dumps({"launch": huge}))
    assert forged.json()["response_action"] == "errors"
    assert launch_row(world).status == "planned"
