"""A minimal RFC 6455 WebSocket server side and Slack's Socket Mode on top of it (standard library only).

Why not a dependency: ``golive demo`` imports the simulator from a plain install, so the simulator stays
stdlib-only; Socket Mode needs only the handshake, unfragmented-or-fragmented text frames, ping/pong and
close, which fit in a page. The HTTP server hands a ``GET /link/?ticket=...`` upgrade request to
``SocketModeHub.serve``, which then owns that connection's thread until it closes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 4 * 1024 * 1024  # a larger frame from a client is a protocol error (1009)


class ProtocolError(Exception):
    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1((key.strip() + GUID).encode()).digest()).decode()  # noqa: S324


def encode_frame(opcode: int, payload: bytes = b"", *, fin: bool = True) -> bytes:
    """A server frame (never masked)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


def _read_exact(rfile: BinaryIO, n: int) -> bytes | None:
    data = rfile.read(n) if n else b""
    if n and (data is None or len(data) < n):
        return None
    return data


def read_frame(rfile: BinaryIO) -> tuple[bool, int, bytes] | None:
    """(fin, opcode, unmasked payload) of the next client frame; None at end of stream."""
    head = _read_exact(rfile, 2)
    if head is None:
        return None
    fin, opcode = bool(head[0] & 0x80), head[0] & 0x0F
    if head[0] & 0x70:
        raise ProtocolError(1002, "reserved bits set")
    masked, n = bool(head[1] & 0x80), head[1] & 0x7F
    if n == 126:
        ext = _read_exact(rfile, 2)
        if ext is None:
            return None
        n = struct.unpack("!H", ext)[0]
    elif n == 127:
        ext = _read_exact(rfile, 8)
        if ext is None:
            return None
        n = struct.unpack("!Q", ext)[0]
    if not masked:
        raise ProtocolError(1002, "client frames must be masked")
    if n > MAX_MESSAGE:
        raise ProtocolError(1009, "frame too large")
    if opcode >= 0x8 and (n > 125 or not fin):
        raise ProtocolError(1002, "bad control frame")
    mask = _read_exact(rfile, 4)
    data = _read_exact(rfile, n)
    if mask is None or data is None:
        return None
    return fin, opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


@dataclass
class Ack:
    """A client's answer to one envelope."""

    envelope_id: str
    payload: Any
    connection: str
    at: float
    raw: dict = field(repr=False, default_factory=dict)


