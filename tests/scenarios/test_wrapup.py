"""The launch-week wrap-up end to end: a launch driven through its week (check-in answers, issues
acknowledged and resolved, a satisfaction answer, an SLA breach), then `golive tick --at` the first
business day after the last check-in day, at the digest time: one post in the leadership channel with the
week's real numbers and themes, and the chart uploaded through Slack's external upload flow. Once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.features.launches.service import LaunchInput
from bot.features.milestones.service import release_leadership_posts, set_done
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from schedules.plan import stored_plan
from storage.models import Issue, Launch, PlannedWork
from tests.conftest import CUSTOMER_TEAM

MON_CHECKIN = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # go-live Monday, 10:00 in Berlin
TUE_CHECKIN = MON_CHECKIN + timedelta(days=1)
WRAPUP = datetime(2027, 3, 15, 7, 30, tzinfo=UTC)  # Monday after launch week (Mon-Fri), 08:30 in Berlin


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "leadership_channel": "C0LEAD", "leader": ["U0CUST2"],
           "goal": ["40 of 50 invited users active in week 2"], **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def checkin_post(world, day: int):  # noqa: ANN001, ANN201
    return [m for m in world.sim.messages("C0ACME") if m.blocks and f"Day {day} of launch week" in m.plain_text()][0]


def answer_with_note(world, day: int, user: str, answer: str, note: str) -> None:  # noqa: ANN001
    post = checkin_post(world, day)
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    world.slack.block_action("checkin_note", user_id=user, channel_id="C0ACME", message_ts=post["ts"], value=value,
                             user_team_id=CUSTOMER_TEAM)
    view = world.sim.views_for(user)
    world.slack.view_submission(
        "checkin_note_modal", user_id=user, user_team_id=CUSTOMER_TEAM, private_metadata=view["private_metadata"],
        values={"answer": {"answer": {"type": "radio_buttons", "selected_option": {"value": answer}}},
                "note": {"note": {"type": "plain_text_input", "value": note}}})
    world.deliver()


def answer_good(world, day: int, user: str) -> None:  # noqa: ANN001
    post = checkin_post(world, day)
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    world.slack.block_action("checkin_good", user_id=user, channel_id="C0ACME", message_ts=post["ts"], value=value,
                             user_team_id=CUSTOMER_TEAM)


def support_card(world, text: str):  # noqa: ANN001, ANN201
    return [m for m in world.sim.messages("C0SUP") if not m.is_reply and text in m.plain_text()][0]


def acknowledge(world, text: str) -> None:  # noqa: ANN001
    card = support_card(world, text)
    issue_id = next(e["value"] for b in card.blocks if b["type"] == "actions" for e in b["elements"])
    world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts=card["ts"], value=issue_id)
    world.deliver()


def wrapups(world) -> list:  # noqa: ANN001
    return [m for m in world.sim.messages("C0LEAD") if m.blocks and "Launch week wrap-up" in m.plain_text()]


def drive_launch_week(world) -> None:  # noqa: ANN001
    """Go live on Monday morning; two people answer on day 1 (one blocked on SSO), a second SSO problem comes
    by mention, support answers both (40 and 20 min), resolves one (2 h) and its reporter rates it 👍; on day
    2 a friction note about exports is never acknowledged (an SLA breach)."""
    with world.runtime.db.session() as s:
        set_done(s, launch=s.get(Launch, 1), keys=[], all_items=True, done=True, actor="U0CSM", now=world.clock())
    world.clock.set(MON_CHECKIN - timedelta(hours=1))
    assert "is live!" in world.slack.slash_command("live", user_id="U0CSM", channel_id="C0ACME").json()["text"]
    world.tick(MON_CHECKIN)
    world.clock.set(MON_CHECKIN + timedelta(minutes=5))
    answer_with_note(world, 1, "U0CUST1", "blocked", "SSO login loops back to the start page")
    answer_good(world, 1, "U0CUST2")
    world.clock.set(MON_CHECKIN + timedelta(minutes=10))
    msg = world.sim.post_as_user("C0ACME", "U0CUST2", "<@UBOT> SSO redirect fails for the finance team")
    world.slack.app_mention(msg["text"], user_id="U0CUST2", channel_id="C0ACME", ts=msg["ts"], user_team=CUSTOMER_TEAM)
    world.deliver()
    world.clock.set(MON_CHECKIN + timedelta(minutes=30))
    acknowledge(world, "SSO redirect fails")  # 20 min after it was reported
    world.clock.set(MON_CHECKIN + timedelta(minutes=45))
    acknowledge(world, "SSO login loops back")  # 40 min
    world.clock.set(MON_CHECKIN + timedelta(hours=2, minutes=10))
    card = support_card(world, "SSO redirect fails")
    issue_id = next(e["value"] for b in card.blocks if b["type"] == "actions" for e in b["elements"])
    world.slack.block_action("issue_resolve", user_id="U0SUP", channel_id="C0SUP", message_ts=card["ts"],
                             value=issue_id)
    view = world.sim.views_for("U0SUP")
    world.slack.view_submission("issue_resolve_modal", user_id="U0SUP", private_metadata=view["private_metadata"],
                                values={"note": {"note": {"type": "plain_text_input", "value": "IdP metadata fixed"}}})
    world.deliver()
    resolved = [m for m in world.sim.messages("C0ACME") if m.is_reply and "is resolved" in m["text"]][0]
    thumbs_up = next(e for b in resolved.blocks if b["type"] == "actions" for e in b["elements"])
    world.slack.block_action("issue_satisfied", user_id="U0CUST2", channel_id="C0ACME", message_ts=resolved["ts"],
                             value=thumbs_up["value"], user_team_id=CUSTOMER_TEAM)
    world.tick(TUE_CHECKIN)
    world.clock.set(TUE_CHECKIN + timedelta(minutes=5))
    answer_with_note(world, 2, "U0CUST1", "friction", "CSV export times out on big reports")
    world.tick(TUE_CHECKIN + timedelta(hours=2))  # the export issue waited past its 1 h SLA: escalated


def test_the_wrap_up_is_planned_the_first_business_day_after_launch_week_at_the_digest_time(world):
    add_launch(world, holidays=["2027-03-15"])  # the Monday after launch week is a holiday: Tuesday then
    with world.runtime.db.session() as s:
        due = [w.due_at for w in stored_plan(s, 1) if w.kind == "launch_wrapup"]
    assert due == [WRAPUP + timedelta(days=1)]


def test_the_wrap_up_tells_leadership_the_weeks_real_numbers_with_a_chart_once(world, golive):
    add_launch(world)
    drive_launch_week(world)
    [announcement] = [m for m in world.sim.messages("C0LEAD") if "We are live" in m.plain_text()]
    assert "check-in answers" not in announcement.plain_text()  # no zero counts on go-live morning
    assert wrapups(world) == []
    before = golive("tick", "--at", (WRAPUP - timedelta(minutes=1)).isoformat())
    assert before.code == 0 and wrapups(world) == []
    done = golive("tick", "--at", WRAPUP.isoformat())
    assert done.code == 0, done.stderr
    [wrapup] = wrapups(world)
    blocks = json.dumps(wrapup.blocks, ensure_ascii=False)
    assert "Launch week wrap-up — Acme Corp* (Mon 8 Mar – Tue 9 Mar)" in blocks
    assert "3 answers over 2 days; 2 of 2 people in the channel answered (100%)" in blocks
    assert "*Most blocked:* 1 on day 1 (Mon 8 Mar)" in blocks
    with world.runtime.db.session() as s:
        issues = s.exec(select(Issue).order_by(Issue.number)).all()
    assert [(i.text[:20], i.status) for i in issues] == [
        ("SSO login loops back", "acknowledged"), ("SSO redirect fails f", "resolved"),
        ("CSV export times out", "open")]
    assert "*Issues:* 3 reported, 1 resolved" in blocks
    assert "*Median time* to first response: 30 min · to resolution: 2 h 0 min" in blocks
    assert "*SLA breaches:* 1 (#3)" in blocks
    assert "*Satisfaction:* :thumbsup: 1 · :thumbsdown: 0 (100% helpful)" in blocks
    assert "*Top themes:*\\n• *SSO* — 2× · new — “SSO" in blocks
    # The chart went through the external upload flow into the leadership channel.
    for method in ("files.getUploadURLExternal", "upload", "files.completeUploadExternal"):
        assert world.sim.calls_to(method), method
    world.sim.flush_shares()
    charts = [m for m in world.sim.messages("C0LEAD") if m.files]
    assert len(charts) == 1 and world.sim.file(charts[0].files[0]["id"])["data"].startswith(b"\x89PNG")
    assert "chart is shared in this conversation with this wrap-up" in blocks
    # Exactly once: the same instant again, from the command line and from the worker, changes nothing.
    assert golive("tick", "--at", WRAPUP.isoformat()).code == 0
    world.tick(WRAPUP + timedelta(minutes=1))
    world.sim.flush_shares()
    assert len(wrapups(world)) == 1 and len([m for m in world.sim.messages("C0LEAD") if m.files]) == 1
    with world.runtime.db.session() as s:
        [row] = s.exec(select(PlannedWork).where(PlannedWork.kind == "launch_wrapup")).all()
    assert row.status == "done"


def test_without_a_leadership_channel_the_wrap_up_waits_and_the_csm_hears_how_to_fix_it(world):
    add_launch(world, leadership_channel=None)
    world.tick(MON_CHECKIN)
    answer_good(world, 1, "U0CUST2")
    world.tick(WRAPUP)
    assert wrapups(world) == []
    notes = [m for m in world.sim.dm_messages("U0CSM") if "launch-week wrap-up" in m.plain_text()]
    assert len(notes) == 1 and "leadership_channel" in notes[0].plain_text()
    with world.runtime.db.session() as s:
        launch = s.get(Launch, 1)
        launch.leadership_channel = "C0LEAD"
        release_leadership_posts(s, launch, now=world.clock())
    world.tick(WRAPUP + timedelta(minutes=5))
    [wrapup] = wrapups(world)
    assert "1 answer over 1 day; 1 of 2 people in the channel answered (50%)" in wrapup.plain_text()
