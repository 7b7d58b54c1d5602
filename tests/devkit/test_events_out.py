"""The Events API payloads golive subscribes to for membership, people and channel changes: built with
Slack's shapes, signed, and routed by Bolt to the matching listeners."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.devkit.simulator import SlackSimulator
from bot.devkit.slack_requests import (
    SlackRequestSender,
    channel_id_changed_event,
    channel_shared_event,
    channel_unshared_event,
    member_joined_channel_event,
    member_left_channel_event,
    slack_user,
    team_join_event,
    user_change_event,
)

SECRET = "test-signing-secret"
EVENTS = (
    "member_joined_channel",
    "member_left_channel",
    "user_change",
    "team_join",
    "channel_id_changed",
    "channel_shared",
    "channel_unshared",
)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def test_event_shapes():
    assert member_joined_channel_event("UX", "C1", team="T0CUSTOMER", inviter="U1") == {
        "type": "member_joined_channel",
        "user": "UX",
        "channel": "C1",
        "channel_type": "C",
        "team": "T0CUSTOMER",
        "inviter": "U1",
    }
    assert member_left_channel_event("UX", "G1", team="T0CUSTOMER")["channel_type"] == "G"
    assert channel_id_changed_event("G012", "C012") == {
        "type": "channel_id_changed",
        "old_channel_id": "G012",
        "new_channel_id": "C012",
    }
    assert channel_shared_event("C1", "T0CUSTOMER")["connected_team_id"] == "T0CUSTOMER"
    unshared = channel_unshared_event("C1", "E0ACME")
    assert unshared["previously_connected_team_id"] == "E0ACME" and unshared["is_ext_shared"] is False
    guest = slack_user("UG", "gil", is_ultra_restricted=True, enterprise_id="E0V")
    assert guest["is_restricted"] and guest["enterprise_user"]["enterprise_id"] == "E0V"
    assert user_change_event(guest)["user"] is guest and team_join_event(guest) == {"type": "team_join", "user": guest}


def test_bolt_routes_every_membership_people_and_channel_event(monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    seen: dict[str, dict] = {}
    with SlackSimulator() as sim:
        sim.add_user("U1", "ana")
        sim.add_user("UX", "xi", team_id="T0CUSTOMER", is_restricted=True, status_text="out")
        sim.add_channel("C1", "golive-acme", members=["U1"])
        app = App(
            signing_secret=SECRET,
            client=WebClient(token=sim.bot_token, base_url=sim.url),
            process_before_response=True,
        )

        def recorder(name: str):
            def listener(event: dict) -> None:
                seen[name] = event

            return listener

        for name in EVENTS:
            app.event(name)(recorder(name))
        server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_Quiet)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            sender = SlackRequestSender(f"http://127.0.0.1:{server.server_port}", SECRET)
            results = [
                sender.member_joined_channel("UX", "C1", user_team="T0CUSTOMER", inviter="U1"),
                sender.member_left_channel("UX", "C1", user_team="T0CUSTOMER"),
                sender.user_change(sim.user_object("UX")),
                sender.team_join(slack_user("UNEW", "nia")),
                sender.channel_id_changed("G0PRIV", "C0PRIV"),
                sender.channel_shared("C1", "T0CUSTOMER"),
                sender.channel_unshared("C1", "T0CUSTOMER"),
            ]
        finally:
            server.shutdown()
            server.server_close()
    assert [r.status for r in results] == [200] * len(EVENTS)
    assert set(seen) == set(EVENTS)
    assert seen["member_joined_channel"]["team"] == "T0CUSTOMER" and seen["member_joined_channel"]["inviter"] == "U1"
    assert seen["user_change"]["user"]["is_restricted"] and seen["user_change"]["user"]["profile"]["status_text"] == (
        "out"
    )
    assert seen["team_join"]["user"]["id"] == "UNEW"
    assert seen["channel_id_changed"]["new_channel_id"] == "C0PRIV"
    assert all(event.get("event_ts") for event in seen.values())
    assert results[5].payload["is_ext_shared_channel"] is True


@pytest.mark.parametrize("name", EVENTS)
def test_each_sender_method_posts_its_event_type(name):
    sender = SlackRequestSender("http://127.0.0.1:9", SECRET)
    assert callable(getattr(sender, name))
