"""App Home over signed HTTP: who sees which launches, what each card says, the refresh after changes and
the read-only readiness checklist."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import delete, select

from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import HomeVisit, ReadinessItem
from tests.conftest import CUSTOMER_TEAM

MON = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def open_home(world, user: str) -> str:  # noqa: ANN001
    result = world.slack.app_home_opened(user)
    assert result.status == 200, result.body_text
    world.deliver()  # the handler records the visit; the sender publishes the Home (views.publish)
    view = world.sim.views_for(user, "home")
    assert view is not None
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_each_person_sees_the_launches_they_may_see(world):
    add_launch(world)
    add_launch(world, channel="C0OTHER", customer="Other Co", csm=["U0CSM2"])
    world.clock.set(MON - timedelta(days=2))
    assert "Acme Corp" in open_home(world, "U0CSM") and "Other Co" not in open_home(world, "U0CSM")
    admin = open_home(world, "U0ADMIN")
    assert "Acme Corp" in admin and "Other Co" in admin
    customer = open_home(world, "U0CUST1")  # a guest in Acme's shared channel
    assert "Acme Corp" in customer and "Other Co" not in customer
    other = open_home(world, "U0OTHER")
    assert "Other Co" in other and "Acme Corp" not in other
    nobody = open_home(world, "U0SUP")  # vendor staff in no launch channel
    assert "No launches to show" in nobody
    with world.runtime.db.session() as s:
        visits = {v.user_id: v.team_id for v in s.exec(select(HomeVisit)).all()}
    assert visits["U0CUST1"] == CUSTOMER_TEAM and visits["U0CSM"] == "T0VENDOR"


def test_a_card_shows_stage_go_live_tally_issues_next_step_and_the_two_buttons(world):
    add_launch(world)
    world.tick(MON)
    post = [m for m in world.sim.messages("C0ACME") if m.blocks and "Day 1 of launch week" in m.plain_text()][0]
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    world.slack.block_action("checkin_blocked", user_id="U0CUST1", channel_id="C0ACME", message_ts=post["ts"],
                             value=value, user_team_id=CUSTOMER_TEAM)
    blocks = open_home(world, "U0CSM")
    assert "launch week, day 1 of 5" in blocks and "Mon 8 Mar 2027" in blocks
    assert "1 blocked" in blocks and "sev2 1" in blocks
    assert "*Next:* reminder to answer (day 1) on Mon 8 Mar 13:00" in blocks
    view = world.sim.views_for("U0CSM", "home")
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["url"] == "https://slack.com/app_redirect?channel=C0ACME&team=T0VENDOR"
    assert buttons[1]["action_id"] == "home_open_readiness"


def test_recent_visitors_see_changes_without_reopening_and_old_visitors_are_left_alone(world):
    add_launch(world)
    world.tick(MON)
    open_home(world, "U0CSM")
    open_home(world, "U0ADMIN")
    with world.runtime.db.session() as s:  # the admin last looked two days ago
        s.get(HomeVisit, "U0ADMIN").opened_at = MON - timedelta(days=2)
    published = len(world.sim.calls_to("views.publish"))
    post = [m for m in world.sim.messages("C0ACME") if m.blocks and "Day 1 of launch week" in m.plain_text()][0]
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    for user in ("U0CUST1", "U0CUST2"):
        world.clock.advance(seconds=2)
        world.slack.block_action("checkin_good", user_id=user, channel_id="C0ACME", message_ts=post["ts"],
                                 value=value, user_team_id=CUSTOMER_TEAM)
    world.tick(world.clock.advance(seconds=5))
    world.tick(world.clock.advance(seconds=40))
    world.tick(world.clock.advance(seconds=40))
    refreshes = world.sim.calls_to("views.publish")[published:]
    assert [c.params["user_id"] for c in refreshes] == ["U0CSM"]  # once, for the recent visitor only
    assert "2 all good" in json.dumps(world.sim.views_for("U0CSM", "home")["blocks"])


def test_readiness_button_opens_the_checklist_read_only_for_people_who_may_see_it(world):
    launch_id = add_launch(world)
    other_id = add_launch(world, channel="C0OTHER", customer="Other Co", csm=["U0CSM2"])
    with world.runtime.db.session() as s:
        s.exec(delete(ReadinessItem).where(ReadinessItem.launch_id == launch_id))
        s.add(ReadinessItem(launch_id=launch_id, key="sso", text="SSO <configured> & tested", position=1, done=True,
                            changed_by="U0CSM", changed_at=MON))
        s.add(ReadinessItem(launch_id=launch_id, key="data", text="Data migrated", position=2, owner="U0CUST1"))
    result = world.slack.block_action("home_open_readiness", user_id="U0CUST1", channel_id="DU0CUST1",
                                      message_ts="1.0", value=str(launch_id), user_team_id=CUSTOMER_TEAM)
    assert result.status == 200
    modal = world.sim.views_for("U0CUST1", "modal")
    text = json.dumps(modal["blocks"], ensure_ascii=False)
    assert "1 of 2 go-live criteria met" in text
    assert ":white_check_mark: SSO &lt;configured&gt; &amp; tested" in text
    assert ":white_large_square: Data migrated — owner <@U0CUST1>" in text
    assert not [b for b in modal["blocks"] if b["type"] in ("actions", "input")]  # nothing to change here
    refused = world.slack.block_action("home_open_readiness", user_id="U0CUST1", channel_id="DU0CUST1",
                                       message_ts="1.0", value=str(other_id), user_team_id=CUSTOMER_TEAM)
    assert refused.status == 200
    assert "Only the launch's CSMs" in world.sim.responses[-1]["text"]
    assert world.sim.views_for("U0CUST1", "modal")["blocks"] == modal["blocks"]  # no second modal
