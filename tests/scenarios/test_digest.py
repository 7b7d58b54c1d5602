"""The CSM's standup digest and its chart, end to end: planned work, the outbox, the simulator's upload flow."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.features.digest.model import MAX_BLOCKS, LaunchDigest
from bot.features.digest.views import digest_blocks
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from schedules.plan import stored_plan
from storage.models import PlannedWork, WorkStatus
from tests.conftest import CUSTOMER_TEAM
from tests.scenarios.dates import monday_ahead

MON_CHECKIN = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # 10:00 Berlin, go-live Monday
TUE_DIGEST = datetime(2027, 3, 9, 7, 30, tzinfo=UTC)  # 08:30 Berlin


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def digests_to(world, user: str, day: str = "Tue 9 Mar") -> list:  # noqa: ANN001
    return [m for m in world.sim.dm_messages(user) if m.blocks and f"Standup digest — {day}" in m.plain_text()]


def monday_with_answers(world) -> None:  # noqa: ANN001
    """Day 1: Cora is blocked on SSO (by note), Cyril never answers; a second SSO issue by mention."""
    world.tick(MON_CHECKIN)
    post = [m for m in world.sim.messages("C0ACME") if m.blocks and "Day 1 of launch week" in m.plain_text()][0]
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    world.clock.set(MON_CHECKIN + timedelta(minutes=5))
    world.slack.block_action("checkin_note", user_id="U0CUST1", channel_id="C0ACME", message_ts=post["ts"],
                             value=value, user_team_id=CUSTOMER_TEAM)
    view = world.sim.views_for("U0CUST1")
    world.slack.view_submission(
        "checkin_note_modal", user_id="U0CUST1", user_team_id=CUSTOMER_TEAM, private_metadata=view["private_metadata"],
        values={"answer": {"answer": {"type": "radio_buttons", "selected_option": {"value": "blocked"}}},
                "note": {"note": {"type": "plain_text_input", "value": "SSO login loops back to the start <!here>"}}})
    msg = world.sim.post_as_user("C0ACME", "U0CUST2", "<@UBOT> SSO redirect fails for the finance team")
    world.slack.app_mention(msg["text"], user_id="U0CUST2", channel_id="C0ACME", ts=msg["ts"], user_team=CUSTOMER_TEAM)
    world.deliver()


def test_digest_is_planned_per_launch_week_business_day_at_the_local_digest_time(world):
    launch_id = add_launch(world, digest_time="08:15", go_live="2027-03-25")  # Berlin springs forward on the 28th
    with world.runtime.db.session() as s:
        due = [w.due_at for w in stored_plan(s, launch_id) if w.kind == "digest"]
    assert due == [datetime(2027, 3, 25, 7, 15, tzinfo=UTC), datetime(2027, 3, 26, 7, 15, tzinfo=UTC),
                   datetime(2027, 3, 29, 6, 15, tzinfo=UTC), datetime(2027, 3, 30, 6, 15, tzinfo=UTC),
                   datetime(2027, 3, 31, 6, 15, tzinfo=UTC)]


def test_one_digest_per_csm_covers_all_their_launches_with_yesterdays_answers_issues_and_a_chart(world):
    add_launch(world)
    add_launch(world, channel="C0OTHER", customer="Other Co")  # the same CSM's second launch
    monday_with_answers(world)
    world.tick(TUE_DIGEST)
    world.tick(TUE_DIGEST + timedelta(minutes=1))
    [digest] = digests_to(world, "U0CSM")
    text = digest.plain_text()
    blocks = json.dumps(digest.blocks)
    assert "Acme Corp" in text and "Other Co" in text
    assert "1 blocked" in text and "<@U0CUST1>" in blocks  # who was blocked
    assert "No answer yet:* <@U0CUST2>" in blocks  # Cyril never answered
    assert "sev2 2" in text and "SLA" in text  # both issues open, with their SLA state
    assert "*at risk*" in blocks or "*stuck*" in blocks
    assert "blocked on SSO — cover it first" in text  # a talking point derived from the notes and issues
    assert "<!here>" not in blocks  # a customer's text never becomes a broadcast
    assert len(digest.blocks) <= MAX_BLOCKS
    # The chart came through the external upload flow, into the same DM.
    for method in ("files.getUploadURLExternal", "upload", "files.completeUploadExternal"):
        assert world.sim.calls_to(method), method
    world.sim.flush_shares()  # Slack shares the file into the DM a moment after the upload returns
    [chart] = [m for m in world.sim.dm_messages("U0CSM") if m.files and "(Tue 9 Mar)" in m["text"]]
    assert world.sim.file(chart.files[0]["id"])["data"].startswith(b"\x89PNG")
    assert "chart" in text and "missing" not in text


def test_a_launch_with_a_csm_channel_gets_its_digest_there_not_by_dm(world):
    world.sim.add_channel("C0CSMS", "csm-team", members=["U0CSM"])
    add_launch(world, csm_channel="C0CSMS")
    world.tick(MON_CHECKIN)
    world.tick(TUE_DIGEST)
    posted = [m for m in world.sim.messages("C0CSMS") if m.blocks and "Standup digest — Tue" in m.plain_text()]
    assert len(posted) == 1 and "Acme Corp" in posted[0].plain_text()
    assert digests_to(world, "U0CSM") == []


@pytest.mark.parametrize("method, kind", [("upload", "500"), ("files.completeUploadExternal", "internal_error")])
def test_a_chart_that_cannot_be_uploaded_leaves_a_text_digest_saying_so(world, method, kind):
    add_launch(world)
    world.tick(MON_CHECKIN - timedelta(hours=4))  # before Monday's digest: nothing to show yet
    world.tick(MON_CHECKIN)
    world.sim.inject(method, kind, times=5)
    world.tick(TUE_DIGEST)
    [digest] = digests_to(world, "U0CSM")
    assert "The chart is missing today" in digest.plain_text()
    assert not [m for m in world.sim.dm_messages("U0CSM") if m.files and "(Tue 9 Mar)" in m["text"]]


@pytest.mark.parametrize("after_effect", [True, False], ids=["slack-shared-it", "slack-did-not"])
def test_a_chart_whose_completion_answer_is_lost_is_shared_exactly_once(world, after_effect):
    """files.completeUploadExternal answers 500, after sharing the file or before: the next attempt asks
    Slack about the file it reserved (files.info) and either takes it as shared or starts the upload over, so
    the CSM sees one chart and a digest that does not call it missing."""
    add_launch(world)
    monday_with_answers(world)
    world.sim.inject("files.completeUploadExternal", "500", times=1, after_effect=after_effect)
    earlier = len(world.sim.calls_to("files.completeUploadExternal"))  # Monday's digest had its chart too
    world.tick(TUE_DIGEST)
    assert digests_to(world, "U0CSM") == []  # unconfirmed: the digest waits for the check
    world.tick(TUE_DIGEST + timedelta(minutes=1))
    world.sim.flush_shares()
    charts = [m for m in world.sim.dm_messages("U0CSM") if m.files and "(Tue 9 Mar)" in m["text"]]
    assert len(charts) == 1
    assert world.sim.file(charts[0].files[0]["id"])["data"].startswith(b"\x89PNG")
    [digest] = digests_to(world, "U0CSM")
    assert "chart" in digest.plain_text() and "missing" not in digest.plain_text()
    completions = len(world.sim.calls_to("files.completeUploadExternal")) - earlier
    assert completions == (1 if after_effect else 2) and len(world.sim.calls_to("files.info")) == 1


def test_a_csm_who_left_gets_their_digest_sent_to_the_admins_and_launch_show_says_so(world, golive):
    launch_id = add_launch(world)
    world.tick(MON_CHECKIN)
    world.sim.update_user("U0CSM", deleted=True)
    world.tick(TUE_DIGEST)
    [copy] = digests_to(world, "U0ADMIN")
    assert "<@U0CSM>'s digest" in json.dumps(copy.blocks) and "Acme Corp" in copy.plain_text()
    assert digests_to(world, "U0CSM") == []
    shown = golive("launch", "show", str(launch_id))
    assert shown.code == 0, shown.stderr
    assert "Delivery problems" in shown.stdout
    assert "account_inactive" in shown.stdout and "copy to admin U0ADMIN: sent" in shown.stdout


def test_many_launches_stay_inside_block_kit_limits_most_urgent_first(world):
    for n in range(12):
        world.sim.add_channel(f"C0L{n:03d}", f"launch-{n}", members=["U0CSM", "U0CUST1"], is_ext_shared=True)
        add_launch(world, channel=f"C0L{n:03d}", customer=f"Customer {n:02d} " + "x" * 100)
    world.tick(MON_CHECKIN)
    world.tick(TUE_DIGEST)
    [digest] = digests_to(world, "U0CSM")  # the simulator refuses anything over Slack's limits
    assert "12 launches" in digest.plain_text()


def test_digest_builder_with_sixty_launches_keeps_every_limit():
    def one(n: int, health: str) -> LaunchDigest:
        d = LaunchDigest(launch_id=n, customer=f"Customer {n} <b>&" + "y" * 150, channel=f"C{n:05d}",
                         stage="launch week, day 2 of 5", go_live=date(2027, 3, 8), status="planned",
                         live_text="not live yet", last_day=date(2027, 3, 8), last_day_number=1)
        d.health, d.reasons = health, ["x" * 400] * 5
        d.blocked_people = [f"U{i:06d}" for i in range(40)]
        d.talking_points = ["p" * 600] * 3
        return d

    digests = [one(n, ["on track", "at risk", "stuck"][n % 3]) for n in range(60)]
    text, blocks = digest_blocks(digests, date(2027, 3, 9), "chart note")
    assert len(blocks) <= MAX_BLOCKS
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(t) <= 3000 for t in sections)
    assert sum(len(t) for t in sections) < 13_000
    assert "stuck" in sections[0]  # the most urgent launch comes first
    assert "60 launches" in text and "&lt;b&gt;&amp;" in json.dumps(blocks)


def test_report_command_writes_the_launch_week_chart(golive, tmp_path):
    go_live = monday_ahead(2)  # the CLI refuses a go-live date in the past
    created = golive("launch", "add", "--customer", "Acme", "--channel", "C0ACME", "--go-live", go_live.isoformat(),
                     "--tz", "Europe/Berlin", "--csm", "U0CSM")
    assert created.code == 0, created.stderr
    out = tmp_path / "charts" / "week.png"
    result = golive("report", "--launch", created.stdout.strip(), "--out", str(out), "--at",
                    f"{go_live + timedelta(days=2)}T12:00:00Z")  # Wednesday of launch week
    assert result.code == 0, result.stderr
    assert out.read_bytes().startswith(b"\x89PNG") and str(out) in result.stdout
    missing = golive("report", "--launch", "999", "--out", str(out))
    assert missing.code == 2 and "no launch with id 999" in missing.stderr and len(missing.stderr.splitlines()) == 1


def digest_section(digest, customer: str) -> str:  # noqa: ANN001 - SimMessage
    """The digest's section about one launch (its blocks' text, mentions as ids)."""
    [section] = [b["text"]["text"] for b in digest.blocks if b["type"] == "section"
                 and f"*{customer}*" in b["text"]["text"] and "*Open issues:*" in b["text"]["text"]]
    return section


def on_time(world, until: datetime) -> None:  # noqa: ANN001
    """A healthy worker: every piece of planned work due by `until` runs at its due time."""
    with world.runtime.db.session() as s:
        due = sorted({w.due_at for w in s.exec(select(PlannedWork).where(
            PlannedWork.status == WorkStatus.PENDING, PlannedWork.due_at <= until)).all()})
    for at in due:
        world.tick(at)


def test_the_digest_lists_yesterdays_escalations_and_missed_or_late_posts_once(world):
    add_launch(world)  # check-in 10:00 Berlin (09:00 UTC)
    add_launch(world, channel="C0OTHER", customer="Other Co", checkin_time="08:45")  # 07:45 UTC
    on_time(world, datetime(2027, 3, 8, 7, 30, tzinfo=UTC))  # heads-ups, checklist reminders, Monday's digest
    # The worker is down from 07:30 to 11:30 UTC: Acme's check-in goes out 2.5 h late (within the 3 h
    # grace, saying so), Other Co's is 3.75 h late and is skipped.
    world.tick(datetime(2027, 3, 8, 11, 30, tzinfo=UTC))
    # An issue nobody acknowledges within its hour escalates once, then support picks it up.
    world.clock.set(datetime(2027, 3, 8, 11, 35, tzinfo=UTC))
    msg = world.sim.post_as_user("C0ACME", "U0CUST2", "<@UBOT> Exports time out")
    world.slack.app_mention(msg["text"], user_id="U0CUST2", channel_id="C0ACME", ts=msg["ts"], user_team=CUSTOMER_TEAM)
    world.deliver()
    world.tick(datetime(2027, 3, 8, 12, 40, tzinfo=UTC))
    card = next(m for m in world.sim.messages("C0SUP") if not m.is_reply)
    world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts=card["ts"], value="1")
    world.tick(TUE_DIGEST)

    [monday] = digests_to(world, "U0CSM", "Mon 8 Mar")
    assert "Escalations since" not in monday.plain_text() and "Missed or late" not in monday.plain_text()
    [digest] = digests_to(world, "U0CSM")
    acme = digest_section(digest, "Acme Corp")
    assert "*Escalations since the last digest:* #1 step 1" in acme
    [acme_missed] = [line for line in acme.splitlines() if line.startswith("*Missed or late:*")]
    assert "check-in (day 1): posted late" in acme_missed
    other = digest_section(digest, "Other Co")
    assert "Escalations since" not in other  # Other Co had no escalation
    [other_missed] = [line for line in other.splitlines() if line.startswith("*Missed or late:*")]
    assert "check-in (day 1): skipped: the worker was down; found 225 min late, past the 3 h grace period" \
        in other_missed
    assert "1 escalation(s) since the last digest" in digest.plain_text()  # a talking point

    # Tuesday's work goes out on time: Wednesday's digest repeats none of Monday's news.
    on_time(world, TUE_DIGEST + timedelta(days=1))
    [wednesday] = digests_to(world, "U0CSM", "Wed 10 Mar")
    assert "Acme Corp" in wednesday.plain_text()
    assert "Escalations since" not in wednesday.plain_text() and "Missed or late" not in wednesday.plain_text()
