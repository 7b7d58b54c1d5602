"""Socket Mode against the simulator: the real slack_sdk SocketModeClient (builtin) connects, gets
envelopes, acknowledges them and reconnects when Slack asks it to refresh."""

from __future__ import annotations

import io
import json
import socket

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.devkit.sim.websocket import OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, accept_key, encode_frame, read_frame
from bot.devkit.simulator import SlackSimulator


@pytest.fixture
def sim():
    with SlackSimulator() as s:
        yield s


def test_connections_open_needs_the_app_token(sim):
    url = WebClient(base_url=sim.url, retry_handlers=[]).apps_connections_open(app_token=sim.app_token)["url"]
    assert url.startswith(f"ws://127.0.0.1:{sim.port}/link/?ticket=")
    bot = WebClient(token=sim.bot_token, base_url=sim.url, retry_handlers=[])
    with pytest.raises(SlackApiError) as info:
        bot.apps_connections_open(app_token=sim.bot_token)
    assert info.value.response["error"] == "not_allowed_token_type"
    app = WebClient(token=sim.app_token, base_url=sim.url, retry_handlers=[])
    with pytest.raises(SlackApiError) as info:
        app.chat_postMessage(channel="C1", text="x")
    assert info.value.response["error"] == "not_allowed_token_type"


def test_the_sdk_client_receives_acks_and_reconnects_on_refresh_requested(sim):
    received: list[SocketModeRequest] = []

    def listener(client: SocketModeClient, req: SocketModeRequest) -> None:
        received.append(req)
        payload = {"text": "on it"} if req.type == "slash_commands" else None
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload=payload))

    client = SocketModeClient(
        app_token=sim.app_token, web_client=WebClient(base_url=sim.url), auto_reconnect_enabled=True
    )
    client.socket_mode_request_listeners.append(listener)
    try:
        client.connect()
        [first] = sim.wait_for_socket(1)

        event_envelope = sim.push_event(
            {"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "channel": "C1", "ts": "1.000001"},
            event_id="Ev001",
            retry_attempt=1,
            retry_reason="timeout",
        )
        ack = sim.wait_for_ack(event_envelope)
        assert ack.connection == first and ack.payload is None
        req = next(r for r in received if r.envelope_id == event_envelope)
        assert (req.type, req.retry_attempt, req.retry_reason) == ("events_api", 1, "timeout")
        assert req.payload["event_id"] == "Ev001" and req.payload["event"]["type"] == "app_mention"

        command = sim.push_slash_command({"command": "/golive", "text": "status", "user_id": "U1"})
        assert sim.wait_for_ack(command).payload == {"text": "on it"}
        assert sim.socket.envelopes[-1]["accepts_response_payload"] is True

        assert sim.socket_disconnect("refresh_requested") == 1
        sim.wait_for(lambda: first not in sim.socket_connections() and sim.socket_connections())
        [second] = sim.socket_connections()
        assert second != first and len(sim.calls_to("apps.connections.open")) == 2

        clicked = sim.push_interactive({"type": "block_actions", "actions": [{"action_id": "checkin_good"}]})
        assert sim.wait_for_ack(clicked).connection == second
    finally:
        client.close()


def handshake(sim: SlackSimulator) -> socket.socket:
    url = WebClient(base_url=sim.url).apps_connections_open(app_token=sim.app_token)["url"]
    path = url.split(str(sim.port), 1)[1]
    sock = socket.create_connection(("127.0.0.1", sim.port), timeout=5)
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101") and accept_key(key).encode() in head
    return sock


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (RFC 6455 5.3)."""
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def read_server_frame(sock: socket.socket) -> tuple[int, bytes]:
    head = sock.recv(2)
    n = head[1] & 0x7F
    if n == 126:
        n = int.from_bytes(sock.recv(2), "big")
    data = b""
    while len(data) < n:
        data += sock.recv(n - len(data))
    return head[0] & 0x0F, data


def test_raw_protocol_hello_ping_ack_and_drop(sim):
    sock = handshake(sim)
    opcode, data = read_server_frame(sock)
    hello = json.loads(data)
    assert opcode == OP_TEXT and hello["type"] == "hello" and hello["connection_info"]["app_id"] == sim.app_id
    sock.sendall(client_frame(OP_PING, b"are you there"))
    assert read_server_frame(sock) == (OP_PONG, b"are you there")
    envelope_id = sim.socket_push("events_api", {"type": "event_callback", "event": {"type": "team_join"}})
    opcode, data = read_server_frame(sock)
    assert json.loads(data)["envelope_id"] == envelope_id and json.loads(data)["retry_attempt"] == 0
    sock.sendall(client_frame(OP_TEXT, json.dumps({"envelope_id": envelope_id}).encode()))
    assert sim.wait_for_ack(envelope_id).payload is None
    sim.socket_disconnect("link_disabled", drop=True)
    assert json.loads(read_server_frame(sock)[1]) == {
        "type": "disconnect",
        "reason": "link_disabled",
        "debug_info": {"host": "applink-sim"},
    }
    assert read_server_frame(sock)[0] == OP_CLOSE
    sim.wait_for(lambda: not sim.socket_connections())
    sock.close()


def test_a_ticket_is_good_once(sim):
    url = WebClient(base_url=sim.url).apps_connections_open(app_token=sim.app_token)["url"]
    path = url.split(str(sim.port), 1)[1]
    sim.socket.take_ticket(path.split("ticket=")[1].split("&")[0])
    sock = socket.create_connection(("127.0.0.1", sim.port), timeout=5)
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: a2V5\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert b" 401 " in sock.recv(64).split(b"\r\n")[0]
    sock.close()
    with pytest.raises(RuntimeError):
        sim.socket_push("events_api", {})


def test_frames_round_trip():
    payload = b"x" * 70_000
    mask = b"\x09\x08\x07\x06"
    frame = bytes([0x81, 0x80 | 127]) + len(payload).to_bytes(8, "big") + mask
    frame += bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert read_frame(io.BytesIO(frame)) == (True, OP_TEXT, payload)
    assert encode_frame(OP_TEXT, b"hi") == b"\x81\x02hi"
    assert read_frame(io.BytesIO(b"")) is None


def test_bolt_over_socket_mode_acks_and_answers(sim, monkeypatch):
    """Bolt's own SocketModeHandler: an app_mention envelope is acked and the listener posts through the API."""
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    sim.add_user("U1", "ana")
    sim.add_channel("C1", "golive-acme", members=["U1"])
    app = App(client=WebClient(token=sim.bot_token, base_url=sim.url))

    @app.event("app_mention")
    def mention(event, say):
        say(f"hello <@{event['user']}>")

    handler = SocketModeHandler(app, sim.app_token)
    try:
        handler.connect()
        sim.wait_for_socket(1)
        envelope = sim.push_event({"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "channel": "C1"})
        assert sim.wait_for_ack(envelope).envelope_id == envelope
        sim.wait_for(lambda: sim.messages("C1"))
        assert sim.messages("C1")[0].text == "hello <@U1>"
    finally:
        handler.close()
