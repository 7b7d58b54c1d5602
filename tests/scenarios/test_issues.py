"""Problem intake, routing, escalation, triage and the two-way thread, end to end over signed HTTP."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import yaml
from sqlmodel import select

from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import Issue, IssueEvent
from tests.conftest import CUSTOMER_TEAM, run_golive
from tests.scenarios.dates import monday_ahead

T0 = datetime(2027, 3, 8, 12, 0, tzinfo=UTC)


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "urgent_channel": "C0URG", "oncall": "U0SUP",
           **overrides}
    world.clock.set(T0 - timedelta(days=7))
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
    world.clock.set(T0)
    return launch.id


def all_issues(world) -> list[Issue]:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return list(s.exec(select(Issue).order_by(Issue.id)).all())


def card(world, number: int = 1):  # noqa: ANN001, ANN201
    cards = [m for m in world.sim.messages("C0SUP") if not m.is_reply and f"Issue #{number}*" in m.plain_text()
             or (not m.is_reply and m.blocks and f"*Issue #{number}*" in json.dumps(m.blocks))]
    assert len(cards) == 1, [m.plain_text() for m in world.sim.messages("C0SUP")]
    return cards[0]


def thread_replies(world, channel: str, ts: str) -> list[str]:  # noqa: ANN001
    return [m["text"] for m in world.sim.messages(channel) if m.is_reply and m["thread_ts"] == ts]


def triage(world, action_id: str, user: str, issue_id: int, team: str | None = None, **kw):  # noqa: ANN001, ANN201
    message = card(world)
    if action_id == "issue_severity":
        return world.slack.block_action(action_id, user_id=user, channel_id="C0SUP", message_ts=message["ts"],
                                        selected_option=kw["severity"], block_id=f"issue_triage_{issue_id}",
                                        user_team_id=team)
    return world.slack.block_action(action_id, user_id=user, channel_id="C0SUP", message_ts=message["ts"],
                                    value=str(issue_id), user_team_id=team)


def test_mention_files_an_issue_without_the_mention_and_tells_the_reporter_in_the_thread(world):
    add_launch(world)
    msg = world.sim.post_as_user("C0ACME", "U0CUST1", "<@UBOT> SSO login loops forever")
    result = world.slack.app_mention("<@UBOT> SSO login loops forever", user_id="U0CUST1", channel_id="C0ACME",
                                     ts=msg["ts"], user_team=CUSTOMER_TEAM)
    assert result.status == 200
    world.deliver()
    [issue] = all_issues(world)
    assert (issue.text, issue.reporter, issue.severity, issue.source) == (
        "SSO login loops forever", "U0CUST1", "sev2", "mention")
    support = card(world)
    text = support.plain_text()
    assert "Issue #1" in text and "Acme Corp" in text and "sev2" in text and "SSO login loops forever" in text
    assert "https://sim.slack.test/archives/C0ACME/" in json.dumps(support.blocks)  # permalink to the source
    controls = [e for b in support.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in controls] == ["issue_ack", "issue_resolve", "issue_severity"]
    assert [o["value"] for o in controls[2]["options"]] == ["sev1", "sev2", "sev3"]
    replies = thread_replies(world, "C0ACME", msg["ts"])
    assert len(replies) == 1 and "issue *#1*" in replies[0] and "<@U0CUST1>" in replies[0]


def test_empty_mention_gets_usage_help_and_creates_nothing(world):
    add_launch(world)
    msg = world.sim.post_as_user("C0ACME", "U0CUST1", "<@UBOT>")
    world.slack.app_mention("<@UBOT>   ", user_id="U0CUST1", channel_id="C0ACME", ts=msg["ts"])
    world.deliver()
    assert all_issues(world) == []
    assert "Please describe the problem" in thread_replies(world, "C0ACME", msg["ts"])[0]


def test_a_reaction_files_the_message_once_whatever_the_retries_and_other_reactors(world):
    add_launch(world)
    msg = world.sim.post_as_user("C0ACME", "U0CUST2", "Invoices show the wrong currency")
    event = {"type": "reaction_added", "user": "U0CUST1", "reaction": "rotating_light",
             "item": {"type": "message", "channel": "C0ACME", "ts": msg["ts"]}, "user_team": CUSTOMER_TEAM}
    world.slack.event(event, event_id="Ev0REACT1")
    world.slack.event(event, event_id="Ev0REACT1", retry_num=1, retry_reason="http_timeout")
    results = []
    threads = [threading.Thread(target=lambda u=u: results.append(world.slack.reaction_added(
        "rotating_light", user_id=u, channel_id="C0ACME", item_ts=msg["ts"], user_team=CUSTOMER_TEAM)))
        for u in ("U0CUST2", "U0CSM")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status == 200 for r in results)
    world.slack.reaction_added("thumbsup", user_id="U0CUST1", channel_id="C0ACME", item_ts=msg["ts"])
    world.deliver()
    [issue] = all_issues(world)
    assert issue.text == "Invoices show the wrong currency" and issue.source_ts == msg["ts"]
    assert len([m for m in world.sim.messages("C0SUP") if not m.is_reply]) == 1


def test_report_button_modal_with_blocking_goes_to_urgent_with_the_oncall_mentioned(world):
    add_launch(world, oncall="S0ONCALL")
    world.tick(datetime(2027, 3, 8, 8, 55, tzinfo=UTC))  # the pinned help message, with the Report button
    help_post = [m for m in world.sim.messages("C0ACME") if "Report a problem" in m.plain_text()][0]
    assert help_post["pinned"]
    result = world.slack.block_action("issue_report_open", user_id="U0CUST1", channel_id="C0ACME",
                                      message_ts=help_post["ts"], value="help:1", user_team_id=CUSTOMER_TEAM)
    assert result.status == 200
    view = world.sim.views_for("U0CUST1")
    assert view["callback_id"] == "report_issue_modal"
    world.slack.view_submission("report_issue_modal", user_id="U0CUST1", user_team_id=CUSTOMER_TEAM,
                                private_metadata=view["private_metadata"], view_id="V0REPORT1",
                                values={"text": {"text": {"type": "plain_text_input", "value": "Cannot log in"}},
                                        "severity": {"severity": {"type": "radio_buttons",
                                                                  "selected_option": {"value": "sev1"}}}})
    world.deliver()
    [issue] = all_issues(world)
    assert issue.severity == "sev1" and issue.source == "report button"
    urgent = world.sim.messages("C0URG")
    assert len(urgent) == 1 and "<!subteam^S0ONCALL>" in urgent[0]["text"] and "Cannot log in" in urgent[0]["text"]


def test_slash_issue_for_staff_with_hostile_and_huge_text(world):
    add_launch(world)
    hostile = "<!channel> <@U0CUST2> <#C0SUP> <https://evil.test|click> '; DROP TABLE issue; -- " + "é🚀" * 25_000
    answer = world.slack.slash_command(f"issue {hostile}", user_id="U0CSM", channel_id="C0ACME").json()
    assert "Recorded issue *#1*" in answer["text"]
    world.deliver()
    [issue] = all_issues(world)
    assert issue.text == hostile  # stored whole, as typed
    posted = json.dumps([m.blocks or m["text"] for m in world.sim.messages("C0SUP") + world.sim.messages("C0ACME")])
    for dangerous in ("<!channel>", "<@U0CUST2>", "<#C0SUP>", "<https://evil.test"):
        assert dangerous not in posted
    support = card(world)
    assert all(len(b["text"]["text"]) <= 3000 for b in support.blocks if b["type"] == "section")
    notice = [m for m in world.sim.messages("C0ACME") if "issue *#1*" in m["text"]]
    assert len(notice) == 1 and not notice[0].is_reply  # a slash command's notice starts the thread


def test_slash_issue_refuses_empty_text_and_people_from_other_organisations(world):
    add_launch(world)
    empty = world.slack.slash_command("issue   ", user_id="U0CSM", channel_id="C0ACME").json()
    assert "Please describe the problem" in empty["text"]
    guest = world.slack.slash_command("issue it broke", user_id="U0CUST1", channel_id="C0ACME",
                                      team_id=CUSTOMER_TEAM).json()
    assert "Report a problem" in guest["text"]
    outside = world.slack.slash_command("issue it broke", user_id="U0CSM", channel_id="C0SUP").json()
    assert "not a launch channel" in outside["text"]
    assert all_issues(world) == []


def test_message_shortcut_reports_that_message_and_a_later_reaction_is_the_same_issue(world):
    add_launch(world)
    msg = world.sim.post_as_user("C0ACME", "U0CUST2", "Report builder crashes on save")
    world.slack.message_shortcut("report_issue", user_id="U0CSM", channel_id="C0ACME", message_ts=msg["ts"],
                                 message_text=msg["text"], message_user="U0CUST2")
    view = world.sim.views_for("U0CSM")
    text_element = view["blocks"][0]["element"]
    assert text_element["initial_value"] == "Report builder crashes on save"
    world.slack.view_submission("report_issue_modal", user_id="U0CSM", private_metadata=view["private_metadata"],
                                values={"text": {"text": {"type": "plain_text_input",
                                                          "value": "Report builder crashes on save"}},
                                        "severity": {"severity": {"type": "radio_buttons",
                                                                  "selected_option": {"value": "sev2"}}}})
    world.slack.reaction_added("rotating_light", user_id="U0CUST1", channel_id="C0ACME", item_ts=msg["ts"])
    assert len(all_issues(world)) == 1 and all_issues(world)[0].source == "message shortcut"


def test_routing_rules_are_data_keywords_then_severity_then_default(world):
    world.sim.add_channel("C0SSO", "sso-team", members=["U0SUP"])
    world.sim.add_channel("C0QNA", "questions", members=["U0SUP"])
    add_launch(world, route=["SSO=C0SSO"], severity_channel=["sev3=C0QNA"])
    world.slack.slash_command("issue Our sso redirect fails", user_id="U0CSM", channel_id="C0ACME")
    world.slack.slash_command("issue Slow dashboards", user_id="U0CSM", channel_id="C0ACME")
    world.deliver()
    assert "sso redirect" in world.sim.messages("C0SSO")[0].plain_text()
    assert "Slow dashboards" in world.sim.messages("C0SUP")[0].plain_text()
    assert world.sim.messages("C0QNA") == []


def test_unacknowledged_issue_escalates_at_each_step_once_and_acknowledging_stops_it(world):
    add_launch(world, escalation_steps=2)
    world.slack.slash_command("issue Exports time out", user_id="U0CSM", channel_id="C0ACME")  # sev2: 60 min
    world.deliver()
    world.tick(T0 + timedelta(minutes=59))
    assert world.sim.messages("C0URG") == []
    world.tick(T0 + timedelta(minutes=60))
    world.tick(T0 + timedelta(minutes=61))
    urgent = world.sim.messages("C0URG")
    assert len(urgent) == 1 and "Escalation 1/2" in urgent[0]["text"] and "<@U0SUP>" in urgent[0]["text"]
    assert len([m for m in world.sim.dm_messages("U0CSM") if "Escalation 1/2" in m["text"]]) == 1
    world.tick(T0 + timedelta(minutes=120))
    world.tick(T0 + timedelta(minutes=400))  # past the last step the ladder keeps paging until acknowledged
    assert [m["text"].split("*")[1] for m in world.sim.messages("C0URG")] == [
        "Escalation 1/2", "Escalation 2/2", "Escalation 3"]
    assert all_issues(world)[0].escalation_count == 3
    add_launch(world, channel="C0OTHER", customer="Other Co", escalation_steps=3)
    world.slack.slash_command("issue Other problem", user_id="U0CSM", channel_id="C0OTHER")
    world.deliver()
    triage_ok = world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts="1.0",
                                         value=str(all_issues(world)[1].id))
    assert triage_ok.status == 200
    world.tick(T0 + timedelta(hours=10))
    assert all_issues(world)[1].escalation_count == 0


def test_acknowledge_by_support_updates_card_and_tells_reporter_and_happens_once(world):
    add_launch(world)
    msg = world.sim.post_as_user("C0ACME", "U0CUST1", "<@UBOT> Payments page blank")
    world.slack.app_mention(msg["text"], user_id="U0CUST1", channel_id="C0ACME", ts=msg["ts"], user_team=CUSTOMER_TEAM)
    world.deliver()
    issue_id = all_issues(world)[0].id
    refused = triage(world, "issue_ack", "U0CUST1", issue_id, team=CUSTOMER_TEAM)
    assert refused.status == 200 and "Only support staff" in world.sim.responses[-1]["text"]
    refused_csm = triage(world, "issue_ack", "U0CSM", issue_id)  # a CSM who is not in the support channel
    assert refused_csm.status == 200 and all_issues(world)[0].status == "open"
    results = []
    threads = [threading.Thread(target=lambda: results.append(triage(world, "issue_ack", "U0SUP", issue_id)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    world.clock.advance(seconds=1)
    world.deliver()
    issue = all_issues(world)[0]
    assert issue.status == "acknowledged" and issue.acknowledged_by == "U0SUP"
    with world.runtime.db.session() as s:
        acks = s.exec(select(IssueEvent).where(IssueEvent.kind == "acknowledged")).all()
    assert len(acks) == 1
    assert "acknowledged by @sam.support" in card(world).plain_text()
    told = [t for t in thread_replies(world, "C0ACME", msg["ts"]) if "picked up" in t]
    assert len(told) == 1


def test_severity_change_and_resolve_with_note_and_satisfaction(world):
    add_launch(world)
    msg = world.sim.post_as_user("C0ACME", "U0CUST1", "<@UBOT> CSV import rejects umlauts")
    world.slack.app_mention(msg["text"], user_id="U0CUST1", channel_id="C0ACME", ts=msg["ts"], user_team=CUSTOMER_TEAM)
    world.deliver()
    issue_id = all_issues(world)[0].id
    triage(world, "issue_severity", "U0CUST1", issue_id, team=CUSTOMER_TEAM, severity="sev1")
    assert all_issues(world)[0].severity == "sev2"
    triage(world, "issue_severity", "U0CSM", issue_id, severity="sev1")
    world.deliver()
    assert all_issues(world)[0].severity == "sev1"
    assert len(world.sim.messages("C0URG")) == 1
    triage(world, "issue_resolve", "U0SUP", issue_id)
    view = world.sim.views_for("U0SUP")
    assert view["callback_id"] == "issue_resolve_modal"
    world.slack.view_submission("issue_resolve_modal", user_id="U0SUP", private_metadata=view["private_metadata"],
                                values={"note": {"note": {"type": "plain_text_input", "value": "Fixed in 4.2.1"}}})
    world.clock.advance(seconds=1)
    world.deliver()
    issue = all_issues(world)[0]
    assert issue.status == "resolved" and issue.resolution == "Fixed in 4.2.1"
    resolved = [m for m in world.sim.messages("C0ACME") if m.is_reply and "is resolved" in m["text"]]
    assert len(resolved) == 1 and "Fixed in 4.2.1" in resolved[0].plain_text()
    buttons = [e for b in resolved[0].blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["issue_satisfied", "issue_unsatisfied"]
    world.slack.block_action("issue_satisfied", user_id="U0CUST2", channel_id="C0ACME", message_ts=resolved[0]["ts"],
                             value=buttons[0]["value"], user_team_id=CUSTOMER_TEAM)
    assert "Only the person who reported" in world.sim.responses[-1]["text"]
    world.slack.block_action("issue_satisfied", user_id="U0CUST1", channel_id="C0ACME", message_ts=resolved[0]["ts"],
                             value=buttons[0]["value"], user_team_id=CUSTOMER_TEAM)
    assert all_issues(world)[0].satisfaction == "up"
    again = triage(world, "issue_ack", "U0SUP", issue_id)
    assert again.status == 200 and "already resolved" in world.sim.responses[-1]["text"]
    unknown = world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts="1.0",
                                       value="424242")
    assert unknown.status == 200 and "does not exist" in world.sim.responses[-1]["text"]


def test_support_thread_and_customer_thread_talk_through_the_bot_once(world):
    add_launch(world)
    msg = world.sim.post_as_user("C0ACME", "U0CUST1", "<@UBOT> Dashboard shows no data")
    world.slack.app_mention(msg["text"], user_id="U0CUST1", channel_id="C0ACME", ts=msg["ts"], user_team=CUSTOMER_TEAM)
    world.deliver()
    support_ts = card(world)["ts"]
    internal = world.sim.post_as_user("C0SUP", "U0SUP", "probably the ETL job again", thread_ts=support_ts)
    world.slack.message(internal["text"], user_id="U0SUP", channel_id="C0SUP", ts=internal["ts"], thread_ts=support_ts)
    public = world.sim.post_as_user("C0SUP", "U0SUP", ">> We found it, a fix is rolling out", thread_ts=support_ts)
    for _ in range(2):  # Slack retries the same message event
        world.slack.message(public["text"], user_id="U0SUP", channel_id="C0SUP", ts=public["ts"], thread_ts=support_ts,
                            event_id="Ev0PUBLIC")
    world.deliver()
    relayed = [t for t in thread_replies(world, "C0ACME", msg["ts"]) if "from support" in t]
    assert len(relayed) == 1 and "We found it" in relayed[0] and "<@U0SUP>" in relayed[0]
    assert not any("ETL" in t for t in thread_replies(world, "C0ACME", msg["ts"]))
    reply = world.sim.post_as_user("C0ACME", "U0CUST1", "Thanks, data is back!", thread_ts=msg["ts"])
    world.slack.message(reply["text"], user_id="U0CUST1", channel_id="C0ACME", ts=reply["ts"], thread_ts=msg["ts"],
                        user_team=CUSTOMER_TEAM)
    world.deliver()
    back = [t for t in thread_replies(world, "C0SUP", support_ts) if "(customer)" in t]
    assert len(back) == 1 and "data is back" in back[0]


def test_open_sev1_reminds_the_support_thread_to_update_the_customer(world):
    add_launch(world)
    world.slack.slash_command("issue Production down", user_id="U0CSM", channel_id="C0ACME")
    with world.runtime.db.session() as s:
        issue = s.exec(select(Issue)).one()
        issue.severity = "sev1"
        issue.next_update_reminder_at = T0 + timedelta(minutes=30)
        s.add(issue)
    world.deliver()
    world.tick(T0 + timedelta(minutes=30))
    world.tick(T0 + timedelta(minutes=31))
    support_ts = card(world)["ts"]
    reminders = [t for t in thread_replies(world, "C0SUP", support_ts) if "has not heard from us" in t]
    assert len(reminders) == 1
    world.tick(T0 + timedelta(minutes=61))
    assert len([t for t in thread_replies(world, "C0SUP", support_ts) if "has not heard from us" in t]) == 2


def test_sla_counts_only_support_hours(world):
    add_launch(world, support_hours="09:00-17:00", support_tz="Europe/Berlin")
    world.clock.set(datetime(2027, 3, 12, 15, 30, tzinfo=UTC))  # Fri 16:30 Berlin: 30 min left that day
    world.slack.slash_command("issue Weekend worry", user_id="U0CSM", channel_id="C0ACME")
    [issue] = all_issues(world)
    assert issue.next_escalation_at == datetime(2027, 3, 15, 8, 30, tzinfo=UTC)  # Mon 09:30 Berlin


def test_missing_support_channel_or_bot_not_in_it_still_records_and_tells_the_csms(world):
    add_launch(world, support_channel=None)
    with world.runtime.db.session() as s:
        from storage.models import Launch

        launch = s.exec(select(Launch)).one()
        launch.support_channel = None
        launch.urgent_channel = None
        s.add(launch)
    world.slack.slash_command("issue Nobody hears me", user_id="U0CSM", channel_id="C0ACME")
    world.deliver()
    assert len(all_issues(world)) == 1
    assert any("no support channel" in m["text"] for m in world.sim.dm_messages("U0CSM"))
    world.sim.add_channel("C0LOCKED", "locked-support", members=["U0SUP"], bot_member=False)
    add_launch(world, channel="C0OTHER", customer="Other Co", support_channel="C0LOCKED")
    world.slack.slash_command("issue Still nobody", user_id="U0CSM", channel_id="C0OTHER")
    for step in range(4):
        world.clock.advance(minutes=5 * (step + 1))
        world.deliver()
    assert len(all_issues(world)) == 2
    assert any("cannot post in" in m["text"] for m in world.sim.dm_messages("U0CSM"))
    world.sim.add_member("C0LOCKED", "UBOT")
    world.clock.advance(hours=1)
    world.deliver()
    assert len([m for m in world.sim.messages("C0LOCKED") if not m.is_reply]) == 1


def test_issues_list_status_counts_export_and_timeline(world):
    add_launch(world)
    add_launch(world, channel="C0OTHER", customer="Other Co", csm=["U0CSM2"])
    world.slack.slash_command("issue First", user_id="U0CSM", channel_id="C0ACME")
    world.slack.slash_command("issue Second", user_id="U0CSM", channel_id="C0ACME")
    world.slack.slash_command("issue Elsewhere", user_id="U0CSM2", channel_id="C0OTHER")
    listing = world.slack.slash_command("issues", user_id="U0CSM", channel_id="C0ACME").json()["text"]
    assert "#1 · sev2 · open" in listing and "Second" in listing and "Elsewhere" not in listing
    status = world.slack.slash_command("status", user_id="U0CSM", channel_id="C0ACME").json()["text"]
    assert "Issues: 2 open, 0 acknowledged, 0 resolved" in status
    data = json.loads(run_golive(["export", "--launch", "1"], world.env).stdout)
    first = data["issues"][0]
    assert {k: first[k] for k in ("id", "launch_id", "number", "text", "severity", "status", "reporter",
                                  "acknowledged_at", "resolved_at", "escalation_count")} == {
        "id": 1, "launch_id": 1, "number": 1, "text": "First", "severity": "sev2", "status": "open",
        "reporter": "U0CSM", "acknowledged_at": None, "resolved_at": None, "escalation_count": 0}
    assert first["created_at"].endswith("Z") and len(data["issues"]) == 2
    shown = run_golive(["launch", "show", "1"], world.env).stdout
    assert "#1 sev2 open — First" in shown and "reported by U0CSM" in shown


# -- routing, the sev1 update reminder and per-launch SLAs, through the doors people use ------------------


def button(message, action_id: str) -> dict:  # noqa: ANN001 - SimMessage
    return next(e for b in message.blocks if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == action_id)


def report_with_the_modal(world, text: str, how_bad: str, *, user: str = "U0CUST1") -> None:  # noqa: ANN001
    """A customer clicks *Report a problem* on the pinned help message, picks how bad it is by its label
    ("Blocking me", "Slowing me down", "A question") and sends the form, as in Slack."""
    help_post = next(m for m in world.sim.messages("C0ACME") if m.blocks and "Report a problem" in m.plain_text())
    opened = world.slack.block_action("issue_report_open", user_id=user, channel_id="C0ACME",
                                      message_ts=help_post["ts"], value=button(help_post, "issue_report_open")["value"],
                                      user_team_id=CUSTOMER_TEAM)
    assert opened.status == 200
    view = world.sim.views_for(user)
    assert view["callback_id"] == "report_issue_modal"
    severity = next(b for b in view["blocks"] if b["block_id"] == "severity")["element"]
    [option] = [o for o in severity["options"] if o["text"]["text"] == how_bad]
    submitted = world.slack.view_submission(
        "report_issue_modal", user_id=user, user_team_id=CUSTOMER_TEAM, view_id=view["id"],
        private_metadata=view["private_metadata"],
        values={"text": {"text": {"type": "plain_text_input", "value": text}},
                "severity": {"severity": {"type": "radio_buttons", "selected_option": option}}})
    assert submitted.status == 200 and not (submitted.body_text and "errors" in submitted.body_text)
    world.deliver()


def top_level(world, channel: str) -> list[str]:  # noqa: ANN001
    return [m.plain_text() for m in world.sim.messages(channel) if not m.is_reply]


def launch_from_the_command_line(world, tmp_path, how: str, go_live: date) -> None:  # noqa: ANN001
    """The launch as an operator creates it: `golive launch add --severity-channel … --route …` or
    `golive launch import` of the YAML mapping form, on the world's database."""
    common = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": go_live.isoformat(), "tz": "UTC",
              "csm": ["U0CSM"], "support_channel": "C0SUP", "urgent_channel": "C0URG", "oncall": "U0SUP"}
    if how == "cli":
        args = ["launch", "add", "--customer", common["customer"], "--channel", "C0ACME", "--go-live",
                common["go_live"], "--tz", "UTC", "--csm", "U0CSM", "--support-channel", "C0SUP",
                "--urgent-channel", "C0URG", "--oncall", "U0SUP", "--severity-channel", "sev3=C0QNA",
                "--route", "SSO=C0SSO"]
    else:
        spec = tmp_path / "launches.yml"
        spec.write_text(yaml.safe_dump({"launches": [{
            **common, "severity_channel": {"sev3": "C0QNA"}, "route": [{"keyword": "SSO", "channel": "C0SSO"}]}]}),
            encoding="utf-8")
        args = ["launch", "import", str(spec)]
    created = run_golive(args, world.env)
    assert created.code == 0, created.stderr