class SocketConnection:
    """One connected Socket Mode client (the server side of its WebSocket)."""

    def __init__(self, conn_id: str, sock: socket.socket, rfile: BinaryIO, ticket: str):
        self.id = conn_id
        self.ticket = ticket
        self.sock = sock
        self.rfile = rfile
        self.open = True
        self.draining = False  # told to disconnect; closed when a newer connection arrives
        self.opened_at = time.monotonic()
        self._send_lock = threading.Lock()

    def send(self, opcode: int, payload: bytes = b"") -> bool:
        with self._send_lock:
            if not self.open:
                return False
            try:
                self.sock.sendall(encode_frame(opcode, payload))
                return True
            except OSError:
                self.open = False
                return False

    def send_json(self, obj: dict) -> bool:
        return self.send(OP_TEXT, json.dumps(obj).encode())

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a Close frame, then shut the socket (the client sees on_close and reconnects)."""
        if self.open:
            self.send(OP_CLOSE, struct.pack("!H", code) + reason.encode()[:120])
        self.open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class SocketModeHub:
    """Socket Mode for the simulator: tickets, connections, envelopes pushed and acknowledgements."""

    def __init__(self, app_id: str, notify: Callable[[], None], clock: Callable[[], float]):
        self.app_id = app_id
        self._notify = notify  # wakes the simulator's wait_for
        self._clock = clock
        self._lock = threading.Lock()
        self._tickets: set[str] = set()
        self.connections: list[SocketConnection] = []  # every connection ever opened, oldest first
        self.acks: list[Ack] = []
        self.envelopes: list[dict] = []  # every envelope pushed, in order
        self.received: list[dict] = []  # every text message a client sent that was not an ack
        self._seq = 0
        self.grace_seconds = 10.0  # a draining connection is closed after this even if nobody reconnects

    # ------------------------------------------------------------------ opening

    def new_url(self, host: str, port: int) -> str:
        ticket = secrets.token_hex(16)
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://{host}:{port}/link/?ticket={ticket}&app_id={self.app_id}"

    def take_ticket(self, ticket: str) -> bool:
        with self._lock:
            if ticket in self._tickets:
                self._tickets.discard(ticket)
                return True
            return False

    def open_connections(self) -> list[SocketConnection]:
        with self._lock:
            return [c for c in self.connections if c.open]

    def serve(self, sock: socket.socket, rfile: BinaryIO, key: str, ticket: str) -> None:
        """Finish the handshake and run the connection until it closes (in the HTTP handler's thread)."""
        response = (
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n"
        )
        sock.sendall(response.encode())
        with self._lock:
            self._seq += 1
            conn = SocketConnection(f"conn-{self._seq}", sock, rfile, ticket)
            older = [c for c in self.connections if c.open and c.draining]
            self.connections.append(conn)
            live = sum(1 for c in self.connections if c.open)
        conn.send_json(
            {
                "type": "hello",
                "num_connections": live,
                "debug_info": {"host": "applink-sim", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.app_id},
            }
        )
        for old in older:  # the client has reconnected: the refreshed connection can go now
            old.close(1000, "refresh")
        self._notify()
        try:
            self._run(conn)
        finally:
            conn.open = False
            self._notify()

    def _run(self, conn: SocketConnection) -> None:
        parts: list[bytes] = []
        while conn.open:
            try:
                frame = read_frame(conn.rfile)
            except ProtocolError as e:
                conn.close(e.code, str(e))
                return
            except (OSError, ValueError):
                return
            if frame is None:
                return
            fin, opcode, data = frame
            if opcode == OP_PING:
                conn.send(OP_PONG, data)
            elif opcode == OP_PONG:
                continue
            elif opcode == OP_CLOSE:
                conn.close(struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1000)
                return
            elif opcode in (OP_TEXT, OP_BINARY, OP_CONT):
                parts.append(data)
                if fin:
                    self._on_text(conn, b"".join(parts))
                    parts = []

    def _on_text(self, conn: SocketConnection, data: bytes) -> None:
        try:
            message = json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            message = {"raw": data.decode("utf-8", "replace")}
        with self._lock:
            if isinstance(message, dict) and message.get("envelope_id"):
                self.acks.append(
                    Ack(str(message["envelope_id"]), message.get("payload"), conn.id, self._clock(), message)
                )
            else:
                self.received.append(message if isinstance(message, dict) else {"raw": message})
        self._notify()

    # ------------------------------------------------------------------ pushing

    def push(
        self,
        type: str,
        payload: dict,
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        connection: SocketConnection | None = None,
    ) -> str:
        """Send one envelope to the newest open connection; returns its envelope_id."""
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()),
            "payload": payload,
            "type": type,
            "accepts_response_payload": (
                type in ("slash_commands",) or payload.get("type") in ("view_submission", "block_suggestion")
                if accepts_response_payload is None
                else accepts_response_payload
            ),
        }
        if type == "events_api" or retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        target = connection
        if target is None:
            live = [c for c in self.open_connections() if not c.draining] or self.open_connections()
            if not live:
                raise RuntimeError("no Socket Mode client is connected")
            target = live[-1]
        if not target.send_json(envelope):
            raise ConnectionError(f"Socket Mode connection {target.id} is closed")
        with self._lock:
            self.envelopes.append(envelope)
        return envelope["envelope_id"]

    def disconnect(self, reason: str = "refresh_requested", *, drop: bool = False) -> int:
        """Tell every open connection to go away. The client reconnects; with ``drop`` the connection is
        also closed at once (a Close frame) instead of when the new connection arrives (or after
        ``grace_seconds``). Returns how many connections were told."""
        told = 0
        for conn in self.open_connections():
            conn.draining = True
            conn.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-sim"}})
            told += 1
            if drop:
                conn.close(1001, reason)
            else:
                timer = threading.Timer(self.grace_seconds, conn.close, args=(1001, reason))
                timer.daemon = True
                timer.start()
        self._notify()
        return told

    def close_all(self) -> None:
        for conn in self.open_connections():
            conn.close(1001, "server stopping")
