"""Launch-week check-ins end to end: signed clicks over HTTP, the simulator, and controlled time."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.features.checkins.service import checkin_days
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from schedules.plan import stored_plan
from storage.models import CheckIn, CheckInAnswer, CheckInAnswerHistory, Issue, Launch, PlannedWork, WorkStatus
from tests.conftest import CUSTOMER_TEAM, run_golive

MON = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # 10:00 in Berlin on go-live Monday


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def checkin_posts(world, channel="C0ACME"):  # noqa: ANN001, ANN201
    return [m for m in world.sim.messages(channel) if m.blocks and "of launch week" in m.plain_text()
            and not m.is_reply]


def click(world, action_id, post, user="U0CUST1", team=CUSTOMER_TEAM, channel="C0ACME"):  # noqa: ANN001, ANN201
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    result = world.slack.block_action(action_id, user_id=user, channel_id=channel, message_ts=post["ts"], value=value,
                                      user_team_id=team)
    assert result.status == 200, result.body_text
    return world.sim.responses[-1]["text"] if world.sim.responses else ""


def answers(world) -> list[tuple[str, str, str | None]]:  # noqa: ANN001
    with world.runtime.db.session() as s:
        rows = s.exec(select(CheckInAnswer).order_by(CheckInAnswer.user_id)).all()
        return [(r.user_id, r.answer, r.note) for r in rows]


def test_plan_is_go_live_day_and_the_following_business_days_skipping_weekends_and_holidays():
    thursday = Launch(customer="x", channel="C1", go_live_date=date(2027, 3, 4), timezone="UTC",
                      holidays=["2027-03-09"])
    assert checkin_days(thursday) == [date(2027, 3, d) for d in (4, 5, 8, 10, 11)]
    saturday = Launch(customer="x", channel="C1", go_live_date=date(2027, 3, 6), timezone="UTC", checkin_days=3)
    assert checkin_days(saturday) == [date(2027, 3, d) for d in (8, 9, 10)]


def test_checkins_land_at_local_check_in_time_across_dst(world):
    launch_id = add_launch(world, go_live="2027-03-25", checkin_time="10:00")  # Berlin springs forward on Sun 28th
    with world.runtime.db.session() as s:
        due = [w.due_at for w in stored_plan(s, launch_id) if w.kind == "checkin"]
    assert due == [datetime(2027, 3, 25, 9, 0, tzinfo=UTC), datetime(2027, 3, 26, 9, 0, tzinfo=UTC),
                   datetime(2027, 3, 29, 8, 0, tzinfo=UTC), datetime(2027, 3, 30, 8, 0, tzinfo=UTC),
                   datetime(2027, 3, 31, 8, 0, tzinfo=UTC)]


def test_checkin_is_posted_once_with_the_three_answer_buttons(world):
    add_launch(world)
    world.tick(MON)
    world.tick(MON)
    world.tick(MON + timedelta(minutes=1))
    posts = checkin_posts(world)
    assert len(posts) == 1
    action_ids = [e["action_id"] for b in posts[0].blocks if b["type"] == "actions" for e in b["elements"]]
    assert action_ids[:3] == ["checkin_good", "checkin_friction", "checkin_blocked"]
    assert "issue_report_open" in action_ids and "checkin_note" in action_ids
    assert "Day 1 of launch week" in posts[0].plain_text()
    world.tick(MON + timedelta(days=1))
    assert "Day 2 of launch week" in checkin_posts(world)[1].plain_text()


def test_a_click_is_recorded_confirmed_and_a_later_click_replaces_it(world):
    add_launch(world)
    world.tick(MON)
    post = checkin_posts(world)[0]
    world.clock.set(MON + timedelta(minutes=5))
    confirmation = click(world, "checkin_good", post)
    assert "recorded *All good* for day 1" in confirmation
    world.clock.set(MON + timedelta(minutes=6))
    confirmation = click(world, "checkin_friction", post)
    assert "replaces your earlier answer" in confirmation
    click(world, "checkin_good", post, user="U0CUST2")
    assert answers(world) == [("U0CUST1", "friction", None), ("U0CUST2", "good", None)]
    with world.runtime.db.session() as s:
        history = s.exec(select(CheckInAnswerHistory.answer).where(CheckInAnswerHistory.user_id == "U0CUST1")
                         .order_by(CheckInAnswerHistory.id)).all()
    assert history == ["good", "friction"]
    world.clock.advance(seconds=5)
    world.deliver()
    tally = checkin_posts(world)[0].plain_text()
    assert "1 all good" in tally and "1 some friction" in tally and "0 blocked" in tally
    assert "cora" not in tally and "U0CUST1" not in tally  # counts only, no names


def test_clicks_over_many_seconds_while_the_tally_waits_send_one_refresh_showing_them_all(world):
    add_launch(world)
    world.tick(MON)
    post = checkin_posts(world)[0]
    updates_before = sum(1 for c in world.sim.calls if c.method == "chat.update")
    # Nothing is delivered while clicks keep coming for a minute (as when chat.update's budget is spent).
    for second, (user, action) in enumerate([("U0CUST1", "checkin_good"), ("U0CUST2", "checkin_friction"),
                                              ("U0CUST1", "checkin_blocked"), ("U0CUST2", "checkin_good")]):
        world.clock.set(MON + timedelta(minutes=2, seconds=15 * second))
        click(world, action, post, user=user)
    world.clock.set(MON + timedelta(minutes=4))
    world.deliver()
    updates = [c for c in world.sim.calls if c.method == "chat.update"][updates_before:]
    assert len(updates) == 1  # the three older refreshes were superseded, not sent one after another
    tally = checkin_posts(world)[0].plain_text()
    assert "1 all good" in tally and "0 some friction" in tally and "1 blocked" in tally


def test_launch_that_opts_in_shows_names_on_the_tally(world):
    add_launch(world, show_names=True)
    world.tick(MON)
    click(world, "checkin_good", checkin_posts(world)[0])
    world.clock.advance(minutes=1)
    world.deliver()
    assert "All good: @cora.customer" in checkin_posts(world)[0].plain_text()


def test_blocked_opens_an_issue_tells_support_and_answers_in_the_thread(world):
    add_launch(world)
    world.tick(MON)
    post = checkin_posts(world)[0]
    confirmation = click(world, "checkin_blocked", post)
    click(world, "checkin_blocked", post)  # clicking again does not open a second issue
    assert "Support has it: this is issue *#1*" in confirmation
    world.deliver()
    support = world.sim.messages("C0SUP")
    assert len(support) == 1 and "Issue #1" in support[0].plain_text() and "Acme Corp" in support[0].plain_text()
    thread = [m for m in world.sim.messages("C0ACME") if m.is_reply and m["thread_ts"] == post["ts"]]
    assert len(thread) == 1 and "issue *#1*" in thread[0]["text"]
    with world.runtime.db.session() as s:
        issues = s.exec(select(Issue)).all()
    assert [(i.number, i.reporter, i.severity, i.source) for i in issues] == [(1, "U0CUST1", "sev2", "check-in")]


@pytest.mark.parametrize("case", ["missing", "garbage", "other-launch", "after-launch-week"])
def test_bad_clicks_get_an_explanation_and_record_nothing(world, case):
    add_launch(world)
    add_launch(world, channel="C0OTHER", customer="Other Co", csm=["U0CSM2"])
    world.tick(MON)
    post = checkin_posts(world)[0]
    value = {"missing": "99999", "garbage": "'; drop table launch; --", "other-launch": None,
             "after-launch-week": None}[case]
    channel = "C0OTHER" if case == "other-launch" else "C0ACME"
    if case == "after-launch-week":
        world.clock.set(MON + timedelta(days=8))
    if value is None:
        value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    result = world.slack.block_action("checkin_good", user_id="U0CUST1", channel_id=channel, message_ts=post["ts"],
                                      value=value, user_team_id=CUSTOMER_TEAM)
    assert result.status == 200
    text = world.sim.responses[-1]["text"]
    assert world.sim.responses[-1].get("response_type") == "ephemeral"
    assert "Nothing was recorded" in text or "Nothing was changed" in text
    assert answers(world) == []


def test_note_modal_stores_long_unicode_notes_whole_and_opens_an_issue_for_friction(world):
    add_launch(world)
    world.tick(MON)
    post = checkin_posts(world)[0]
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    result = world.slack.block_action("checkin_note", user_id="U0CUST1", channel_id="C0ACME", message_ts=post["ts"],
                                      value=value, user_team_id=CUSTOMER_TEAM)
    assert result.status == 200
    view = world.sim.views_for("U0CUST1")
    assert view["callback_id"] == "checkin_note_modal"
    note = ("SSO login loops 🔁 — ログインできません <!channel> <@U0CSM> " * 120)[:5000]
    submitted = world.slack.view_submission(
        "checkin_note_modal", user_id="U0CUST1", user_team_id=CUSTOMER_TEAM,
        private_metadata=view["private_metadata"],
        values={"answer": {"answer": {"type": "radio_buttons", "selected_option": {"value": "friction"}}},
                "note": {"note": {"type": "plain_text_input", "value": note}}})
    assert submitted.status == 200 and submitted.body_text in ("", "{}")
    assert answers(world) == [("U0CUST1", "friction", note)]
    world.deliver()
    support = world.sim.messages("C0SUP")[0]
    assert "<!channel>" not in json.dumps(support.blocks) and "&lt;!channel&gt;" in json.dumps(support.blocks)
    assert all(len(b["text"]["text"]) <= 3000 for b in support.blocks if b["type"] == "section")
    ephemeral = world.sim.ephemerals("U0CUST1")
    assert ephemeral and "issue *#1*" in ephemeral[-1].plain_text() or "issue" in ephemeral[-1]["text"]


def test_note_modal_without_text_asks_for_it_and_records_nothing(world):
    add_launch(world)
    world.tick(MON)
    with world.runtime.db.session() as s:
        checkin_id = s.exec(select(CheckIn.id)).one()
    result = world.slack.view_submission(
        "checkin_note_modal", user_id="U0CUST1", private_metadata=json.dumps({"checkin": checkin_id,
                                                                              "channel": "C0ACME"}),
        values={"note": {"note": {"type": "plain_text_input", "value": "   "}}})
    assert result.json()["response_action"] == "errors"
    assert answers(world) == []


def test_nudge_mentions_only_customers_who_have_not_answered_computed_at_send_time(world):
    world.sim.add_user("U0CUST3", "cleo.away", team_id=CUSTOMER_TEAM, status_emoji=":palm_tree:",
                       status_text="On vacation")
    world.sim.add_user("U0CUST4", "carl.customer", team_id=CUSTOMER_TEAM)
    world.sim.add_user("U0HELPER", "helperbot", is_bot=True)
    for user in ("U0CUST3", "U0CUST4", "U0HELPER", "U0SUP"):
        world.sim.add_member("C0ACME", user)
    add_launch(world)
    world.tick(MON)
    post = checkin_posts(world)[0]
    click(world, "checkin_good", post, user="U0CUST1")
    world.clock.set(MON + timedelta(hours=2, minutes=59))
    click(world, "checkin_friction", post, user="U0CUST4")  # answered late, just before the nudge
    world.tick(MON + timedelta(hours=3))
    world.tick(MON + timedelta(hours=3, minutes=5))
    nudges = [m for m in world.sim.messages("C0ACME") if m.is_reply and "reminder" in m["text"]]
    assert len(nudges) == 1
    assert "<@U0CUST2>" in nudges[0]["text"]
    for not_nudged in ("U0CUST1", "U0CUST4", "U0CUST3", "U0HELPER", "U0SUP", "U0CSM", "UBOT"):
        assert f"<@{not_nudged}>" not in nudges[0]["text"]


def test_muted_people_and_launches_without_nudges_are_left_alone(world):
    add_launch(world)
    world.tick(MON)
    world.tick(MON + timedelta(hours=3))
    nudge = [m for m in world.sim.messages("C0ACME") if "reminder" in m["text"]][0]
    result = world.slack.block_action("nudge_mute", user_id="U0CUST2", channel_id="C0ACME", message_ts=nudge["ts"],
                                      value=nudge.blocks[1]["elements"][0]["value"], user_team_id=CUSTOMER_TEAM)
    assert result.status == 200 and "no more reminders" in world.sim.responses[-1]["text"]
    world.tick(MON + timedelta(days=1))
    world.tick(MON + timedelta(days=1, hours=3))
    day2 = [m for m in world.sim.messages("C0ACME") if "reminder" in m["text"] and "day 2" in m["text"]]
    assert len(day2) == 1 and "<@U0CUST1>" in day2[0]["text"] and "<@U0CUST2>" not in day2[0]["text"]
    add_launch(world, nudges=False)
    world.tick(MON + timedelta(days=2))
    world.tick(MON + timedelta(days=2, hours=3))
    assert not [m for m in world.sim.messages("C0ACME") if "reminder" in m["text"] and "day 3" in m["text"]]


def test_missed_checkin_is_posted_late_within_grace_and_skipped_visibly_after(world):
    launch_id = add_launch(world)
    world.tick(MON + timedelta(hours=2, minutes=30))  # worker back 2.5 h late: still posted, saying so
    posts = checkin_posts(world)
    assert len(posts) == 1 and "Posted late" in posts[0].plain_text()
    world.tick(MON + timedelta(days=1, hours=4))  # day 2: 4 h late, past the 3 h grace
    assert len(checkin_posts(world)) == 1
    with world.runtime.db.session() as s:
        day2 = s.exec(select(PlannedWork).where(PlannedWork.key == f"launch:{launch_id}:checkin:2")).one()
    assert day2.status == WorkStatus.SKIPPED and "grace" in day2.note
    shown = run_golive(["launch", "show", str(launch_id)], world.env).stdout
    assert "check-in (day 2)" in shown and "skipped" in shown


def test_worker_restarted_mid_week_repeats_nothing_and_loses_no_day(world):
    add_launch(world)
    world.tick(MON)
    world.tick(MON + timedelta(days=1))
    world.runtime.close()
    from bot.runtime import Runtime

    world.runtime = Runtime(world.settings, clock=world.clock)
    for day in range(0, 5):
        world.tick(MON + timedelta(days=day, minutes=1))
    days = [p.plain_text().split("Day ")[1][0] for p in checkin_posts(world)]
    assert days == ["1", "2", "3", "4", "5"]


def test_changing_the_checkin_time_replans_only_what_was_not_posted(world):
    launch_id = add_launch(world)
    world.tick(MON)
    add_launch(world, checkin_time="14:30")
    with world.runtime.db.session() as s:
        plan = [(w.payload["day"], w.due_at, w.status) for w in stored_plan(s, launch_id) if w.kind == "checkin"]
    assert plan[0] == (1, MON, WorkStatus.DONE)
    assert plan[1] == (2, datetime(2027, 3, 9, 13, 30, tzinfo=UTC), WorkStatus.PENDING)


def test_export_has_one_current_answer_per_person_per_day(world):
    add_launch(world)
    world.tick(MON)
    post = checkin_posts(world)[0]
    click(world, "checkin_good", post)
    click(world, "checkin_blocked", post)
    click(world, "checkin_friction", post, user="U0CUST2")
    data = json.loads(run_golive(["export"], world.env).stdout)
    rows = sorted(data["checkin_responses"], key=lambda r: r["user"])
    assert [(r["launch_id"], r["day"], r["user"], r["answer"]) for r in rows] == [
        (1, "2027-03-08", "U0CUST1", "blocked"), (1, "2027-03-08", "U0CUST2", "friction")]
    assert rows[0]["recorded_at"].endswith("Z") and rows[0]["note"] is None
    csv_rows = [line for line in run_golive(["export", "--format", "csv"], world.env).stdout.splitlines()
                if line.startswith("checkin_response,")]
    assert len(csv_rows) == 2
