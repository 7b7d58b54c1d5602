"""Go-live morning on a Slack that behaves like the real one: nothing reported is lost, support staff are
not turned away when Slack cannot say who is in a channel, the stored directory follows Slack's events,
and the HTTP door refuses what it must before reading it."""

from __future__ import annotations

import http.client
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import select

from storage.models import ChannelMember, ChannelSync, CheckIn, Issue, Launch, SlackPerson
from tests.conftest import CUSTOMER_TEAM, VENDOR
from tests.scenarios.test_issues import T0, add_launch


def issues(world) -> list[Issue]:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return list(s.exec(select(Issue).order_by(Issue.id)).all())


def flag(world, text: str, *, reporter: str = "U0CUST1"):  # noqa: ANN001, ANN201
    msg = world.sim.post_as_user("C0ACME", "U0CUST2", text)
    result = world.slack.reaction_added("rotating_light", user_id=reporter, channel_id="C0ACME", item_ts=msg["ts"],
                                        user_team=CUSTOMER_TEAM)
    assert result.status == 200
    return msg


def test_a_flagged_message_slack_cannot_read_for_a_moment_still_becomes_an_issue_with_its_text(world):
    add_launch(world)
    world.sim.inject("conversations.history", "500", times=2)
    msg = flag(world, "Exports to CSV time out after 30 seconds")
    world.deliver()
    assert issues(world) == []  # Slack could not say yet: the report is kept, not dropped
    for minutes in (1, 3, 10):  # the sender tries again with backoff
        world.clock.set(T0 + timedelta(minutes=minutes))
        world.deliver()
    [issue] = issues(world)
    assert issue.text == "Exports to CSV time out after 30 seconds" and issue.source_ts == msg["ts"]
    notices = [m for m in world.sim.messages("C0ACME") if m.is_reply and m["thread_ts"] == msg["ts"]]
    assert len(notices) == 1 and f"issue *#{issue.number}*" in notices[0]["text"]


def test_a_flagged_message_that_never_becomes_readable_is_filed_without_its_text_not_lost(world):
    add_launch(world)
    world.sim.inject("conversations.history", "503", times=50)
    msg = flag(world, "Invoices show the wrong currency")
    for minutes in range(0, 240, 15):
        world.clock.set(T0 + timedelta(minutes=minutes))
        world.deliver()
    [issue] = issues(world)
    assert "could not be read" in issue.text and issue.source_ts == msg["ts"]
    assert any(m.is_reply and m["thread_ts"] == msg["ts"] for m in world.sim.messages("C0ACME"))


def test_the_same_event_delivered_twice_files_one_issue_and_a_retry_after_a_failure_is_processed(world):
    add_launch(world)
    msg = world.sim.post_as_user("C0ACME", "U0CUST2", "Reports page is blank")
    event = {"type": "reaction_added", "user": "U0CUST1", "user_team": CUSTOMER_TEAM, "reaction": "rotating_light",
             "item": {"type": "message", "channel": "C0ACME", "ts": msg["ts"]}, "event_ts": "1.0"}
    first = world.slack.event(event, event_id="Ev0FLAG1")
    again = world.slack.event(event, event_id="Ev0FLAG1", retry_num=1, retry_reason="http_timeout")
    assert first.status == 200 and again.status == 200
    world.deliver()
    assert len(issues(world)) == 1


def test_support_staff_acknowledge_while_slack_refuses_to_list_the_support_channel(world):
    add_launch(world)
    world.slack.slash_command("issue Checkout fails", user_id="U0CSM", channel_id="C0ACME")
    world.deliver()
    issue = issues(world)[0]
    card = next(m for m in world.sim.messages("C0SUP") if not m.is_reply)
    world.sim.inject("conversations.members", "429", times=20, retry_after=30)
    result = world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts=card["ts"],
                                      value=str(issue.id))
    assert result.status == 200
    assert issues(world)[0].status == "acknowledged"
    assert "Only support staff" not in json.dumps(world.sim.responses)


