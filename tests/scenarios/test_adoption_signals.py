"""Adoption's Slack-native signals, away people and first steps, driven through signed requests and ticks,
with the go-live a few weeks from today: who took part in the launch channel and who has been silent since
go-live (next to product usage, customers only), where people get stuck grouped by meaning (new this week or
ongoing), nobody nudged while their status says they are away, and a getting-started DM for someone who never
logged in."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta

from sqlmodel import select

from bot.devkit.slack_requests import slack_user
from bot.features.launches.service import LaunchInput
from bot.features.usage.service import store_rows, validate_json_rows
from bot.flows.launches import save_launch
from bot.flows.operations import forget_user
from bot.flows.planning import replan
from schedules.plan import stored_plan
from storage.models import ChannelActivity, Launch
from tests.conftest import CUSTOMER_TEAM
from tests.scenarios.dates import monday_ahead

GO_LIVE = monday_ahead(3)


def at(days: int, hour: int = 9) -> datetime:
    """`days` after go-live (negative: before), at `hour` UTC."""
    return datetime.combine(GO_LIVE + timedelta(days=days), time(hour), tzinfo=UTC)


def report_due(world, launch_id: int, week: int) -> datetime:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return next(w.due_at for w in stored_plan(s, launch_id) if w.key.endswith(f":adoption:{week}"))


def post(world, user: str, text: str, *, team: str | None = CUSTOMER_TEAM) -> dict:  # noqa: ANN001
    """A top-level message in the launch channel, as Slack delivers it (message.channels)."""
    msg = world.sim.post_as_user("C0ACME", user, text)
    result = world.slack.message(msg["text"], user_id=user, channel_id="C0ACME", ts=msg["ts"], user_team=team)
    assert result.status == 200
    return msg


def mention(world, user: str, text: str) -> None:  # noqa: ANN001
    msg = world.sim.post_as_user("C0ACME", user, f"<@UBOT> {text}")
    assert world.slack.app_mention(msg["text"], user_id=user, channel_id="C0ACME", ts=msg["ts"],
                                   user_team=CUSTOMER_TEAM).status == 200


def report(world, week: int):  # noqa: ANN001, ANN201
    [found] = [m for m in world.sim.dm_messages("U0CSM") if m.blocks and f"week {week} after go-live" in m.plain_text()]
    return json.dumps(found.blocks, ensure_ascii=False)


def dms(world, user: str) -> list[str]:  # noqa: ANN001
    return [m["text"] for m in world.sim.dm_messages(user)]


def set_up_launch_week(world) -> int:  # noqa: ANN001
    """Cora reports problems, Dana only says hello, Vera only reacts and then goes on holiday, Cyril spoke only
    before go-live, Cleo never says anything and never logs in; Carla (the CSM, staff) talks too."""
    world.sim.add_user("U0CUST3", "cleo.customer", team_id=CUSTOMER_TEAM, email="cleo@acme.test")
    world.sim.add_user("U0CUST4", "vera.customer", team_id=CUSTOMER_TEAM, email="vera@acme.test")
    world.sim.add_user("U0CUST5", "dana.customer", team_id=CUSTOMER_TEAM, email="dana@acme.test")
    for user in ("U0CUST3", "U0CUST4", "U0CUST5"):
        world.sim.add_member("C0ACME", user)
    world.clock.set(at(-5))
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": GO_LIVE.isoformat(), "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "adoption_nudges": True,
           "training_link": "https://learn.example.com/acme", "quiet_days": 5}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        launch_id = launch.id

    world.clock.set(at(-2))
    post(world, "U0CUST2", "Looking forward to Monday!")  # before go-live: does not count as taking part
    world.clock.set(at(1))
    hello = post(world, "U0CUST5", "Morning all, first day on the new tool")
    post(world, "U0CSM", "Welcome everyone!", team=None)  # staff: never listed
    assert world.slack.reaction_added("raised_hands", user_id="U0CUST4", channel_id="C0ACME", item_ts=hello["ts"],
                                      user_team=CUSTOMER_TEAM).status == 200
    mention(world, "U0CUST1", "SSO login fails after the password reset")
    world.clock.set(at(2))
    mention(world, "U0CUST1", "The SSO login loops back to the sign-in page")
    mention(world, "U0CUST1", "Single sign-on keeps rejecting my login")
    mention(world, "U0CUST1", "Where can I find the training videos?")

    # Vera goes on holiday: Slack tells golive with user_change (and users.info would say the same).
    world.clock.set(at(3))
    world.sim.update_user("U0CUST4", status_emoji=":palm_tree:", status_text="Vacationing")
    assert world.slack.user_change(slack_user("U0CUST4", "vera.customer", team_id=CUSTOMER_TEAM,
                                              email="vera@acme.test", status_emoji=":palm_tree:",
                                              status_text="Vacationing")).status == 200

    week1 = report_due(world, launch_id, 1)
    world.clock.set(week1 - timedelta(hours=1))
    yesterday = (week1 - timedelta(days=1)).isoformat()
    rows = [{"email": "cora@acme.test", "last_active_at": yesterday, "feature": "reports"},
            {"email": "cyril@acme.test", "last_active_at": at(-3).isoformat(), "feature": "reports"},
            {"email": "vera@acme.test", "last_active_at": at(-2).isoformat(), "feature": "dashboards"}]
    with world.runtime.db.session() as s:
        store_rows(s, s.get(Launch, launch_id), validate_json_rows(rows, world.clock()), source="api",
                   now=world.clock())
    world.tick(week1)
    world.tick(week1 + timedelta(minutes=1))
    return launch_id


def test_report_lists_who_took_part_in_the_channel_and_who_is_silent_since_go_live_next_to_usage(world):
    set_up_launch_week(world)
    blocks = report(world, 1)
    # Cora reported problems, Dana posted a message, Vera only reacted; staff (Carla) is not counted.
    assert "3 of 5 of the customer's people took part" in blocks
    assert ("*Active in the channel (3):* <@U0CUST1> (uses the product), <@U0CUST4> (quiet in the product), "
            "<@U0CUST5> (never logged in)") in blocks
    # Cyril only spoke before go-live; Cleo never spoke and never logged in.
    assert "*Silent since go-live (2):* <@U0CUST2> (quiet in the product), <@U0CUST3> (never logged in)" in blocks
    assert "U0CSM>" not in blocks.split("In the launch channel")[1].split("Features")[0]


def test_report_groups_similar_problems_into_one_theme_with_a_count_and_a_quote(world):
    launch_id = set_up_launch_week(world)
    first = report(world, 1)
    assert "themes in 4 friction note(s) and issue(s)" in first
    assert "• *SSO login* — 3×, new this week: “" in first  # three phrasings of one problem, counted together
    assert "training videos" not in first  # a lone text is not a theme

    # Week two: a new problem appears; the login theme is now ongoing.
    world.clock.set(report_due(world, launch_id, 1) + timedelta(days=2))
    mention(world, "U0CUST1", "Exporting the month-end report to CSV times out")
    mention(world, "U0CUST1", "CSV export never finishes for large reports")
    world.tick(report_due(world, launch_id, 2))
    second = report(world, 2)
    assert "• *SSO login* — 3×, ongoing" in second
    assert re.search(r"• \*[^*]*CSV[^*]*\* — 2×, new this week: “(Exporting|CSV export)", second)


def test_nobody_away_is_nudged_and_someone_who_never_logged_in_is_shown_how_to_get_started(world):
    set_up_launch_week(world)
    [cyril] = dms(world, "U0CUST2")  # quiet for ten days: the usual nudge
    assert "It has been a few days since you last used" in cyril and "learn.example.com/acme" in cyril
    [cleo] = dms(world, "U0CUST3")  # never logged in: how to get started, not "since you last used"
    assert "not logged in yet" in cleo and "Getting started" in cleo and "learn.example.com/acme" in cleo
    assert "since you last used" not in cleo
    assert dms(world, "U0CUST4") == []  # quiet too, but on holiday
    assert dms(world, "U0CUST1") == []  # active
    assert "Away, so not nudged (1): <@U0CUST4> (:palm_tree: Vacationing)" in report(world, 1)


def test_back_from_holiday_means_nudged_again_the_next_week(world):
    launch_id = set_up_launch_week(world)
    world.clock.set(report_due(world, launch_id, 1) + timedelta(days=3))
    world.sim.update_user("U0CUST4", status_emoji="", status_text="")
    world.slack.user_change(slack_user("U0CUST4", "vera.customer", team_id=CUSTOMER_TEAM, email="vera@acme.test"))
    world.tick(report_due(world, launch_id, 2))
    world.tick(report_due(world, launch_id, 2) + timedelta(minutes=1))
    [vera] = dms(world, "U0CUST4")
    assert "It has been a few days since you last used" in vera
    assert "Away, so not nudged" not in report(world, 2)


def test_a_retried_message_event_counts_once_and_forgetting_a_person_removes_their_channel_activity(world):
    world.clock.set(at(-5))
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": GO_LIVE.isoformat(), "tz": "Europe/Berlin"}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        launch_id = launch.id
    world.clock.set(at(1))
    msg = world.sim.post_as_user("C0ACME", "U0CUST1", "hello")
    envelope = {"event_id": "Ev0ACTIVITY1"}
    assert world.slack.message("hello", user_id="U0CUST1", channel_id="C0ACME", ts=msg["ts"],
                               user_team=CUSTOMER_TEAM, **envelope).status == 200
    world.clock.set(at(2))  # Slack retries the same delivery a day later: it changes nothing
    assert world.slack.message("hello", user_id="U0CUST1", channel_id="C0ACME", ts=msg["ts"],
                               user_team=CUSTOMER_TEAM, **envelope).status == 200
    with world.runtime.db.session() as s:
        assert [(a.user_id, a.last_active_at) for a in s.exec(select(ChannelActivity)).all()] == [("U0CUST1", at(1))]
        forget_user(s, "U0CUST1")
    with world.runtime.db.session() as s:
        assert s.exec(select(ChannelActivity).where(ChannelActivity.launch_id == launch_id)).all() == []