@pytest.mark.parametrize("how", ["cli", "yaml"])
def test_a_sev3_card_lands_in_its_severity_channel_a_sev2_in_support_and_a_keyword_route_wins(world, tmp_path, how):
    world.sim.add_channel("C0QNA", "questions", members=["U0SUP"])
    world.sim.add_channel("C0SSO", "sso-team", members=["U0SUP"])
    go_live = monday_ahead()  # the CLI refuses a go-live date in the past
    launch_from_the_command_line(world, tmp_path, how, go_live)
    world.tick(datetime.combine(go_live, time(9, 55), UTC))  # the pinned help message with its Report button

    report_with_the_modal(world, "Where do I change my avatar?", "A question")
    report_with_the_modal(world, "Exports take ten minutes", "Slowing me down")
    report_with_the_modal(world, "Which SSO claim carries the email?", "A question")

    assert [i.severity for i in all_issues(world)] == ["sev3", "sev2", "sev3"]
    [question] = top_level(world, "C0QNA")
    assert "Issue #1" in question and "avatar" in question
    [support] = top_level(world, "C0SUP")
    assert "Issue #2" in support and "Exports take ten minutes" in support
    [sso] = top_level(world, "C0SSO")  # a keyword rule wins over the sev3 channel
    assert "Issue #3" in sso and "SSO claim" in sso
    assert world.sim.messages("C0URG") == []
    # The question team works the card where it landed, and the reporter hears in their thread.
    card_ts = next(m["ts"] for m in world.sim.messages("C0QNA") if not m.is_reply)
    acked = world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0QNA", message_ts=card_ts,
                                     value=str(all_issues(world)[0].id))
    assert acked.status == 200
    world.clock.advance(seconds=1)
    world.deliver()
    assert all_issues(world)[0].status == "acknowledged"
    assert "acknowledged by @sam.support" in top_level(world, "C0QNA")[0]


