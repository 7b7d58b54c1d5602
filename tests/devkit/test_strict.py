"""The simulator is as strict as Slack: faults after the effect, per-method tiers, trigger expiry,
asynchronous file shares, history like Slack, people like Slack. Fake clocks, no sleeps."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.devkit.sim.limits import METHOD_TIERS, TIER_BUDGETS
from bot.devkit.simulator import SlackSimulator

START = 1_800_000_000.0
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Report"}, "blocks": []}


class Clock:
    """The simulator's time source, moved by hand."""

    def __init__(self, start: float = START):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def workspace(sim: SlackSimulator) -> SlackSimulator:
    sim.add_user("U1", "ana", email="ana@acme.test")
    sim.add_user("UX", "xi", team_id="T0CUSTOMER", email="xi@customer.test")
    sim.add_channel("C1", "golive-acme", members=["U1", "UX"], is_ext_shared=True)
    sim.add_channel("C4", "four", members=["U1"])
    return sim


@pytest.fixture
def sim(clock):
    """Strict by default (nothing but the clock is configured)."""
    with SlackSimulator(clock=clock) as s:
        yield workspace(s)


def client_for(sim: SlackSimulator, **kwargs) -> WebClient:
    return WebClient(token=sim.bot_token, base_url=sim.url, retry_handlers=kwargs.pop("retry_handlers", []), **kwargs)


@pytest.fixture
def client(sim):
    return client_for(sim)


def error_of(fn, **kwargs) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        fn(**kwargs)
    return info.value


