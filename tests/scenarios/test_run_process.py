"""`golive run` as real processes: web and worker roles, graceful stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx

from bot.devkit.slack_requests import SlackRequestSender
from bot.outbox.queue import post_message
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import ROOT, SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(role: str, env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run", "--http", "--role", role],
        env={**env, "GOLIVE_PORT": str(port), "GOLIVE_TICK_SECONDS": "0.5", "PATH": "/usr/bin:/bin"},
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            response = httpx.get(f"{url}/healthz", timeout=1)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("golive run never became healthy")


def test_web_and_worker_processes_serve_slack_and_deliver_the_outbox(sim, env, db_url):
    db = Database(db_url)
    upgrade(db)
    port = free_port()
    web = start("web", env, port)
    worker = start("worker", env, free_port())
    try:
        url = f"http://127.0.0.1:{port}"
        health = wait_healthy(url, web)
        assert health["database"] == "ok"
        slack = SlackRequestSender(url, SECRET, response_url_base=sim.response_url_base)
        help_answer = slack.slash_command("help", user_id="U0CSM", channel_id="C0ACME").json()
        assert "/golive status" in help_answer["text"]
        with db.session() as s:
            post_message(s, key="hello-from-test", channel="C0ACME", text="queued while running",
                         now=datetime.now(UTC))
        found = sim.wait_for(lambda: [m for m in sim.messages("C0ACME") if m["text"] == "queued while running"],
                             timeout=20)
        assert len(found) == 1
        metrics = httpx.get(f"{url}/metrics").text
        assert "golive_outbox_depth" in metrics
    finally:
        for proc in (web, worker):
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in (web, worker)]
        db.dispose()
    assert codes == [0, 0]
    assert len([m for m in sim.messages("C0ACME") if m["text"] == "queued while running"]) == 1
