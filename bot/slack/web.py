"""The HTTP door: Slack requests, health, metrics (and, later, the usage API), on a real ASGI server."""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from datetime import UTC, datetime

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, text
from sqlmodel import select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.core import metrics
from bot.core.clock import utcnow
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger("golive.web")
MAX_SLACK_BODY = 1_000_000


class BodyTooLarge(Exception):
    pass


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refused (BodyTooLarge) past `limit` bytes: by Content-Length before reading a
    byte, or while streaming when the length is not declared (or is a lie)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def outbox_lag(db: Database, now: datetime) -> dict:
    # A read session: health and metrics never wait behind (or hold) the write lock.
    with db.read() as s:
        depth, oldest = s.exec(
            select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at))
            .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        ).one()
        dead = s.exec(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == OutboxStatus.DEAD)).one()
    if oldest is not None and oldest.tzinfo is None:

        oldest = oldest.replace(tzinfo=UTC)
    age = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    metrics.OUTBOX_DEPTH.set(depth)
    metrics.OUTBOX_OLDEST_AGE.set(age)
    return {"outbox_depth": depth, "outbox_oldest_age_seconds": round(age, 1), "dead_letters": dead}


def create_web(bolt: App | None, db: Database, *, signing_secret: str | None,
               extra_routes: list[Route] | None = None, metrics_token: str | None = None) -> Starlette:
    """The HTTP door: `/slack/events` (HTTP mode; left out when `bolt` is None, as in Socket Mode),
    `/healthz`, `/metrics` (behind a bearer token when `metrics_token` is set) and extra routes."""
    # Checked here as well as in Bolt: Bolt parses the body before it verifies it, and a forged
    # malformed body must get 401, not a parse error.
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    async def slack_events(request: Request) -> Response:
        try:
            body = await read_capped(request, MAX_SLACK_BODY)
        except BodyTooLarge:
            return JSONResponse({"ok": False, "error": "body too large"}, status_code=413)
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            return JSONResponse({"ok": False, "error": "body is not UTF-8"}, status_code=400)
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        if verifier is not None and not (timestamp.isdigit() and verifier.is_valid(
            body=text_body, timestamp=timestamp, signature=request.headers.get("x-slack-signature", ""),
        )):
            return JSONResponse({"ok": False, "error": "invalid signature"}, status_code=401)
        try:
            bolt_request = BoltRequest(body=text_body, query=str(request.url.query),
                                       headers={k: [v] for k, v in request.headers.items()})
        except Exception:  # noqa: BLE001 - Bolt parses the body and builds its context up front: bad input
            return JSONResponse({"ok": False, "error": "malformed request"}, status_code=400)
        try:
            bolt_response = await run_in_threadpool(bolt.dispatch, bolt_request)
        except Exception:  # never a traceback to Slack; Bolt normally handles its own errors
            log.exception("request failed")
            return JSONResponse({"ok": False, "error": "internal error"}, status_code=200)
        status = bolt_response.status
        if status >= 500:
            # Bolt turns a malformed payload into a 500; to Slack and the person it is bad input.
            log.warning("Bolt answered %s; reporting 400 instead", status)
            return JSONResponse({"ok": False, "error": "malformed request"}, status_code=400)
        return Response(content=bolt_response.body, status_code=status,
                        headers=bolt_response.first_headers_without_set_cookie())

    async def healthz(request: Request) -> Response:
        try:
            def check() -> dict:
                with db.read() as s:
                    s.exec(text("SELECT 1"))
                return outbox_lag(db, utcnow())

            lag = await run_in_threadpool(check)
        except Exception:  # any database failure means unhealthy; what failed goes to the log, not the caller
            log.warning("health check failed", exc_info=True)
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        return JSONResponse({"ok": True, "database": "ok", **lag})

    async def metrics_endpoint(request: Request) -> Response:
        if metrics_token and not hmac.compare_digest(request.headers.get("authorization", ""),
                                                     f"Bearer {metrics_token}"):
            return JSONResponse({"ok": False, "error": "metrics need the bearer token"}, status_code=401)
        await run_in_threadpool(outbox_lag, db, utcnow())
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"ok": False, "error": "not found"}, status_code=404)

    async def method_not_allowed(request: Request, exc: Exception) -> Response:
        return JSONResponse({"ok": False, "error": "method not allowed"}, status_code=405)

    routes = [
        *([Route("/slack/events", slack_events, methods=["POST"])] if bolt is not None else []),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *(extra_routes or []),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: method_not_allowed})


class WebServer:
    """uvicorn on a socket we bind ourselves (port 0 works), in a thread or in the foreground."""

    def __init__(self, asgi: Starlette, host: str, port: int):
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.host = host
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(asgi, log_level="warning", access_log=False, lifespan="off", log_config=None,
                                timeout_keep_alive=30, limit_concurrency=1000)
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self.server.run(sockets=[self.sock])

    def start_in_thread(self) -> WebServer:
        self._thread = threading.Thread(target=self.serve_forever, name="golive-web", daemon=True)
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("web server failed to start")
            threading.Event().wait(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sock.close()