def control(sim: SlackSimulator, name: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(  # noqa: S310
        f"{sim.base_url}/_sim/{name}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
        return json.loads(resp.read())


# --------------------------------------------------------------------------- 1. faults after the effect


@pytest.mark.parametrize("kind, status", [("500", 500), ("503", 503)])
def test_a_5xx_after_the_effect_leaves_the_message_posted(sim, client, kind, status):
    sim.inject("chat.postMessage", kind, after_effect=True)
    err = error_of(client.chat_postMessage, channel="C1", text="Day 1 check-in")
    assert err.response.status_code == status
    [msg] = sim.messages("C1")
    assert msg.text == "Day 1 check-in"
    [call] = sim.calls_to("chat.postMessage")
    assert (call.status, call.fault) == (status, kind) and call.effect["ts"] == msg.ts


def test_a_timeout_after_the_effect_holds_the_line_past_the_clients_timeout(sim):
    sim.inject("chat.postMessage", "timeout", after_effect=True, hold_seconds=1.0)
    impatient = client_for(sim, timeout=0.2)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        impatient.chat_postMessage(channel="C1", text="did it go out?")
    assert [m.text for m in sim.messages("C1")] == ["did it go out?"]
    assert sim.calls_to("chat.postMessage")[0].fault == "timeout"


def test_a_timeout_before_the_effect_posts_nothing(sim):
    sim.inject("chat.postMessage", "timeout", hold_seconds=1.0)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        client_for(sim, timeout=0.2).chat_postMessage(channel="C1", text="lost")
    assert sim.messages("C1") == []


def test_a_reset_after_a_pin_leaves_it_pinned(sim, client):
    posted = client.chat_postMessage(channel="C1", text="launch-day help")
    sim.inject("pins.add", "reset", after_effect=True)
    with pytest.raises(ConnectionError):
        client.pins_add(channel="C1", timestamp=posted["ts"])
    assert sim.messages("C1")[0].pinned
    # asking again is how a sender finds out: Slack says it is already pinned
    assert error_of(client.pins_add, channel="C1", timestamp=posted["ts"]).response["error"] == "already_pinned"


def test_a_drop_after_a_dm_and_a_thread_reply_leaves_both_delivered(sim, client):
    parent = client.chat_postMessage(channel="C1", text="parent")
    sim.inject("chat.postMessage", "drop", after_effect=True, times=2)
    with pytest.raises(ConnectionError):
        client.chat_postMessage(channel="U1", text="your check-in")
    with pytest.raises(ConnectionError):
        client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    assert [m.text for m in sim.dm_messages("U1")] == ["your check-in"]
    assert [m.text for m in sim.thread("C1", parent["ts"])] == ["parent", "reply"]


def test_the_sdks_connection_retry_after_the_effect_posts_twice(sim):
    """slack_sdk retries a reset once by default: without an idempotency check the message doubles."""
    sim.inject("chat.postMessage", "reset", after_effect=True)
    WebClient(token=sim.bot_token, base_url=sim.url).chat_postMessage(channel="C1", text="twice")
    assert [m.text for m in sim.messages("C1")] == ["twice", "twice"]


def test_a_file_shared_before_a_5xx(sim, client):
    sim.inject("files.completeUploadExternal", "500", after_effect=True)
    with pytest.raises(SlackApiError):
        client.files_upload_v2(channel="C1", content="a,b\n", filename="chart.csv", title="Chart")
    sim.flush_shares()
    assert sim.messages("C1")[0].files[0]["title"] == "Chart"


def test_after_effect_faults_wait_for_a_call_that_succeeds(sim, client):
    sim.inject("chat.postMessage", "503", after_effect=True)
    assert error_of(client.chat_postMessage, channel="C404", text="x").response["error"] == "channel_not_found"
    assert error_of(client.chat_postMessage, channel="C1", text="ok").response.status_code == 503
    client.chat_postMessage(channel="C1", text="clean")
    assert [m.text for m in sim.messages("C1")] == ["ok", "clean"]


def test_after_effect_faults_through_the_control_api(sim, client):
    assert control(sim, "faults", {"method": "chat.postMessage", "kind": "500", "after_effect": True})["ok"]
    assert error_of(client.chat_postMessage, channel="C1", text="x").response.status_code == 500
    assert len(sim.messages("C1")) == 1
    with pytest.raises(ValueError):
        sim.inject("chat.postMessage", "channel_not_found", after_effect=True)


# --------------------------------------------------------------------------- 2. per-method tiers


def test_every_method_has_its_slack_tier():
    assert all(METHOD_TIERS.get(m) for m in SlackSimulator(strict=False)._methods)
    expected = {
        "conversations.members": 4,
        "users.info": 4,
        "views.open": 4,
        "chat.postEphemeral": 4,
        "files.completeUploadExternal": 4,
        "users.lookupByEmail": 3,
        "chat.update": 3,
        "conversations.history": 3,
        "conversations.list": 2,
        "users.list": 2,
        "pins.add": 2,
    }
    assert {m: METHOD_TIERS[m] for m in expected} == expected
    limits = SlackSimulator().limits.describe()["methods"]
    assert limits["pins.add"] == TIER_BUDGETS[2] == 20 and limits["users.info"] == 100


def test_a_429_on_one_method_leaves_the_others_alone(sim, client, clock):
    for _ in range(20):  # Tier 2: 20 a minute; failed calls count too
        assert error_of(client.pins_add, channel="C1", timestamp="1.000001").response["error"] == "message_not_found"
    limited = error_of(client.pins_add, channel="C1", timestamp="1.000001")
    assert limited.response.status_code == 429 and limited.response["error"] == "ratelimited"
    assert limited.response.headers["Retry-After"] == "3"  # 60 s / 20 calls
    client.chat_postMessage(channel="C1", text="posting is its own budget")
    client.users_info(user="U1")
    clock.advance(3)  # Retry-After honoured exactly
    assert error_of(client.pins_add, channel="C1", timestamp="1.000001").response["error"] == "message_not_found"


@pytest.fixture
def post_limited(clock):
    with SlackSimulator(clock=clock, post_message_limits=True) as s:
        yield workspace(s)


def test_post_message_is_one_per_second_per_channel_with_a_short_burst(post_limited, clock):
    sim, client = post_limited, client_for(post_limited)
    for i in range(3):
        client.chat_postMessage(channel="C1", text=f"burst {i}")
    err = error_of(client.chat_postMessage, channel="C1", text="one too many")
    assert err.response.status_code == 429 and err.response.headers["Retry-After"] == "1"
    client.chat_postMessage(channel="C4", text="another channel has its own second")
    client.chat_postMessage(channel="U1", text="so does a DM")
    clock.advance(1)
    client.chat_postMessage(channel="C1", text="a second later")
    assert error_of(client.chat_postMessage, channel="C1", text="x").response.status_code == 429
    assert len(sim.messages("C1")) == 4


def test_a_refused_post_does_not_use_the_channels_second(post_limited):
    client = client_for(post_limited)
    post_limited.add_channel("C0NEW", "new", members=["U1"], bot_member=False)
    for _ in range(5):
        assert error_of(client.chat_postMessage, channel="C0NEW", text="x").response["error"] == "not_in_channel"
    post_limited.add_member("C0NEW", post_limited.bot_user_id)
    client.chat_postMessage(channel="C0NEW", text="invited at last")


def test_post_message_limits_are_opt_in_for_now(sim, client):
    for i in range(10):
        client.chat_postMessage(channel="C1", text=f"m{i}")
    assert sim.limits.describe()["post_message_limits"] is False


def test_post_message_has_a_workspace_wide_budget(clock):
    with SlackSimulator(clock=clock, post_message_limits=True) as sim:
        client = client_for(sim)
        for i in range(301):
            sim.add_channel(f"CW{i:03d}", f"w{i}")
        for i in range(300):
            client.chat_postMessage(channel=f"CW{i:03d}", text="hi")
        assert error_of(client.chat_postMessage, channel="CW300", text="hi").response.status_code == 429


def test_budgets_can_be_tightened_loosened_and_sped_up(clock):
    with SlackSimulator(clock=clock, tiers={"users.info": 2, 2: None}, time_scale=60) as sim:
        workspace(sim)
        client = client_for(sim)
        client.users_info(user="U1")
        client.users_info(user="U1")
        err = error_of(client.users_info, user="U1")
        assert err.response.status_code == 429 and err.response.headers["Retry-After"] == "1"
        clock.advance(0.5)  # 30 simulated seconds: one of the two calls a minute is back
        client.users_info(user="U1")
        for _ in range(50):  # Tier 2 made unlimited
            client.conversations_list()
        sim.set_tier_budget("conversations.list", 1)
        client.conversations_list()
        assert error_of(client.conversations_list).response.status_code == 429
        assert control(sim, "tiers", {"key": "conversations.list", "per_minute": None})["ok"]
        client.conversations_list()
        assert control(sim, "limits")["methods"]["users.info"] == 2


def test_strict_false_is_the_old_lenient_simulator(clock):
    with SlackSimulator(clock=clock, strict=False) as sim:
        workspace(sim)
        client = client_for(sim)
        for _ in range(30):
            client.chat_postMessage(channel="C1", text="no limits")
            client.pins_add(channel="C1", timestamp=sim.messages("C1")[-1].ts)
        assert sim.trigger_ttl is None and sim.share_delay is None


def test_set_rate_limit_still_overrides_post_message(sim, client):
    sim.set_rate_limit()  # every chat.postMessage limit off
    for i in range(10):
        client.chat_postMessage(channel="C1", text=f"m{i}")
    sim.set_rate_limit(per_channel_per_sec=1)
    client.chat_postMessage(channel="C1", text="one")
    assert error_of(client.chat_postMessage, channel="C1", text="two").response.status_code == 429


# --------------------------------------------------------------------------- 3. trigger_id expiry


def test_a_trigger_expires_three_seconds_after_the_click(sim, client, clock):
    fresh = sim.new_trigger_id("U1")
    clock.advance(2.9)
    opened = client.views_open(trigger_id=fresh, view=MODAL)["view"]
    assert sim.views_for("U1")["id"] == opened["id"]
    late = sim.new_trigger_id("U1")
    clock.advance(3.1)
    assert error_of(client.views_open, trigger_id=late, view=MODAL).response["error"] == "expired_trigger_id"
    assert error_of(client.views_push, trigger_id=late, view=MODAL).response["error"] == "expired_trigger_id"


def test_a_trigger_registered_as_expired(sim, client):
    sim.expire_trigger("13351.8.abc")
    assert error_of(client.views_open, trigger_id="13351.8.abc", view=MODAL).response["error"] == "expired_trigger_id"
    sim.register_trigger("opaque-id", at=START - 1)
    assert client.views_open(trigger_id="opaque-id", view=MODAL)["ok"]


def test_signed_request_trigger_ids_expire_by_their_whole_second(sim, client, clock):
    stamp = int(START)
    clock.advance(3.9)  # clicked somewhere in [stamp, stamp+1): may be only 2.9 s old
    assert client.views_open(trigger_id=f"{stamp}.U1.abc", view=MODAL)["ok"]
    clock.advance(0.2)  # certainly over 3 s old now
    err = error_of(client.views_open, trigger_id=f"{stamp}.U1.def", view=MODAL)
    assert err.response["error"] == "expired_trigger_id"


# --------------------------------------------------------------------------- 4. asynchronous file shares


def upload(client: WebClient, **kwargs):
    content = b"day,score\n1,good\n"
    up = client.files_getUploadURLExternal(filename="chart.png", length=len(content))
    req = urllib.request.Request(up["upload_url"], data=content, method="POST")  # noqa: S310
    urllib.request.urlopen(req, timeout=5).close()  # noqa: S310
    return client.files_completeUploadExternal(files=[{"id": up["file_id"], "title": "Chart"}], **kwargs)


def test_a_share_arrives_after_the_message_that_says_the_chart_is_above(sim, client):
    upload(client, channel_id="C1")
    assert sim.messages("C1") == [] and sim.pending_shares() == 1
    client.chat_postMessage(channel="C1", text="The chart is above")
    [shared] = sim.flush_shares()
    assert [m.text or "[file]" for m in sim.messages("C1")] == ["The chart is above", "[file]"]
    assert float(shared.ts) > float(sim.messages("C1")[0].ts)
    assert sim.file(shared.files[0]["id"])["shares"] == {"C1": [shared.ts]}


def test_a_share_appears_once_its_delay_has_passed(sim, client, clock):
    upload(client, channel_id="C1", initial_comment="Daily digest")
    assert client.conversations_history(channel="C1")["messages"] == []
    clock.advance(sim.share_delay)
    assert [m["text"] for m in client.conversations_history(channel="C1")["messages"]] == ["Daily digest"]


def test_shares_follow_real_time_with_the_default_clock():
    with SlackSimulator(share_delay=0.05) as sim:
        workspace(sim)
        upload(client_for(sim), channel_id="C1")
        sim.wait_for(lambda: sim.messages("C1"), timeout=5)  # the share's timer wakes waiters
    with SlackSimulator(share_delay=0) as sim:
        workspace(sim)
        upload(client_for(sim), channel_id="C1")
        assert sim.messages("C1")[0].files


# --------------------------------------------------------------------------- 5. history like Slack


def test_history_lists_top_level_and_parents_replies_lists_the_thread_with_metadata(sim, client, clock):
    meta = {"event_type": "golive_outbox", "event_payload": {"outbox_id": 7}}
    parent = client.chat_postMessage(channel="C1", text="parent", metadata=meta)
    clock.advance(1)
    client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"], metadata=meta)
    clock.advance(1)
    client.chat_postMessage(channel="C1", text="broadcast", thread_ts=parent["ts"], reply_broadcast=True)
    history = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert [m["text"] for m in history] == ["broadcast", "parent"]  # never the plain reply
    thread = client.conversations_replies(channel="C1", ts=parent["ts"], include_all_metadata=True)["messages"]
    assert [m["text"] for m in thread] == ["parent", "reply", "broadcast"]
    assert thread[1]["metadata"] == meta and thread[0]["reply_count"] == 2
    bare = client.conversations_replies(channel="C1", ts=parent["ts"])["messages"]
    assert all("metadata" not in m for m in bare)


def test_history_limit_mode_is_one_request_a_minute_and_fifteen_results(clock):
    with SlackSimulator(clock=clock, history_limit=True, tiers={"chat.postMessage": None}) as sim:
        workspace(sim)
        client = client_for(sim)
        first = None
        for i in range(20):
            posted = client.chat_postMessage(channel="C1", text=f"m{i}", thread_ts=first)
            first = first or posted["ts"]
        page = client.conversations_history(channel="C1", limit=100)
        assert len(page["messages"]) == 1  # only the parent: the others are replies
        assert error_of(client.conversations_history, channel="C1").response.status_code == 429
        thread = client.conversations_replies(channel="C1", ts=first, limit=200)
        assert len(thread["messages"]) == 15 and thread["has_more"]
        err = error_of(client.conversations_replies, channel="C1", ts=first)
        assert err.response.headers["Retry-After"] == "60"
        clock.advance(60)
        assert client.conversations_replies(channel="C1", ts=first)["ok"]


# --------------------------------------------------------------------------- 6. people like Slack


def test_users_info_like_slack(sim, client):
    sim.add_user(
        "U0GUEST",
        "gil",
        team_id="T0VENDOR",
        email="gil@acme.test",
        is_restricted=True,
        tz="Europe/Berlin",
        locale="de-DE",
        status_text="On vacation",
        status_emoji=":palm_tree:",
        status_expiration=1_800_003_600,
    )
    sim.add_user("U0SOLO", "sol", is_ultra_restricted=True)
    sim.add_user("W0GRID", "gia", enterprise_id="E0VENDOR", enterprise_name="Vendor Group", teams=["T0VENDOR", "T0EU"])
    guest = client.users_info(user="U0GUEST", include_locale=True)["user"]
    assert guest["team_id"] == "T0VENDOR" and guest["is_restricted"] and not guest["is_ultra_restricted"]
    assert (guest["is_bot"], guest["deleted"], guest["tz"], guest["locale"]) == (False, False, "Europe/Berlin", "de-DE")
    assert guest["tz_offset"] in (3600, 7200)
    profile = guest["profile"]
    assert (profile["email"], profile["status_text"], profile["status_emoji"], profile["status_expiration"]) == (
        "gil@acme.test",
        "On vacation",
        ":palm_tree:",
        1_800_003_600,
    )
    assert "locale" not in client.users_info(user="U0GUEST")["user"]
    solo = client.users_info(user="U0SOLO")["user"]
    assert solo["is_restricted"] and solo["is_ultra_restricted"]
    grid = client.users_info(user="W0GRID")["user"]
    assert grid["enterprise_user"]["enterprise_id"] == "E0VENDOR" == grid["enterprise_id"]
    assert grid["enterprise_user"]["teams"] == ["T0VENDOR", "T0EU"]
    assert "enterprise_user" not in client.users_info(user="U1")["user"]
    assert sim.user_object("U0GUEST")["locale"] == "de-DE"


def test_members_page_up_to_a_thousand(sim, client):
    people = [f"U{i:05d}" for i in range(2500)]
    sim.add_channel("CBIG", "big", members=people)
    pages, cursor = [], None
    while True:
        resp = client.conversations_members(channel="CBIG", limit=5000, cursor=cursor)
        pages.append(len(resp["members"]))
        cursor = resp["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == [1000, 1000, 501]
    assert len(client.conversations_members(channel="CBIG")["members"]) == 100  # Slack's default page


def test_latency_per_method_lets_concurrent_calls_overlap(clock):
    with SlackSimulator(clock=clock, latency={"users.info": 30.0, "conversations.members": 30.0}) as sim:
        workspace(sim)
        answers = []
        calls = [
            lambda: client_for(sim).users_info(user="U1"),
            lambda: client_for(sim).users_info(user="UX"),
            lambda: client_for(sim).conversations_members(channel="C1"),
        ]
        threads = [threading.Thread(target=lambda f=f: answers.append(f()["ok"])) for f in calls]
        for t in threads:
            t.start()
        # all three are inside their 30 s delay at once: no lock is held while waiting
        sim.wait_for(lambda: sim.in_flight("users.info") == 2 and sim.in_flight("conversations.members") == 1)
        client_for(sim).auth_test()  # other methods are not delayed meanwhile
        sim.set_latency(0, "users.info")
        sim.set_latency(0, "conversations.members")
        for t in threads:
            t.join(timeout=10)
        assert answers == [True, True, True] and sim.in_flight() == 0


def test_opt_in_rules_can_be_turned_on_for_a_whole_run(monkeypatch):
    monkeypatch.setenv("SIM_POST_MESSAGE_LIMITS", "1")
    monkeypatch.setenv("SIM_HISTORY_LIMIT", "true")
    described = SlackSimulator().limits.describe()
    assert described["post_message_limits"] and described["history_limit"]
    assert not SlackSimulator(post_message_limits=False).limits.describe()["post_message_limits"]