def update_reminders(world, support_ts: str) -> list[str]:  # noqa: ANN001
    return [t for t in thread_replies(world, "C0SUP", support_ts) if "has not heard from us" in t]


def test_a_sev1_reported_as_blocking_reminds_support_to_update_the_customer_until_someone_does(world):
    add_launch(world)
    world.tick(datetime(2027, 3, 8, 8, 55, tzinfo=UTC))  # the pinned help message
    world.clock.set(T0)
    report_with_the_modal(world, "Nobody can log in", "Blocking me")
    [issue] = all_issues(world)
    assert issue.severity == "sev1"
    support_ts = card(world)["ts"]

    world.tick(T0 + timedelta(minutes=29))
    assert update_reminders(world, support_ts) == []
    world.tick(T0 + timedelta(minutes=30))
    world.tick(T0 + timedelta(minutes=31))  # once per interval, however often the worker ticks
    [first] = update_reminders(world, support_ts)
    assert "sev1 issue #1 is still open and the customer has not heard from us for 30 min" in first

    # Support answers the customer with `>>`: the next reminder counts from that update.
    update = world.sim.post_as_user("C0SUP", "U0SUP", ">> We are on it, next update in 30 min", thread_ts=support_ts)
    world.clock.set(T0 + timedelta(minutes=45))
    world.slack.message(update["text"], user_id="U0SUP", channel_id="C0SUP", ts=update["ts"], thread_ts=support_ts)
    world.deliver()
    world.tick(T0 + timedelta(minutes=61))
    assert len(update_reminders(world, support_ts)) == 1
    world.tick(T0 + timedelta(minutes=75))
    second = update_reminders(world, support_ts)
    assert len(second) == 2 and "has not heard from us for 30 min" in second[1]

    # Resolved from the card: the reminders stop.
    world.clock.set(T0 + timedelta(minutes=80))
    triage(world, "issue_resolve", "U0SUP", issue.id)
    view = world.sim.views_for("U0SUP")
    world.slack.view_submission("issue_resolve_modal", user_id="U0SUP", private_metadata=view["private_metadata"],
                                values={"note": {"note": {"type": "plain_text_input", "value": "Fixed"}}})
    assert all_issues(world)[0].status == "resolved"
    world.tick(T0 + timedelta(hours=3))
    assert len(update_reminders(world, support_ts)) == 2