def test_the_directory_follows_members_joining_and_leaving_and_people_changing(world):
    add_launch(world)
    world.runtime.reconcile_directory()  # the worker reads the channels golive works in
    with world.runtime.db.session() as s:
        assert set(s.exec(select(ChannelMember.user_id).where(ChannelMember.channel == "C0SUP")).all()) - {"UBOT"} \
            == {"U0SUP"}
    world.slack.event({"type": "member_joined_channel", "user": "U0CSM2", "channel": "C0SUP", "team": VENDOR},
                      event_id="Ev0JOIN")
    world.slack.event({"type": "member_left_channel", "user": "U0SUP", "channel": "C0SUP", "team": VENDOR},
                      event_id="Ev0LEFT")
    guest = {"id": "U0CSM2", "team_id": VENDOR, "is_restricted": True, "profile": {"email": "omar@vendor.test"}}
    world.slack.event({"type": "user_change", "user": guest}, event_id="Ev0USER")
    with world.runtime.db.session() as s:
        assert set(s.exec(select(ChannelMember.user_id).where(ChannelMember.channel == "C0SUP")).all()) - {"UBOT"} \
            == {"U0CSM2"}
        person = s.get(SlackPerson, "U0CSM2")
        assert person.is_restricted and person.team_id == VENDOR and person.email == "omar@vendor.test"
    # A guest of the vendor's own workspace is a customer: no support controls, no staff commands.
    world.slack.slash_command("issue Guest cannot see invoices", user_id="U0CSM", channel_id="C0ACME")
    world.deliver()
    card = next(m for m in world.sim.messages("C0SUP") if not m.is_reply)
    world.slack.block_action("issue_ack", user_id="U0CSM2", channel_id="C0SUP", message_ts=card["ts"],
                             value=str(issues(world)[0].id), user_team_id=VENDOR)
    assert issues(world)[0].status == "open"
    assert "Only support staff" in world.sim.responses[-1]["text"]
    listed = world.slack.slash_command("issues", user_id="U0CSM2", channel_id="C0ACME", team_id=VENDOR)
    assert "Only the vendor's team" in listed.body_text


def test_a_channel_that_gets_a_new_id_keeps_its_launch_check_ins_and_members(world):
    launch_id = add_launch(world, go_live="2027-03-08")
    world.tick(datetime(2027, 3, 8, 8, 0, tzinfo=UTC))  # the day-1 check-in goes out
    world.runtime.reconcile_directory()
    result = world.slack.event({"type": "channel_id_changed", "old_channel_id": "C0ACME",
                                "new_channel_id": "C0ACMENEW", "event_ts": "1.0"}, event_id="Ev0MOVE")
    assert result.status == 200
    with world.runtime.db.session() as s:
        assert s.get(Launch, launch_id).channel == "C0ACMENEW"
        assert {c.channel for c in s.exec(select(CheckIn)).all()} <= {"C0ACMENEW"}
        assert s.exec(select(ChannelMember).where(ChannelMember.channel == "C0ACMENEW")).first() is not None
    created = world.slack.event({"type": "channel_id_changed", "old_channel_id": "C0ACME",
                                 "new_channel_id": "C0ACMENEW", "event_ts": "1.0"}, event_id="Ev0MOVE",
                                retry_num=1, retry_reason="http_timeout")
    assert created.status == 200


