"""SlackRequestSender: signed, Slack-shaped requests, checked by a stdlib server and by Bolt itself."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.devkit.simulator import SlackSimulator
from bot.devkit.slack_requests import SlackRequestSender, shape_state_values, sign

SECRET = "test-signing-secret"


class _Recorder(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        valid = SignatureVerifier(SECRET).is_valid_request(body, dict(self.headers.items()))
        self.server.seen.append(
            {"path": self.path, "headers": dict(self.headers.items()), "body": body, "valid": valid}
        )
        status = self.server.status if valid else 401
        payload = json.dumps({"valid": valid}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo", "yes")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def app_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sender(app_server):
    return SlackRequestSender(f"http://127.0.0.1:{app_server.server_address[1]}/", SECRET)


def last(server) -> dict:
    return server.seen[-1]


def form_of(req: dict) -> dict:
    return {k: v[0] for k, v in parse_qs(req["body"].decode(), keep_blank_values=True).items()}


def payload_of(req: dict) -> dict:
    return json.loads(form_of(req)["payload"])


def test_sign_matches_slack_sdk_verifier():
    body = b'{"type":"event_callback"}'
    headers = sign(SECRET, body, 1_700_000_000)
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Slack-Request-Timestamp"] == "1700000000"
    verifier = SignatureVerifier(SECRET)
    assert verifier.generate_signature(timestamp="1700000000", body=body) == headers["X-Slack-Signature"]
    assert sign(SECRET, b"a=1", 1)["Content-Type"] == "application/x-www-form-urlencoded"
    assert sign("other", body, 1_700_000_000)["X-Slack-Signature"] != headers["X-Slack-Signature"]


def test_slash_command(sender, app_server):
    result = sender.slash_command("status acme", user_id="U1", channel_id="C1")
    assert result.status == 200 and result.json() == {"valid": True}
    assert result.headers["x-echo"] == "yes" and result.headers.get("X-ECHO") == "yes"
    req = last(app_server)
    assert req["path"] == "/slack/events" and req["valid"]
    assert req["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    form = form_of(req)
    assert form["command"] == "/golive" and form["text"] == "status acme"
    assert (form["user_id"], form["channel_id"], form["team_id"]) == ("U1", "C1", "T0VENDOR")
    for key in ("token", "team_domain", "channel_name", "user_name", "api_app_id", "response_url", "trigger_id"):
        assert form[key], key
    assert form["trigger_id"].split(".")[1] == "U1"


def test_block_action(sender, app_server):
    sender.block_action(
        "checkin_good",
        user_id="UX",
        channel_id="C1",
        message_ts="1700000000.000100",
        value="day-1",
        user_team_id="T0CUSTOMER",
    )
    req = last(app_server)
    assert req["valid"]
    p = payload_of(req)
    assert p["type"] == "block_actions"
    assert p["user"] == {"id": "UX", "username": "ux", "name": "ux", "team_id": "T0CUSTOMER"}
    assert p["team"]["id"] == "T0VENDOR" and p["channel"]["id"] == "C1"
    assert p["container"] == {
        "type": "message",
        "message_ts": "1700000000.000100",
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    assert p["message"]["ts"] == "1700000000.000100"
    (action,) = p["actions"]
    assert (action["action_id"], action["type"], action["value"]) == ("checkin_good", "button", "day-1")
    assert p["trigger_id"] and p["response_url"]

    sender.block_action("issue_severity", user_id="U1", channel_id="C1", message_ts="1.2", selected_option="high")
    (action,) = payload_of(last(app_server))["actions"]
    assert action["type"] == "static_select" and action["selected_option"]["value"] == "high"


def test_view_submission_shapes_values(sender, app_server):
    sender.view_submission(
        "report_issue_modal",
        user_id="U1",
        private_metadata='{"launch": 3}',
        values={"what": "Login broken", "sev": {"sev_select": {"selected_option": {"value": "p1"}}}},
    )
    p = payload_of(last(app_server))
    assert p["type"] == "view_submission"
    view = p["view"]
    assert view["callback_id"] == "report_issue_modal" and view["private_metadata"] == '{"launch": 3}'
    assert view["state"]["values"] == {
        "what": {"what": {"type": "plain_text_input", "value": "Login broken"}},
        "sev": {"sev_select": {"type": "static_select", "selected_option": {"value": "p1"}}},
    }


def test_shape_state_values_keeps_shaped_input():
    shaped = {"b": {"a": {"type": "plain_text_input", "value": "x"}}}
    assert shape_state_values(shaped) == shaped
    assert shape_state_values({"b": {"a": "y"}}) == {"b": {"a": {"type": "plain_text_input", "value": "y"}}}


def test_message_shortcut(sender, app_server):
    sender.message_shortcut(
        "report_issue", user_id="U1", channel_id="C1", message_ts="1.5", message_text="it broke", message_user="UX"
    )
    p = payload_of(last(app_server))
    assert p["type"] == "message_action" and p["callback_id"] == "report_issue"
    assert p["message"] == {"type": "message", "user": "UX", "ts": "1.5", "text": "it broke"}
    assert p["channel"]["id"] == "C1" and p["message_ts"] == "1.5"


def test_event_envelope_and_retries(sender, app_server):
    first = sender.event({"type": "reaction_added", "user": "UX", "reaction": "rotating_light"})
    second = sender.event({"type": "reaction_added", "user": "UX", "reaction": "rotating_light"})
    assert first.event_id != second.event_id
    req = app_server.seen[0]
    assert req["valid"] and req["headers"]["Content-Type"] == "application/json"
    env = json.loads(req["body"])
    assert env["type"] == "event_callback" and env["event_id"] == first.event_id
    assert env["team_id"] == "T0VENDOR" and env["authorizations"][0]["user_id"] == "UBOT"
    assert env["event"]["event_ts"] and isinstance(env["event_time"], int)
    assert "X-Slack-Retry-Num" not in req["headers"]

    sender.event(env["event"], event_id=first.event_id, retry_num=2, retry_reason="http_timeout")
    retry = last(app_server)
    assert json.loads(retry["body"])["event_id"] == first.event_id
    assert retry["headers"]["X-Slack-Retry-Num"] == "2"
    assert retry["headers"]["X-Slack-Retry-Reason"] == "http_timeout"


def test_event_conveniences(sender, app_server):
    sender.app_mention("help", user_id="UX", channel_id="C1", user_team="T0CUSTOMER")
    ev = json.loads(last(app_server)["body"])["event"]
    assert ev["type"] == "app_mention" and ev["text"] == "<@UBOT> help" and ev["user_team"] == "T0CUSTOMER"
    sender.reaction_added(":rotating_light:", user_id="UX", channel_id="C1", item_ts="1.1", item_user="UBOT")
    ev = json.loads(last(app_server)["body"])["event"]
    assert ev["reaction"] == "rotating_light" and ev["item"] == {"type": "message", "channel": "C1", "ts": "1.1"}
    sender.message("thanks", user_id="UX", channel_id="C1", thread_ts="1.1")
    ev = json.loads(last(app_server)["body"])["event"]
    assert (ev["type"], ev["channel_type"], ev["thread_ts"]) == ("message", "channel", "1.1")
    sender.message("hi", user_id="U1", channel_id="DU1")
    assert json.loads(last(app_server)["body"])["event"]["channel_type"] == "im"
    sender.app_home_opened("U1")
    ev = json.loads(last(app_server)["body"])["event"]
    assert ev == {**ev, "type": "app_home_opened", "user": "U1", "tab": "home"}
    assert all(r["valid"] for r in app_server.seen)


def test_bad_signatures_and_stale_timestamps(sender, app_server):
    body = b'{"type":"event_callback"}'
    headers = sign("wrong-secret", body, time.time())
    assert sender.raw(body, headers).status == 401
    assert sender.send(body, "application/json", timestamp_offset=-600).status == 401
    stale = SlackRequestSender(sender.url.rsplit("/slack/events", 1)[0], SECRET, timestamp_offset=-301)
    assert stale.slash_command("x", user_id="U1", channel_id="C1").status == 401
    assert sender.send(body, "application/json").status == 200


def test_error_statuses_are_returned_not_raised(sender, app_server):
    app_server.status = 500
    result = sender.slash_command("x", user_id="U1", channel_id="C1")
    assert result.status == 500 and not result.ok and result.json() == {"valid": True}


class _QuietWSGI(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def test_bolt_accepts_every_request_kind(monkeypatch):
    """The payloads route to the right Bolt listeners, and trigger ids reach the simulator's views."""
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    seen: dict[str, object] = {}
    with SlackSimulator() as sim:
        sim.add_user("U1", "ana")
        sim.add_channel("C1", "golive-acme", members=["U1"])
        app = App(
            signing_secret=SECRET, client=WebClient(token=sim.bot_token, base_url=sim.url), process_before_response=True
        )

        @app.command("/golive")
        def command(ack, body, client):
            ack()
            client.views_open(
                trigger_id=body["trigger_id"],
                view={
                    "type": "modal",
                    "callback_id": "report_issue_modal",
                    "title": {"type": "plain_text", "text": "Report"},
                    "blocks": [],
                },
            )

        @app.action("checkin_good")
        def action(ack, body):
            ack()
            seen["action"] = (body["user"]["id"], body["actions"][0]["value"])

        @app.view("report_issue_modal")
        def submitted(ack, view):
            ack()
            seen["view"] = view["state"]["values"]["what"]["what"]["value"]

        @app.shortcut("report_issue")
        def shortcut(ack, shortcut):
            ack()
            seen["shortcut"] = shortcut["message"]["text"]

        @app.event("app_mention")
        def mention(event, say):
            say(f"hello <@{event['user']}>")

        server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietWSGI)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            sender = SlackRequestSender(f"http://127.0.0.1:{server.server_port}", SECRET)
            assert sender.slash_command("report", user_id="U1", channel_id="C1").status == 200
            assert sim.views_for("U1")["callback_id"] == "report_issue_modal"
            assert (
                sender.block_action("checkin_good", user_id="U1", channel_id="C1", message_ts="1.1", value="d1").status
                == 200
            )
            assert sender.view_submission("report_issue_modal", user_id="U1", values={"what": "down"}).status == 200
            assert (
                sender.message_shortcut(
                    "report_issue",
                    user_id="U1",
                    channel_id="C1",
                    message_ts="1.1",
                    message_text="broken",
                    message_user="U1",
                ).status
                == 200
            )
            assert sender.app_mention("hi", user_id="U1", channel_id="C1").status == 200
            assert sender.url_verification("abc").json() == {"challenge": "abc"}
            body = b'{"type":"event_callback"}'
            assert sender.raw(body, sign("bad", body, time.time())).status == 401
        finally:
            server.shutdown()
            server.server_close()
        assert seen == {"action": ("U1", "d1"), "view": "down", "shortcut": "broken"}
        assert [m.plain_text() for m in sim.messages("C1")] == ["hello @ana"]