def test_raising_an_issue_to_sev1_from_the_card_starts_the_update_reminder(world):
    add_launch(world)
    msg = world.sim.post_as_user("C0ACME", "U0CUST1", "<@UBOT> Invoices fail to send")
    world.slack.app_mention(msg["text"], user_id="U0CUST1", channel_id="C0ACME", ts=msg["ts"], user_team=CUSTOMER_TEAM)
    world.deliver()
    [issue] = all_issues(world)
    support_ts = card(world)["ts"]
    world.tick(T0 + timedelta(minutes=45))
    assert issue.severity == "sev2" and update_reminders(world, support_ts) == []  # no reminder for a sev2

    world.clock.set(T0 + timedelta(minutes=50))
    assert triage(world, "issue_severity", "U0SUP", issue.id, severity="sev1").status == 200
    world.deliver()
    assert all_issues(world)[0].severity == "sev1"
    world.tick(T0 + timedelta(minutes=79))
    assert update_reminders(world, support_ts) == []
    world.tick(T0 + timedelta(minutes=80))
    [reminder] = update_reminders(world, support_ts)
    # The customer has waited since they reported, not since the severity changed.
    assert "sev1 issue #1 is still open and the customer has not heard from us for 80 min" in reminder


def test_a_launch_sla_of_30_minutes_for_sev2_escalates_after_30_not_60(world):
    add_launch(world, sla={"sev2": 30})
    add_launch(world, channel="C0OTHER", customer="Other Co")  # the default: 60 min
    world.slack.slash_command("issue Exports time out", user_id="U0CSM", channel_id="C0ACME")
    world.slack.slash_command("issue Exports time out too", user_id="U0CSM", channel_id="C0OTHER")
    world.deliver()
    world.tick(T0 + timedelta(minutes=29))
    assert world.sim.messages("C0URG") == []
    world.tick(T0 + timedelta(minutes=30))
    [urgent] = world.sim.messages("C0URG")
    assert "Escalation 1/3" in urgent["text"] and "Acme Corp" in urgent["text"] and "waited 30 min" in urgent["text"]
    assert [i.escalation_count for i in all_issues(world)] == [1, 0]
    world.tick(T0 + timedelta(minutes=59))
    assert len(world.sim.messages("C0URG")) == 1  # Other Co's sev2 still has its hour
    world.tick(T0 + timedelta(minutes=60))  # Acme's second step: 30 min after the first
    texts = [m["text"] for m in world.sim.messages("C0URG")]
    assert sum("Escalation 2/3" in t and "Acme Corp" in t for t in texts) == 1
    assert sum("Escalation 1/3" in t and "Other Co" in t for t in texts) == 1