def raw_post(world, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:  # noqa: ANN001
    url = urlsplit(world.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.putrequest("POST", path)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        if body:
            conn.send(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_a_50_mb_body_is_refused_with_413_before_it_is_read(world):
    status, body = raw_post(world, "/slack/events", {"Content-Length": str(50 * 1024 * 1024),
                                                     "Content-Type": "application/json"})
    assert status == 413 and json.loads(body)["error"] == "body too large"
    # No Content-Length (chunked): cut off while streaming, past 1 MB.
    chunk = b"x" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"
    status, body = raw_post(world, "/slack/events", {"Transfer-Encoding": "chunked",
                                                     "Content-Type": "application/json"}, chunks)
    assert status == 413


def test_metrics_behind_a_token_when_one_is_set(world, tmp_path):
    import httpx

    from bot.core.settings import Settings
    from bot.runtime import Runtime

    env = {**world.env, "GOLIVE_METRICS_TOKEN": "metrics-token-0123456789abcdef",
           "GOLIVE_DATABASE_URL": f"sqlite:///{tmp_path / 'metrics.db'}"}
    runtime = Runtime(Settings.from_env(env))
    server = runtime.web(host="127.0.0.1", port=0, slack_events=False).start_in_thread()
    try:
        assert httpx.get(f"{server.url}/metrics").status_code == 401
        ok = httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer metrics-token-0123456789abcdef"})
        assert ok.status_code == 200 and "golive_" in ok.text
        assert httpx.get(f"{server.url}/healthz").status_code == 200  # health stays open for load balancers
        assert httpx.post(f"{server.url}/slack/events", content=b"{}").status_code == 404  # Socket Mode: no route
    finally:
        server.stop()
        runtime.close()


def test_a_thread_reply_whose_answer_is_lost_after_slack_posted_it_is_not_posted_twice(world):
    from bot.outbox.queue import post_message
    from storage.models import OutboxMessage

    parent = world.sim.post_as_user("C0ACME", "U0CUST1", "Where do I change my password?")
    with world.runtime.db.session() as s:
        post_message(s, key="notice:1", channel="C0ACME", thread_ts=parent["ts"], now=world.clock(),
                     text="Thanks — this is issue #1; support has it.")
    world.sim.inject("chat.postMessage", "reset", after_effect=True)  # Slack posts it, the answer never arrives
    world.deliver()
    for minutes in (1, 5, 15):
        world.clock.set(T0 + timedelta(minutes=minutes))
        world.deliver()
    replies = [m for m in world.sim.messages("C0ACME") if m.is_reply and m["thread_ts"] == parent["ts"]]
    assert [m["text"] for m in replies] == ["Thanks — this is issue #1; support has it."]
    with world.runtime.db.session() as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == "notice:1")).one()
    assert row.status == "sent" and row.result_ts == replies[0]["ts"]
    assert world.sim.calls_to("conversations.replies")  # found in its thread: history never lists replies


def test_a_second_reply_never_overtakes_the_first_even_after_a_5xx(world):
    from bot.outbox.queue import post_message

    parent = world.sim.post_as_user("C0ACME", "U0CUST1", "Invoices show the wrong currency")
    with world.runtime.db.session() as s:
        for n in (1, 2):
            post_message(s, key=f"relay:{n}", channel="C0ACME", thread_ts=parent["ts"], now=world.clock(),
                         text=f">> support reply {n}")
    world.sim.inject("chat.postMessage", "500")  # the first reply fails before Slack posts it
    world.deliver()
    in_thread = lambda: [m["text"] for m in world.sim.messages("C0ACME")  # noqa: E731
                         if m.is_reply and m["thread_ts"] == parent["ts"]]
    assert in_thread() == []  # the second waits for the first
    world.clock.set(T0 + timedelta(minutes=10))
    world.deliver()
    assert in_thread() == [">> support reply 1", ">> support reply 2"]


def test_on_a_slow_slack_requests_answer_from_the_stored_directory_without_asking_slack(world):
    """The 11-second stall: with Slack answering member and profile reads in a second, a burst of clicks, a
    status command, a Home opening and an acknowledgement must not wait on Slack at all once the directory
    knows the channels (the worker keeps it current)."""
    import threading

    add_launch(world)
    world.tick(datetime(2027, 3, 8, 9, 0, tzinfo=UTC))  # the day-1 check-in is out
    world.slack.slash_command("issue Reports are empty", user_id="U0CSM", channel_id="C0ACME")
    world.deliver()
    world.runtime.reconcile_directory()
    world.runtime.directory.ensure_profiles(["U0CUST1", "U0CUST2", "U0CSM", "U0SUP"])
    [checkin] = [m for m in world.sim.messages("C0ACME") if m.blocks and "Day 1" in m.plain_text()]
    value = next(e["value"] for b in checkin.blocks if b["type"] == "actions" for e in b["elements"]
                 if e.get("action_id") == "checkin_good")
    card = next(m for m in world.sim.messages("C0SUP") if not m.is_reply)
    issue_id = issues(world)[0].id
    world.sim.set_latency(1.0, "conversations.members")
    world.sim.set_latency(1.0, "users.info")
    before = len(world.sim.calls_to("conversations.members")) + len(world.sim.calls_to("users.info"))
    results = []
    requests = [
        *(lambda user=user: world.slack.block_action("checkin_good", user_id=user, channel_id="C0ACME",
                                                     message_ts=checkin["ts"], value=value, user_team_id=CUSTOMER_TEAM)
          for user in ("U0CUST1", "U0CUST2")),
        lambda: world.slack.slash_command("status", user_id="U0CSM", channel_id="C0ACME"),
        lambda: world.slack.app_home_opened("U0CUST1"),
        lambda: world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts=card["ts"],
                                         value=str(issue_id)),
    ]
    threads = [threading.Thread(target=lambda r=r: results.append(r().status)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * len(requests)
    after = len(world.sim.calls_to("conversations.members")) + len(world.sim.calls_to("users.info"))
    assert after == before  # answered from local data: not one member or profile read in the request path
    assert issues(world)[0].status == "acknowledged"
    with world.runtime.db.session() as s:
        assert len(s.exec(select(ChannelMember).where(ChannelMember.channel == "C0ACME")).all()) >= 3


def test_a_mention_inside_an_issue_thread_is_relayed_to_support_not_filed_again(world):
    add_launch(world)
    first = world.sim.post_as_user("C0ACME", "U0CUST1", "<@UBOT> SSO login loops forever")
    world.slack.app_mention(first["text"], user_id="U0CUST1", channel_id="C0ACME", ts=first["ts"],
                            user_team=CUSTOMER_TEAM)
    world.deliver()
    reply = world.sim.post_as_user("C0ACME", "U0CUST1", "<@UBOT> still happening after a restart",
                                   thread_ts=first["ts"])
    # Slack sends both an app_mention and a message event for the same reply.
    world.slack.app_mention(reply["text"], user_id="U0CUST1", channel_id="C0ACME", ts=reply["ts"],
                            thread_ts=first["ts"], user_team=CUSTOMER_TEAM)
    world.slack.event({"type": "message", "channel": "C0ACME", "user": "U0CUST1", "text": reply["text"],
                       "ts": reply["ts"], "thread_ts": first["ts"], "user_team": CUSTOMER_TEAM})
    world.deliver()
    assert len(issues(world)) == 1
    card = next(m for m in world.sim.messages("C0SUP") if not m.is_reply)
    relayed = [m["text"] for m in world.sim.messages("C0SUP") if m.is_reply and m["thread_ts"] == card["ts"]]
    assert any("still happening after a restart" in text for text in relayed)


def test_a_click_on_a_channel_golive_never_read_is_recorded_while_its_members_are_read_in_the_background(world):
    """Cold start on go-live morning: the launch channel's members are not stored yet and Slack takes seconds
    to page through them. The click is answered and recorded from what golive has (unknown lets a customer
    through), and the read happens once, beside the request rather than inside it."""
    add_launch(world)
    world.tick(datetime(2027, 3, 8, 9, 0, tzinfo=UTC))
    [checkin] = [m for m in world.sim.messages("C0ACME") if m.blocks and "Day 1" in m.plain_text()]
    value = next(e["value"] for b in checkin.blocks if b["type"] == "actions" for e in b["elements"]
                 if e.get("action_id") == "checkin_good")
    with world.runtime.db.session() as s:
        for row in s.exec(select(ChannelMember).where(ChannelMember.channel == "C0ACME")).all():
            s.delete(row)
        sync = s.get(ChannelSync, "C0ACME")
        if sync is not None:
            s.delete(sync)
    world.sim.set_latency(2.0, "conversations.members")
    answers = world.sim.calls_to("conversations.members")

    result = world.slack.block_action("checkin_good", user_id="U0CUST1", channel_id="C0ACME",
                                      message_ts=checkin["ts"], value=value, user_team_id=CUSTOMER_TEAM)

    assert result.status == 200 and "recorded" in world.sim.responses[-1]["text"].lower()
    assert world.sim.calls_to("conversations.members") == answers  # the read had not answered yet
    world.runtime.directory.wait_for_fills()
    assert len(world.sim.calls_to("conversations.members")) == len(answers) + 1
    assert world.runtime.directory.has_member("C0ACME", "U0CUST1") is True
