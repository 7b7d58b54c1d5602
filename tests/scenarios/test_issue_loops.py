"""Issue 12's support loop, end to end over signed HTTP: one thread per issue (people blocked on the same day
each reach their own support card), the *Blocked* follow-up, 👎 reaching the CSMs with a way to reopen, the
ladder that keeps paging (and the second-level oncall), the timeline in Slack and in the export, holidays in
SLA clocks and the heads-up, and *Same problem* links."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.features.heads_up.service import heads_up_text
from bot.features.issues import service as issues_service
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from schedules.plan import stored_plan
from storage.models import Issue, IssueEvent, Launch
from tests.conftest import CUSTOMER_TEAM, run_golive

MON = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # 10:00 in Berlin on go-live Monday: the day-1 check-in


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "urgent_channel": "C0URG", "oncall": "U0SUP",
           **overrides}
    world.clock.set(MON - timedelta(days=7))
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
    world.clock.set(MON)
    return launch.id


def all_issues(world) -> list[Issue]:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return list(s.exec(select(Issue).order_by(Issue.id)).all())


def card(world, number: int):  # noqa: ANN001, ANN201
    cards = [m for m in world.sim.messages("C0SUP") if not m.is_reply and m.blocks
             and f"*Issue #{number}*" in json.dumps(m.blocks)]
    assert len(cards) == 1, [m.plain_text() for m in world.sim.messages("C0SUP")]
    return cards[0]


def replies(world, channel: str, ts: str) -> list:  # noqa: ANN001
    return [m for m in world.sim.messages(channel) if m.is_reply and m["thread_ts"] == ts]


def buttons(message) -> list[dict]:  # noqa: ANN001
    return [e for b in message.blocks or [] if b["type"] == "actions" for e in b["elements"]] + [
        b["accessory"] for b in message.blocks or [] if b.get("accessory", {}).get("type") == "button"]


def checkin_post(world):  # noqa: ANN001, ANN201
    posts = [m for m in world.sim.messages("C0ACME") if m.blocks and "of launch week" in m.plain_text()
             and not m.is_reply]
    assert posts
    return posts[-1]


def answer_blocked(world, post, user: str) -> None:  # noqa: ANN001
    value = next(e["value"] for e in buttons(post) if e["action_id"] == "checkin_blocked")
    result = world.slack.block_action("checkin_blocked", user_id=user, channel_id="C0ACME", message_ts=post["ts"],
                                      value=value, user_team_id=CUSTOMER_TEAM)
    assert result.status == 200, result.body_text


def reply_as(world, channel: str, user: str, text: str, thread_ts: str, team: str | None = CUSTOMER_TEAM):  # noqa: ANN001, ANN201
    message = world.sim.post_as_user(channel, user, text, thread_ts=thread_ts)
    result = world.slack.message(text, user_id=user, channel_id=channel, ts=message["ts"], thread_ts=thread_ts,
                                 user_team=team)
    assert result.status == 200, result.body_text
    return message


def mention_issue(world, text: str, user: str = "U0CUST1"):  # noqa: ANN001, ANN201
    message = world.sim.post_as_user("C0ACME", user, f"<@UBOT> {text}")
    world.slack.app_mention(message["text"], user_id=user, channel_id="C0ACME", ts=message["ts"],
                            user_team=CUSTOMER_TEAM)
    world.deliver()
    return message


def resolve(world, issue: Issue, note: str = "Fixed in 4.2.1") -> None:  # noqa: ANN001
    world.slack.block_action("issue_resolve", user_id="U0SUP", channel_id="C0SUP",
                             message_ts=card(world, issue.number)["ts"], value=str(issue.id))
    view = world.sim.views_for("U0SUP")
    world.slack.view_submission("issue_resolve_modal", user_id="U0SUP", private_metadata=view["private_metadata"],
                                values={"note": {"note": {"type": "plain_text_input", "value": note}}})
    world.clock.advance(seconds=1)
    world.deliver()


# -- item 6: one thread per issue ------------------------------------------------------------------------


@pytest.mark.parametrize("people", [2, 5])
def test_people_blocked_the_same_day_each_reach_their_own_support_card(world, people):
    users = ["U0CUST1", "U0CUST2"] + [f"U0BLK{i}" for i in range(people - 2)]
    for i, user in enumerate(users[2:]):
        world.sim.add_user(user, f"blocked.{i}", team_id=CUSTOMER_TEAM, email=f"b{i}@acme.test")
        world.sim.add_member("C0ACME", user)
    add_launch(world)
    world.tick(MON)
    post = checkin_post(world)
    for minute, user in enumerate(users):
        world.clock.set(MON + timedelta(minutes=minute + 1))
        answer_blocked(world, post, user)
    world.clock.advance(seconds=5)
    world.deliver()
    number_of = {i.reporter: i.number for i in all_issues(world)}
    assert sorted(number_of) == sorted(users) and sorted(number_of.values()) == list(range(1, people + 1))

    # Each issue has its own reply in the check-in thread, naming it and its reporter.
    notices = [m for m in replies(world, "C0ACME", post["ts"]) if "this is issue" in m["text"]]
    assert len(notices) == people
    for user, number in number_of.items():
        mine = [m for m in notices if f"<@{user}>" in m["text"]]
        assert len(mine) == 1 and f"issue *#{number}*" in mine[0]["text"]

    # Everyone answers in the thread, in reverse order: each reply lands under its own card only.
    for minute, user in enumerate(reversed(users)):
        world.clock.set(MON + timedelta(minutes=30 + minute))
        reply_as(world, "C0ACME", user, f"the blocker of {user}: cannot open the export page", post["ts"])
    world.deliver()
    for user, number in number_of.items():
        relayed = [m["text"] for m in replies(world, "C0SUP", card(world, number)["ts"]) if "(customer)" in m["text"]]
        assert len(relayed) == 1, (user, relayed)
        assert f"the blocker of {user}:" in relayed[0] and f"issue #{number}" in relayed[0]

    # Support answers each card with `>>`: the answer names the issue and its reporter in the customer thread.
    last_user = users[-1]
    support_ts = card(world, number_of[last_user])["ts"]
    reply_as(world, "C0SUP", "U0SUP", ">> try the new export link", support_ts, team=None)
    world.deliver()
    answered = [m["text"] for m in replies(world, "C0ACME", post["ts"]) if "from support" in m["text"]]
    assert len(answered) == 1
    assert f"<@{last_user}>" in answered[0] and f"issue #{number_of[last_user]}" in answered[0]

    # A colleague's reply that names an issue goes to that issue; one that names none is not guessed at.
    reply_as(world, "C0ACME", "U0CSM", "same for me on #1, by the way", post["ts"], team=None)
    reply_as(world, "C0ACME", "U0CSM", "hang in there, everyone", post["ts"], team=None)
    world.deliver()
    on_first = [m["text"] for m in replies(world, "C0SUP", card(world, 1)["ts"]) if "(customer)" in m["text"]]
    assert len(on_first) == 2 and "same for me on #1" in on_first[1]
    everywhere = [m["text"] for m in world.sim.messages("C0SUP") if "hang in there" in m["text"]]
    assert everywhere == []


def test_every_door_gives_the_issue_its_own_notice_and_replies_follow_the_reporter(world):
    add_launch(world)
    world.tick(MON)
    post = checkin_post(world)
    # The report button on the check-in (thread: the check-in), by two people.
    for user in ("U0CUST1", "U0CUST2"):
        world.slack.block_action("issue_report_open", user_id=user, channel_id="C0ACME", message_ts=post["ts"],
                                 value=str(post["ts"]), user_team_id=CUSTOMER_TEAM)
        view = world.sim.views_for(user)
        world.slack.view_submission("report_issue_modal", user_id=user, user_team_id=CUSTOMER_TEAM,
                                    private_metadata=view["private_metadata"],
                                    values={"text": f"problem of {user}", "severity": {"severity": {
                                        "type": "radio_buttons", "selected_option": {"value": "sev2"}}}})
    # A mention inside the check-in thread by a third person is a new issue, not a reply to the others.
    inside = world.sim.post_as_user("C0ACME", "U0CSM", "<@UBOT> the SSO page is blank", thread_ts=post["ts"])
    world.slack.app_mention(inside["text"], user_id="U0CSM", channel_id="C0ACME", ts=inside["ts"],
                            thread_ts=post["ts"])
    world.slack.message(inside["text"], user_id="U0CSM", channel_id="C0ACME", ts=inside["ts"], thread_ts=post["ts"])
    world.deliver()
    assert [(i.number, i.reporter, i.text) for i in all_issues(world)] == [
        (1, "U0CUST1", "problem of U0CUST1"), (2, "U0CUST2", "problem of U0CUST2"),
        (3, "U0CSM", "the SSO page is blank")]
    notices = [m["text"] for m in replies(world, "C0ACME", post["ts"]) if "this is issue" in m["text"]]
    assert len(notices) == 3
    assert not [m for m in world.sim.messages("C0SUP") if m.is_reply and "SSO page" in m["text"]]
    reply_as(world, "C0ACME", "U0CUST2", "more about mine", post["ts"])
    world.deliver()
    assert [m["text"] for m in replies(world, "C0SUP", card(world, 2)["ts"]) if "more about mine" in m["text"]]
    assert not [m for m in replies(world, "C0SUP", card(world, 1)["ts"]) if "more about mine" in m["text"]]


# -- item 7: close the loops ------------------------------------------------------------------------------


def test_blocked_asks_what_blocks_and_stopping_work_makes_it_sev1_with_the_oncall_paged(world):
    add_launch(world)
    world.tick(MON)
    post = checkin_post(world)
    answer_blocked(world, post, "U0CUST1")
    answer_blocked(world, post, "U0CUST2")
    world.deliver()
    [first, second] = all_issues(world)
    assert first.severity == "sev2" and "no details yet" in first.text
    notice = next(m for m in replies(world, "C0ACME", post["ts"]) if "<@U0CUST1>" in m["text"])
    assert "What is blocking you?" in notice.plain_text()
    [ask] = [b for b in buttons(notice) if b["action_id"] == "issue_blocked_details"]

    # Someone else cannot answer for the reporter.
    world.slack.block_action("issue_blocked_details", user_id="U0CUST2", channel_id="C0ACME",
                             message_ts=notice["ts"], value=ask["value"], user_team_id=CUSTOMER_TEAM)
    assert "This question is for <@U0CUST1>" in world.sim.responses[-1]["text"]
    assert world.sim.views_for("U0CUST2") is None

    world.slack.block_action("issue_blocked_details", user_id="U0CUST1", channel_id="C0ACME",
                             message_ts=notice["ts"], value=ask["value"], user_team_id=CUSTOMER_TEAM)
    view = world.sim.views_for("U0CUST1")
    assert view["callback_id"] == "issue_blocked_details_modal"
    impact_labels = [o["text"]["text"] for b in view["blocks"] if b["block_id"] == "impact"
                     for o in b["element"]["options"]]
    assert impact_labels == ["Blocking me", "Slowing me down"]  # the report form's words: Blocking me is sev1
    empty = world.slack.view_submission("issue_blocked_details_modal", user_id="U0CUST1", user_team_id=CUSTOMER_TEAM,
                                        private_metadata=view["private_metadata"], values={"text": "  "})
    assert empty.json()["response_action"] == "errors" and all_issues(world)[0].text == first.text
    world.slack.view_submission("issue_blocked_details_modal", user_id="U0CUST1", user_team_id=CUSTOMER_TEAM,
                                private_metadata=view["private_metadata"],
                                values={"text": "Nobody can log in through SSO", "impact": {"impact": {
                                    "type": "radio_buttons", "selected_option": {"value": "sev1"}}}})
    world.clock.advance(seconds=1)
    world.deliver()
    first = all_issues(world)[0]
    assert (first.text, first.severity) == ("Nobody can log in through SSO", "sev1")
    urgent = world.sim.messages("C0URG")
    assert len(urgent) == 1 and "<@U0SUP>" in urgent[0]["text"] and "Nobody can log in" in urgent[0]["text"]
    assert "Nobody can log in through SSO" in card(world, 1).plain_text()
    assert any("treats it as urgent" in m["text"] for m in replies(world, "C0ACME", post["ts"]))

    # "Slowing me down" keeps the severity and records the details.
    notice2 = next(m for m in replies(world, "C0ACME", post["ts"]) if "<@U0CUST2>" in m["text"])
    world.slack.block_action("issue_blocked_details", user_id="U0CUST2", channel_id="C0ACME",
                             message_ts=notice2["ts"], value=str(second.id), user_team_id=CUSTOMER_TEAM)
    view2 = world.sim.views_for("U0CUST2")
    world.slack.view_submission("issue_blocked_details_modal", user_id="U0CUST2", user_team_id=CUSTOMER_TEAM,
                                private_metadata=view2["private_metadata"],
                                values={"text": "Reports are slow", "impact": {"impact": {
                                    "type": "radio_buttons", "selected_option": {"value": "sev2"}}}})
    world.deliver()
    assert (all_issues(world)[1].text, all_issues(world)[1].severity) == ("Reports are slow", "sev2")
    assert len(world.sim.messages("C0URG")) == 1


def test_thumbs_down_reaches_the_csm_with_a_reopen_button_and_reopening_tells_support(world):
    launch_id = add_launch(world)
    message = mention_issue(world, "CSV import rejects umlauts")
    [issue] = all_issues(world)
    world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts=card(world, 1)["ts"],
                             value=str(issue.id))
    world.deliver()
    acknowledged_at = all_issues(world)[0].acknowledged_at
    resolve(world, issue)
    resolved = next(m for m in replies(world, "C0ACME", message["ts"]) if "is resolved" in m["text"])
    down = next(b for b in buttons(resolved) if b["action_id"] == "issue_unsatisfied")
    world.clock.advance(minutes=5)
    world.slack.block_action("issue_unsatisfied", user_id="U0CUST1", channel_id="C0ACME", message_ts=resolved["ts"],
                             value=down["value"], user_team_id=CUSTOMER_TEAM)
    world.deliver()
    dms = [m for m in world.sim.dm_messages("U0CSM") if "did not really help" in m["text"]]
    assert len(dms) == 1
    text = dms[0].plain_text()
    assert "issue *#1*" in dms[0]["text"] and "CSV import rejects umlauts" in text and "Fixed in 4.2.1" in text
    [reopen] = [b for b in buttons(dms[0]) if b["action_id"] == "issue_reopen"]
    with world.runtime.db.session() as s:
        assert issues_service.satisfaction_counts(s, launch_id) == {"up": 0, "down": 1}
        assert issues_service.satisfaction_counts(s, launch_id, since=world.clock() + timedelta(minutes=1)) == {
            "up": 0, "down": 0}

    # A customer cannot reopen; the CSM can, once.
    world.slack.block_action("issue_reopen", user_id="U0CUST1", channel_id="C0ACME", message_ts=dms[0]["ts"],
                             value=reopen["value"], user_team_id=CUSTOMER_TEAM)
    assert "Only the launch's CSMs" in world.sim.responses[-1]["text"] and all_issues(world)[0].status == "resolved"
    world.slack.block_action("issue_reopen", user_id="U0CSM", channel_id=dms[0]["channel"], message_ts=dms[0]["ts"],
                             value=reopen["value"])
    assert "open again" in world.sim.responses[-1]["text"]
    world.slack.block_action("issue_reopen", user_id="U0CSM", channel_id=dms[0]["channel"], message_ts=dms[0]["ts"],
                             value=reopen["value"])
    assert "is not resolved" in world.sim.responses[-1]["text"]
    world.clock.advance(seconds=1)
    world.deliver()
    issue = all_issues(world)[0]
    assert issue.status == "open" and issue.resolved_at is None and issue.satisfaction == "down"
    assert issue.acknowledged_at == acknowledged_at  # the first response time is kept
    assert any("reopened by <@U0CSM>" in m["text"] for m in replies(world, "C0SUP", card(world, 1)["ts"]))
    assert "open, not acknowledged" in card(world, 1).plain_text()
    assert any("is open again" in m["text"] for m in replies(world, "C0ACME", message["ts"]))
    # Open again means the ladder runs again: unacknowledged for an hour, it escalates.
    world.tick(world.clock() + timedelta(minutes=61))
    assert any("Escalation 1/3" in m["text"] for m in world.sim.messages("C0URG"))


def test_the_ladder_keeps_paging_after_its_last_step_and_pages_the_second_level_oncall(world, tmp_path):
    add_launch(world, escalation_steps=2, oncall2="U0ADMIN")
    world.slack.slash_command("issue Exports time out", user_id="U0CSM", channel_id="C0ACME")  # sev2: 60 min
    world.deliver()
    for minutes in (60, 120, 180, 240):
        world.tick(MON + timedelta(minutes=minutes))
    pages = [m["text"] for m in world.sim.messages("C0URG")]
    assert [p.split("*")[1] for p in pages] == ["Escalation 1/2", "Escalation 2/2", "Escalation 3", "Escalation 4"]
    assert "<@U0SUP>" in pages[0] and "<@U0ADMIN>" not in pages[0]
    assert all("<@U0SUP>" in p and "<@U0ADMIN>" in p for p in pages[1:])
    assert "paging every 60 min until someone acknowledges" in pages[2]
    world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts=card(world, 1)["ts"],
                             value=str(all_issues(world)[0].id))
    world.tick(MON + timedelta(hours=10))
    assert len(world.sim.messages("C0URG")) == 4 and all_issues(world)[0].escalation_count == 4
    # The option on the command line and in YAML, and shown by `launch show`.
    yml = tmp_path / "launches.yml"
    yml.write_text("launches:\n  - {customer: Yaml Co, channel: C0YAML, go_live: '2099-03-02', tz: UTC, "
                   "oncall: U0SUP, oncall2: S0SECOND}\n")
    assert run_golive(["launch", "import", str(yml)], world.env).code == 0
    with world.runtime.db.session() as s:
        assert s.exec(select(Launch.oncall2).where(Launch.channel == "C0YAML")).one() == "S0SECOND"
    added = run_golive(["launch", "add", "--customer", "Cli Co", "--channel", "C0CLI", "--go-live", "2099-03-02",
                        "--tz", "UTC", "--oncall2", "U0ADMIN"], world.env)
    assert added.code == 0, added.stderr
    shown = run_golive(["launch", "show", added.stdout.strip()], world.env)
    assert "second-level oncall" in shown.stdout and "U0ADMIN" in shown.stdout
    bad = run_golive(["launch", "add", "--customer", "Bad Co", "--channel", "C0BAD", "--go-live", "2099-03-02",
                      "--tz", "UTC", "--oncall2", "not an id"], world.env)
    assert bad.code == 2 and "oncall2" in bad.stderr


def test_staff_see_an_issue_timeline_with_golive_issue_n_and_the_export_carries_it(world):
    add_launch(world)
    mention_issue(world, "Dashboard shows no data")
    [issue] = all_issues(world)
    world.clock.advance(minutes=7)
    world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts=card(world, 1)["ts"],
                             value=str(issue.id))
    for text in ("issue 1", "issue #1"):
        answer = world.slack.slash_command(text, user_id="U0CSM", channel_id="C0ACME").json()
        assert answer["response_type"] == "ephemeral"
        assert "*Issue #1*" in answer["text"] and "reported" in answer["text"]
        assert "Mon 8 Mar 10:00" in answer["text"] and "Mon 8 Mar 10:07 <@U0SUP> acknowledged" in answer["text"]
    customer = world.slack.slash_command("issue 1", user_id="U0CUST1", channel_id="C0ACME",
                                         team_id=CUSTOMER_TEAM).json()
    assert "Only the vendor's team" in customer["text"] and "Dashboard" not in customer["text"]
    missing = world.slack.slash_command("issue #42", user_id="U0CSM", channel_id="C0ACME").json()
    assert "no issue #42" in missing["text"]
    filed = world.slack.slash_command("issue exports hang at 99%", user_id="U0CSM", channel_id="C0ACME").json()
    assert "Recorded issue *#2*" in filed["text"]
    exported = json.loads(run_golive(["export"], world.env).stdout)
    events = [(e["number"], e["kind"], e["actor"]) for e in exported["issue_events"]]
    assert (1, "reported", "U0CUST1") in events and (1, "acknowledged", "U0SUP") in events
    assert (2, "reported", "U0CSM") in events
    csv_out = run_golive(["export", "--format", "csv"], world.env).stdout
    assert "issue_event," in csv_out


def test_holidays_stop_the_sla_clock_and_are_named_in_the_heads_up(world):
    add_launch(world, holiday=["2027-03-10"])  # Wednesday of launch week
    world.clock.set(datetime(2027, 3, 9, 20, 0, tzinfo=UTC))  # Tue 21:00 in Berlin, the evening before
    world.slack.slash_command("issue How do I export to PDF?", user_id="U0CSM", channel_id="C0ACME")
    with world.runtime.db.session() as s:
        issue = s.exec(select(Issue)).one()
        issues_service.change_severity(s, issue=issue, severity="sev3", actor="U0CSM", now=world.clock())
    # 4 h: 3 h left on Tuesday (to Berlin midnight), none on the holiday, 1 h on Thursday.
    assert all_issues(world)[0].next_escalation_at == datetime(2027, 3, 11, 0, 0, tzinfo=UTC)
    world.tick(datetime(2027, 3, 10, 12, 0, tzinfo=UTC))
    assert world.sim.messages("C0URG") == []
    with world.runtime.db.session() as s:
        launch = s.exec(select(Launch)).one()
        text = heads_up_text(launch, launch.checkin_days)
    assert "Holiday: Wednesday 10 March — no check-in, and SLA clocks stand still that day." in text
    # With support hours the holiday is skipped too: Tue 16:30 + 1 h → Thu 09:30 (Berlin).
    add_launch(world, channel="C0OTHER", customer="Other Co", holiday=["2027-03-10"], support_hours="09:00-17:00")
    with world.runtime.db.session() as s:
        other = s.exec(select(Launch).where(Launch.channel == "C0OTHER")).one()
        due = issues_service.sla_deadline(other, "sev2", datetime(2027, 3, 9, 15, 30, tzinfo=UTC))
    assert due == datetime(2027, 3, 11, 8, 30, tzinfo=UTC)


def test_the_heads_up_goes_out_the_business_day_before_a_launch_whose_eve_is_a_holiday(world):
    launch_id = add_launch(world, holiday=["2027-03-05"])  # Friday before go-live Monday
    with world.runtime.db.session() as s:
        due = [w.due_at for w in stored_plan(s, launch_id) if w.kind == "heads_up"]
    assert due == [datetime(2027, 3, 4, 9, 0, tzinfo=UTC)]  # Thursday, 10:00 in Berlin


# -- item 4: same problem, one fix ----------------------------------------------------------------------------


def test_a_repeat_is_flagged_linked_by_support_and_follows_its_parent_to_every_reporter(world):
    launch_id = add_launch(world)
    first = mention_issue(world, "CSV export times out for reports over 10k rows", user="U0CUST1")
    second = mention_issue(world, "The CSV export times out on big reports", user="U0CUST2")
    [one, two] = all_issues(world)
    assert two.looks_like_id == one.id
    flagged = card(world, 2)
    assert "Looks like *#1*" in json.dumps(flagged.blocks)
    [same] = [b for b in buttons(flagged) if b["action_id"] == "issue_same"]

    # Refusals: a customer, and (below) itself, a cycle, another launch; nothing changes.
    world.slack.block_action("issue_same", user_id="U0CUST1", channel_id="C0SUP", message_ts=flagged["ts"],
                             value=same["value"], user_team_id=CUSTOMER_TEAM)
    assert "Only support staff" in world.sim.responses[-1]["text"] and all_issues(world)[1].parent_id is None
    world.slack.block_action("issue_same", user_id="U0SUP", channel_id="C0SUP", message_ts=flagged["ts"],
                             value=f"{two.id}:{two.id}")
    assert "as itself" in world.sim.responses[-1]["text"]

    world.slack.block_action("issue_same", user_id="U0SUP", channel_id="C0SUP", message_ts=flagged["ts"],
                             value=same["value"])
    assert "now follows #1" in world.sim.responses[-1]["text"]
    world.slack.block_action("issue_same", user_id="U0SUP", channel_id="C0SUP", message_ts=card(world, 1)["ts"],
                             value=f"{one.id}:{two.id}")
    assert "make a circle" in world.sim.responses[-1]["text"] and all_issues(world)[0].parent_id is None
    world.clock.advance(seconds=1)
    world.deliver()
    assert "Same problem as *#1*" in json.dumps(card(world, 2).blocks)
    assert "1 more report linked" in json.dumps(card(world, 1).blocks)
    with world.runtime.db.session() as s:
        [group] = issues_service.problem_groups(s, launch_id)
    assert (group.issue.number, group.reports, group.people) == (1, 2, 2)

    # The linked issue no longer escalates on its own; the parent's ladder pages.
    world.tick(world.clock() + timedelta(minutes=61))
    pages = [m["text"] for m in world.sim.messages("C0URG")]
    assert len(pages) == 1 and "issue #1 " in pages[0]

    # Acknowledging and resolving the parent tells every reporter, each in their own thread.
    world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts=card(world, 1)["ts"],
                             value=str(one.id))
    world.clock.advance(seconds=1)
    world.deliver()
    assert [i.status for i in all_issues(world)] == ["acknowledged", "acknowledged"]
    resolve(world, all_issues(world)[0], note="Timeout raised to 5 min")
    assert [i.status for i in all_issues(world)] == ["resolved", "resolved"]
    for message, number in ((first, 1), (second, 2)):
        thread = [m["text"] for m in replies(world, "C0ACME", message["ts"])]
        assert any(f"issue *#{number}* has been picked up" in t for t in thread), thread
        assert any(f"issue *#{number}* is resolved" in t and "Timeout raised" in t for t in thread), thread

    # Another launch's issue cannot be linked.
    add_launch(world, channel="C0OTHER", customer="Other Co", csm=["U0CSM2"])
    world.slack.slash_command("issue CSV export times out", user_id="U0CSM2", channel_id="C0OTHER")
    world.deliver()
    other = all_issues(world)[2]
    world.slack.block_action("issue_same", user_id="U0SUP", channel_id="C0SUP", message_ts=flagged["ts"],
                             value=f"{other.id}:{one.id}")
    assert "another launch" in world.sim.responses[-1]["text"] and all_issues(world)[2].parent_id is None
    with world.runtime.db.session() as s:
        assert not s.exec(select(IssueEvent).where(IssueEvent.issue_id == other.id,
                                                   IssueEvent.kind == "linked")).all()
