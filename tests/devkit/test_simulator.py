"""The Slack simulator, driven through a real slack_sdk.WebClient over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler

from bot.devkit.simulator import SlackSimulator, render_blocks, validate_blocks

REPO = Path(__file__).resolve().parents[2]


def section(text: str = "hi") -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.fixture
def sim():
    """The lenient simulator (strict=False): these tests are about behaviour, not limits (test_strict.py)."""
    with SlackSimulator(strict=False) as s:
        s.add_user("U1", "ana", email="ana@acme.test")
        s.add_user("U2", "ben", email="Ben@Vendor.test")
        s.add_user("UX", "xi", team_id="T0CUSTOMER", email="xi@customer.test")
        s.add_user("UGONE", "gone", deleted=True)
        s.add_channel("C1", "golive-acme", members=["U1", "UX"], is_ext_shared=True)
        s.add_channel("C2", "no-bot", members=["U1"], bot_member=False)
        s.add_channel("C3", "old", is_archived=True)
        yield s


@pytest.fixture
def client(sim):
    return WebClient(token=sim.bot_token, base_url=sim.url, retry_handlers=[])


def http(url: str, body: bytes | None = None, content_type: str = "application/json") -> tuple[int, bytes]:
    """POST (with a body) or GET a plain URL on the simulator."""
    headers = {"Content-Type": content_type} if body is not None else {}
    req = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")  # noqa: S310
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
        return resp.status, resp.read()


def slack_error(fn, **kwargs) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        fn(**kwargs)
    return info.value


def test_url_and_auth(sim, client):
    assert sim.url.startswith("http://127.0.0.1:") and sim.url.endswith("/api/")
    me = client.auth_test()
    assert (me["team_id"], me["user_id"], me["bot_id"]) == ("T0VENDOR", "UBOT", "BBOT")
    assert slack_error(WebClient(base_url=sim.url, retry_handlers=[]).auth_test).response["error"] == "not_authed"
    bad = WebClient(token="xoxb-wrong", base_url=sim.url, retry_handlers=[])
    assert slack_error(bad.auth_test).response["error"] == "invalid_auth"
    assert slack_error(client.api_call, api_method="nope.nothing").response["error"] == "unknown_method"


def test_post_update_thread_and_delete(sim, client):
    first = client.chat_postMessage(channel="C1", text="Go-live day 1", unfurl_links=False)
    second = client.chat_postMessage(channel="C1", text="second")
    assert first["channel"] == "C1" and first["message"]["text"] == "Go-live day 1"
    assert float(second["ts"]) > float(first["ts"])
    reply = client.chat_postMessage(channel="C1", text="in thread", thread_ts=first["ts"], reply_broadcast=True)
    client.chat_update(channel="C1", ts=first["ts"], text="Go-live day 1 (edited)", blocks=[section("*Day 1*")])

    msgs = sim.messages("C1")
    assert [m.text for m in msgs] == ["Go-live day 1 (edited)", "second", "in thread"]
    assert msgs[0].edited and msgs[0].unfurl_links is False and msgs[0].plain_text() == "*Day 1*"
    assert msgs[2].thread_ts == first["ts"] and msgs[2].reply_broadcast and msgs[2].channel == "C1"
    # a reply to a reply lands in the same thread
    nested = client.chat_postMessage(channel="C1", text="nested", thread_ts=reply["ts"])
    assert nested["message"]["thread_ts"] == first["ts"]

    client.chat_delete(channel="C1", ts=second["ts"])
    assert "second" not in [m.text for m in sim.messages("C1")]
    assert slack_error(client.chat_update, channel="C1", ts="1.000001", text="x").response["error"] == (
        "message_not_found"
    )
    assert (
        slack_error(client.chat_postMessage, channel="C1", text="x", thread_ts="1.000001").response["error"]
        == "invalid_thread_ts"
    )


def test_direct_messages(sim, client):
    r = client.chat_postMessage(channel="U1", text="your check-in")
    assert r["channel"].startswith("D")
    again = client.chat_postMessage(channel="U1", text="again")
    assert again["channel"] == r["channel"]
    assert client.conversations_open(users="U1")["channel"]["id"] == r["channel"]
    assert [m.text for m in sim.dm_messages("U1")] == ["your check-in", "again"]
    client.chat_postMessage(channel=r["channel"], text="via D id")
    assert len(sim.dm_messages("U1")) == 3
    assert slack_error(client.chat_postMessage, channel="UNOPE", text="x").response["error"] == "user_not_found"
    assert slack_error(client.chat_postMessage, channel="UGONE", text="x").response["error"] == "account_inactive"


@pytest.mark.parametrize(
    ("channel", "error"),
    [("C404", "channel_not_found"), ("C2", "not_in_channel"), ("C3", "is_archived"), ("", "channel_not_found")],
)
def test_channel_errors(client, channel, error):
    assert slack_error(client.chat_postMessage, channel=channel, text="x").response["error"] == error


def test_join_makes_channel_postable(sim, client):
    client.conversations_join(channel="C2")
    client.chat_postMessage(channel="C2", text="now I'm in")
    assert sim.messages("C2")[0].text == "now I'm in"
    info = client.conversations_info(channel="C2", include_num_members=True)["channel"]
    assert info["is_member"] and info["num_members"] == 2


def test_text_and_block_limits(client):
    assert slack_error(client.chat_postMessage, channel="C1", text="x", blocks=[section()] * 51).response["error"] == (
        "invalid_blocks"
    )
    client.chat_postMessage(channel="C1", text="ok", blocks=[section()] * 50)  # exactly the limit is fine
    assert slack_error(client.chat_postMessage, channel="C1", text="x" * 40_001).response["error"] == "msg_too_long"
    assert (
        slack_error(client.api_call, api_method="chat.postMessage", json={"channel": "C1"}).response["error"]
        == "no_text"
    )


@pytest.mark.parametrize(
    "block",
    [
        section("x" * 3001),
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}]},
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "ok"}, "action_id": "a" * 256}],
        },
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b"}}] * 26},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11},
        {**section(), "block_id": "b" * 256},
        {"type": "section"},
    ],
)
def test_each_block_limit_is_enforced(client, block):
    err = slack_error(client.chat_postMessage, channel="C1", text="fallback", blocks=[block])
    assert err.response["error"] == "invalid_blocks" and err.response["errors"]


def test_validate_blocks_accepts_limits():
    ok = [
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 150}},
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "y" * 75}, "action_id": "a" * 255}]
            * 25,
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 10},
    ]
    assert validate_blocks(ok) is None
    assert validate_blocks([section()] * 100, max_blocks=100) is None
    assert validate_blocks([section()] * 101, max_blocks=100)


def test_form_encoded_json_strings_are_decoded(sim, client):
    blocks = [section("from a form body")]
    metadata = {"event_type": "golive_outbox", "event_payload": {"id": 7}}
    client.api_call(
        "chat.postMessage",
        params={"channel": "C1", "text": "fb", "blocks": json.dumps(blocks), "metadata": json.dumps(metadata)},
    )
    msg = sim.messages("C1")[0]
    assert msg.blocks == blocks and msg.metadata == metadata
    assert sim.calls_to("chat.postMessage")[0].params["blocks"] == blocks


def test_injected_429_raises_with_retry_after(sim, client):
    sim.inject("chat.postMessage", "429", times=1, retry_after=7)
    err = slack_error(client.chat_postMessage, channel="C1", text="x")
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "7"
    assert err.response["error"] == "ratelimited"
    client.chat_postMessage(channel="C1", text="next one passes")
    assert [c.status for c in sim.calls_to("chat.postMessage")] == [429, 200]


@pytest.mark.parametrize("kind", ["500", "503"])
def test_injected_server_errors(sim, client, kind):
    sim.inject("*", kind, times=2)
    assert slack_error(client.users_info, user="U1").response.status_code == int(kind)
    assert slack_error(client.chat_postMessage, channel="C1", text="x").response.status_code == int(kind)
    assert client.users_info(user="U1")["user"]["name"] == "ana"
    assert sim.messages("C1") == []


def test_injected_slack_error_kind(sim, client):
    sim.inject("chat.postMessage", "channel_not_found")
    assert slack_error(client.chat_postMessage, channel="C1", text="x").response["error"] == "channel_not_found"


def test_dropped_connection(sim, client):
    sim.inject("chat.postMessage", "drop")
    with pytest.raises(ConnectionError):
        client.chat_postMessage(channel="C1", text="lost")
    assert sim.messages("C1") == []
    assert sim.calls_to("chat.postMessage")[0].status == 0
    # slack_sdk's default ConnectionErrorRetryHandler retries a drop once
    sim.inject("chat.postMessage", "drop")
    WebClient(token=sim.bot_token, base_url=sim.url).chat_postMessage(channel="C1", text="retried")
    assert [m.text for m in sim.messages("C1")] == ["retried"]


def test_inject_rate_is_seeded(sim, client):
    sim.inject_rate("users.info", "500", probability=0.5, seed=42)
    outcomes = []
    for _ in range(40):
        try:
            client.users_info(user="U1")
            outcomes.append(True)
        except SlackApiError:
            outcomes.append(False)
    assert 5 < outcomes.count(False) < 35
    sim.clear_faults()
    assert client.users_info(user="U1")["ok"]


def test_rate_limit_sustained_throughput(sim):
    sim.set_rate_limit(per_channel_per_sec=4)
    client = WebClient(
        token=sim.bot_token, base_url=sim.url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=5)]
    )
    for i in range(8):
        client.chat_postMessage(channel="C1", text=f"m{i}")
    statuses = [c.status for c in sim.calls_to("chat.postMessage")]
    assert statuses.count(429) > 0
    assert [m.text for m in sim.messages("C1")] == [f"m{i}" for i in range(8)]
    limited = next(c for c in sim.calls_to("chat.postMessage") if c.status == 429)
    assert limited.response == {"ok": False, "error": "ratelimited"}


def test_workspace_rate_limit_spans_channels(sim, client):
    sim.add_channel("C4", "four")
    sim.set_rate_limit(workspace_per_sec=0.5, burst=2)
    client.chat_postMessage(channel="C1", text="a")
    client.chat_postMessage(channel="C4", text="b")
    err = slack_error(client.chat_postMessage, channel="C1", text="c")
    assert err.response.status_code == 429 and int(err.response.headers["Retry-After"]) >= 1
    sim.set_rate_limit()
    client.chat_postMessage(channel="C1", text="d")


def test_members_pagination(sim, client):
    people = [f"U{i:03d}" for i in range(25)]
    sim.add_channel("CBIG", "big", members=people)
    seen, cursor, pages = [], None, 0
    while True:
        resp = client.conversations_members(channel="CBIG", limit=10, cursor=cursor)
        assert len(resp["members"]) <= 10
        seen += resp["members"]
        pages += 1
        cursor = resp["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and seen == [*people, "UBOT"]
    assert slack_error(client.conversations_members, channel="C404").response["error"] == "channel_not_found"


def test_metadata_round_trip(client):
    meta = {"event_type": "golive_outbox", "event_payload": {"outbox_id": 12, "kind": "checkin"}}
    posted = client.chat_postMessage(channel="C1", text="tracked", metadata=meta)
    client.chat_postMessage(channel="C1", text="plain")
    history = client.conversations_history(channel="C1", include_all_metadata=True, limit=10)["messages"]
    assert [m["text"] for m in history] == ["plain", "tracked"]  # newest first
    assert history[1]["metadata"] == meta and "metadata" not in history[0]
    bare = client.conversations_history(channel="C1")["messages"]
    assert all("metadata" not in m for m in bare)
    newer = client.conversations_history(channel="C1", oldest=posted["ts"])["messages"]
    assert [m["text"] for m in newer] == ["plain"]
    bad = {"event_type": "has spaces", "event_payload": {}}
    assert slack_error(client.chat_postMessage, channel="C1", text="x", metadata=bad).response["error"] == (
        "invalid_metadata_format"
    )


def test_replies_and_history_limits(sim, client):
    parent = client.chat_postMessage(channel="C1", text="parent")
    sim.post_as_user("C1", "UX", "customer reply", thread_ts=parent["ts"])
    client.chat_postMessage(channel="C1", text="bot reply", thread_ts=parent["ts"])
    replies = client.conversations_replies(channel="C1", ts=parent["ts"])["messages"]
    assert [m["text"] for m in replies] == ["parent", "customer reply", "bot reply"]
    assert replies[0]["reply_count"] == 2 and replies[1]["team"] == "T0CUSTOMER"
    history = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in history] == ["parent"]
    assert slack_error(client.conversations_replies, channel="C1", ts="1.000001").response["error"] == (
        "thread_not_found"
    )
    for i in range(3):
        client.chat_postMessage(channel="C1", text=f"t{i}")
    page = client.conversations_history(channel="C1", limit=2)
    assert [m["text"] for m in page["messages"]] == ["t2", "t1"] and page["has_more"]


def test_ephemeral(sim, client):
    r = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert r["message_ts"]
    assert [m.text for m in sim.ephemerals("U1")] == ["only you"]
    assert sim.ephemerals("U2") == [] and sim.messages("C1") == []
    assert slack_error(client.chat_postEphemeral, channel="C1", user="U2", text="x").response["error"] == (
        "user_not_in_channel"
    )


def test_permalink_reactions_and_pins(sim, client):
    top = client.chat_postMessage(channel="C1", text="top")
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=top["ts"])
    link = client.chat_getPermalink(channel="C1", message_ts=top["ts"])["permalink"]
    assert link == f"https://sim.slack.test/archives/C1/p{top['ts'].replace('.', '')}"
    reply_link = client.chat_getPermalink(channel="C1", message_ts=reply["ts"])["permalink"]
    assert f"thread_ts={top['ts']}" in reply_link
    client.reactions_add(channel="C1", timestamp=top["ts"], name="eyes")
    assert (
        slack_error(client.reactions_add, channel="C1", timestamp=top["ts"], name="eyes").response["error"]
        == "already_reacted"
    )
    client.pins_add(channel="C1", timestamp=top["ts"])
    msg = sim.messages("C1")[0]
    assert msg.reactions == {"eyes": ["UBOT"]} and msg.pinned


def test_users(sim, client):
    assert client.users_lookupByEmail(email="ben@vendor.test")["user"]["id"] == "U2"
    assert slack_error(client.users_lookupByEmail, email="nobody@x.test").response["error"] == "users_not_found"
    external = client.users_info(user="UX")["user"]
    assert external["team_id"] == "T0CUSTOMER" and external["profile"]["email"] == "xi@customer.test"
    assert client.users_getPresence(user="U1")["presence"] == "active"
    sim.update_user("U1", status_text="on holiday", presence="away")
    assert client.users_profile_get(user="U1")["profile"]["status_text"] == "on holiday"
    assert client.users_getPresence(user="U1")["online"] is False
    assert client.team_info()["team"]["id"] == "T0VENDOR"
    assert slack_error(client.users_info, user="U404").response["error"] == "user_not_found"


def test_views(sim, client):
    modal = {
        "type": "modal",
        "callback_id": "report_issue_modal",
        "title": {"type": "plain_text", "text": "Report a problem"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "what",
                "label": {"type": "plain_text", "text": "What?"},
                "element": {"type": "plain_text_input", "action_id": "what"},
            }
        ],
    }
    assert slack_error(client.views_open, trigger_id="", view=modal).response["error"] == "invalid_trigger_id"
    opened = client.views_open(trigger_id="1700000000.U1.abcdef", view=modal)["view"]
    assert sim.views_for("U1")["id"] == opened["id"]
    updated = {**modal, "blocks": [section("Thanks")]}
    client.views_update(view_id=opened["id"], view=updated, hash=opened["hash"])
    assert sim.views_for("U1")["blocks"] == [section("Thanks")]
    assert (
        slack_error(client.views_update, view_id=opened["id"], view=updated, hash="stale").response["error"]
        == "hash_conflict"
    )
    long_title = {**modal, "title": {"type": "plain_text", "text": "x" * 25}}
    assert slack_error(client.views_open, trigger_id="t", view=long_title).response["error"] == "invalid_arguments"
    big_meta = {**modal, "private_metadata": "m" * 3001}
    assert slack_error(client.views_open, trigger_id="t", view=big_meta).response["error"] == "invalid_arguments"
    too_many = {**modal, "blocks": [section()] * 101}
    assert slack_error(client.views_open, trigger_id="t", view=too_many).response["error"] == "invalid_blocks"

    home = {"type": "home", "blocks": [section("Your go-live")] * 60}  # homes allow up to 100 blocks
    client.views_publish(user_id="U2", view=home)
    assert sim.views_for("U2", type="home")["blocks"][0] == section("Your go-live")


def test_expired_trigger(sim, client):
    sim.trigger_ttl = 3
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": []}
    err = slack_error(client.views_open, trigger_id="1000.U1.abc", view=modal)
    assert err.response["error"] == "expired_trigger_id"


def test_external_upload_flow(sim, client):
    content = b"day,score\n1,good\n"
    up = client.files_getUploadURLExternal(filename="digest.csv", length=len(content))
    assert up["upload_url"].startswith(sim.base_url + "/upload/")
    early = slack_error(client.files_completeUploadExternal, files=[{"id": up["file_id"]}], channel_id="C1")
    assert early.response["error"] == "file_not_found"

    status, answer = http(up["upload_url"], content, "application/octet-stream")
    assert status == 200 and answer == f"OK - {len(content)}".encode()
    client.files_completeUploadExternal(
        files=[{"id": up["file_id"], "title": "Digest"}], channel_id="C1", initial_comment="Daily digest"
    )
    msg = sim.messages("C1")[-1]
    assert msg.text == "Daily digest" and msg.files[0]["id"] == up["file_id"] and msg.files[0]["title"] == "Digest"
    assert sim.file(up["file_id"])["data"] == content
    assert "[file: Digest]" in msg.plain_text()

    # slack_sdk's own helper drives the same three steps
    client.files_upload_v2(channel="C1", content="hello", filename="h.txt", title="Hello")
    assert sim.messages("C1")[-1].files[0]["title"] == "Hello"


def test_plain_text_rendering(sim, client):
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Day 2"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "How is it going, <@U1>? See <https://x.test|docs>"}},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Good"}, "action_id": "checkin_good"}
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "golive &amp; you"}]},
    ]
    client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    text = sim.messages("C1")[0].plain_text()
    assert text.splitlines() == [
        "== Day 2 ==",
        "How is it going, @ana? See docs (https://x.test)",
        "[Good]",
        "golive & you",
    ]
    assert render_blocks([{"type": "divider"}]) == "-" * 24


def test_control_api_and_wait_for(sim, client):
    def post_later():
        WebClient(token=sim.bot_token, base_url=sim.url).chat_postMessage(channel="C1", text="async hello")

    t = threading.Thread(target=post_later)
    t.start()
    sim.wait_for(lambda: sim.messages("C1"), timeout=5)
    t.join()
    data = json.loads(http(sim.base_url + "/_sim/messages")[1])
    assert [m["text"] for m in data["messages"]] == ["async hello"]
    assert data["messages"][0]["plain_text"] == "async hello"

    body = json.dumps({"method": "chat.postMessage", "kind": "503", "times": 1}).encode()
    assert json.loads(http(sim.base_url + "/_sim/faults", body)[1])["ok"]
    assert slack_error(client.chat_postMessage, channel="C1", text="x").response.status_code == 503
    with pytest.raises(TimeoutError):
        sim.wait_for(lambda: False, timeout=0.05)


def test_response_url_capture(sim):
    assert http(sim.response_url_base + "/commands/T/1/x", b'{"text": "done"}')[0] == 200
    assert sim.responses[0]["text"] == "done"


def test_standalone_module():
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.devkit.simulator",
            "--port",
            "0",
            "--user",
            "U9:zed:zed@x.test",
            "--channel",
            "C9:demo:U9",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = line.split()[3]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/")
        client = WebClient(token="xoxb-sim-token", base_url=url)
        assert client.conversations_members(channel="C9")["members"] == ["U9", "UBOT"]
        assert client.users_lookupByEmail(email="zed@x.test")["user"]["id"] == "U9"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
