"""Logs never carry a token or a secret — not in messages, arguments or exception tracebacks, in plain or
JSON format — and JSON logs are one JSON object per line. Checked on bot.core.logs directly and on the stderr
of a real `golive run --role all --http` driven through a scenario at LOG_LEVEL=DEBUG."""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from bot.core.logs import configure
from bot.devkit.simulator import SlackSimulator
from bot.devkit.slack_requests import SlackRequestSender
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import CUSTOMER_TEAM, ROOT, VENDOR, populate, run_golive

TOKEN_SHAPE = re.compile(r"xox[abposr]-|xapp-")



def new_secrets() -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": f"xoxb-{secrets.randbelow(10**12)}-{secrets.token_hex(12)}",
        "SLACK_APP_TOKEN": f"xapp-1-A0GOLIVE-{secrets.randbelow(10**12)}-{secrets.token_hex(16)}",
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "GOLIVE_API_TOKEN": "api-" + secrets.token_urlsafe(24),
    }


def assert_no_secret(text: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        assert value not in text, f"{name} appears in the logs"
        assert value[-12:] not in text, f"a piece of {name} appears in the logs"
    shaped = TOKEN_SHAPE.findall(text)
    assert shaped == [], f"something shaped like a Slack token appears in the logs: {shaped}"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def log_everything_secret(values: dict[str, str]) -> None:
    """Secrets in messages, in %-arguments, in an exception's message and its chained cause, and a
    token-shaped string golive was never told about."""
    log = logging.getLogger("golive.test_logs")
    token, secret = values["SLACK_BOT_TOKEN"], values["SLACK_SIGNING_SECRET"]
    log.debug("calling Slack with Authorization: Bearer %s", token)
    log.info("signing secret is " + secret)
    log.warning("settings: %r", {"api_token": values["GOLIVE_API_TOKEN"], "app_token": values["SLACK_APP_TOKEN"]})
    log.info("a user pasted xoxp-1234-5678-abcdef and xoxe.xoxb-1-abc in a message")
    try:
        try:
            raise ConnectionError(f"could not reach https://slack.test/api?token={token}")
        except ConnectionError as inner:
            raise RuntimeError(f"signature {secret} rejected") from inner
    except RuntimeError:
        log.exception("delivery failed for %s", values["GOLIVE_API_TOKEN"])
    log.error("again", exc_info=RuntimeError(f"no traceback, only the secret {secret}"))


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_configured_logs_redact_secrets_everywhere_and_json_lines_parse(fmt, restore_logging):
    values = new_secrets()
    stream = io.StringIO()
    configure("DEBUG", fmt, list(values.values()), stream=stream)
    log_everything_secret(values)
    logging.getLogger("slack_sdk.web.base_client").warning("Bearer %s", values["SLACK_BOT_TOKEN"])
    output = stream.getvalue()
    assert_no_secret(output, values)
    assert "[redacted]" in output and "Traceback" in output and "ConnectionError" in output
    assert "calling Slack with Authorization" in output  # the lines are there, only the secrets are gone
    if fmt == "json":
        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        assert len(lines) == 7
        assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
        failed = [line for line in lines if line["message"].startswith("delivery failed")]
        assert len(failed) == 1 and "RuntimeError" in failed[0]["exception"]
        assert "ConnectionError" in failed[0]["exception"]  # the chained cause is kept, redacted


# -- a real process through a scenario ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_checkin_day(today: date) -> date:
    day = today
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("golive run never became healthy")


def test_a_real_run_at_debug_level_logs_no_secret_even_in_tracebacks(tmp_path):
    values = new_secrets()
    today = datetime.now(UTC).date()
    with SlackSimulator(team_id=VENDOR, bot_token=values["SLACK_BOT_TOKEN"]) as sim:
        populate(sim)
        db_url = f"sqlite:///{tmp_path / 'golive.db'}"
        env = {**values, "SLACK_API_URL": sim.url, "GOLIVE_DATABASE_URL": db_url, "GOLIVE_ADMINS": "U0ADMIN",
               "GOLIVE_TEAM_ID": VENDOR, "LOG_LEVEL": "DEBUG", "GOLIVE_LOG_FORMAT": "json"}
        db = Database(db_url)
        upgrade(db)
        with db.session() as s:
            launch, _ = save_launch(s, LaunchInput.parse(
                {"customer": "Acme Corp", "channel": "C0ACME", "go_live": today.isoformat(), "tz": "UTC",
                 "checkin_time": "09:00", "csm": ["U0CSM"], "support_channel": "C0SUP"}, partial=True),
                now=datetime.now(UTC) - timedelta(days=3))
            replan(s, launch, now=datetime.now(UTC) - timedelta(days=3))
        db.dispose()
        # The go-live day's check-in, posted by a one-off tick (its stderr is checked too).
        at = datetime.combine(first_checkin_day(today), datetime.min.time(), UTC) + timedelta(hours=9)
        ticked = run_golive(["tick", "--at", at.isoformat().replace("+00:00", "Z")], env)
        assert ticked.code == 0, ticked.stderr
        checkin = [m for m in sim.messages("C0ACME") if m.blocks and "launch week" in m.plain_text()][0]
        value = next(e["value"] for b in checkin.blocks if b["type"] == "actions" for e in b["elements"])

        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "run", "--http", "--role", "all"],
                                env={**env, "GOLIVE_PORT": str(port), "GOLIVE_TICK_SECONDS": "0.5",
                                     "PATH": "/usr/bin:/bin"},
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, proc)
            slack = SlackRequestSender(url, values["SLACK_SIGNING_SECRET"], team_id=VENDOR,
                                       response_url_base=sim.response_url_base)
            for action in ("checkin_good", "checkin_blocked"):  # blocked opens an issue
                assert slack.block_action(action, user_id="U0CUST1", channel_id="C0ACME", message_ts=checkin["ts"],
                                          value=value, user_team_id=CUSTOMER_TEAM).status == 200
            sim.inject("chat.postMessage", "500", times=2)  # the next posts fail with 5xx and are retried
            issue = slack.slash_command("issue Exports time out", user_id="U0CSM", channel_id="C0ACME").json()
            assert "Recorded issue" in issue["text"]
            sim.wait_for(lambda: len([m for m in sim.messages("C0SUP") if not m.is_reply]) == 2, timeout=30)
            sim.inject("chat.postMessage", "is_archived", times=1)  # a permanent error: a dead letter
            slack.slash_command("issue Reports are empty", user_id="U0CSM", channel_id="C0ACME")
            sim.wait_for(lambda: any("dead letter" in m["text"] for m in sim.dm_messages("U0CSM")), timeout=30)
            # Failures that log tracebacks: a payload Bolt cannot dispatch, a listener that fails.
            slack.send("payload=" + json.dumps({"type": "block_actions", "team": {"id": VENDOR}, "actions": None,
                                                "user": {"id": "U0CSM"}}), "application/x-www-form-urlencoded")
            slack.send("payload=null", "application/x-www-form-urlencoded")  # a body Bolt cannot read at all
            slack.block_action("checkin_note", user_id="U0CUST1", channel_id="C0ACME", message_ts=checkin["ts"],
                               value=value, trigger_id="expired-trigger")  # views.open refused by Slack
            slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts="1.0", value="9" * 25)
            bad = SlackRequestSender(url, values["SLACK_SIGNING_SECRET"][::-1]).slash_command(
                "help", user_id="U0CSM", channel_id="C0ACME")
            assert bad.status == 401  # every request above was answered, so whatever it logs is logged
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, stderr = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, stderr = proc.communicate()
    assert proc.returncode == 0, stderr[-3000:]
    assert_no_secret(stderr + ticked.stderr, values)
    log_lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("golive: ")]
    parsed = []
    for line in log_lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a log line that is not JSON: {line[:300]!r}") from None
    messages = " ".join(entry["message"] + entry.get("exception", "") for entry in parsed)
    assert any(entry["level"] == "DEBUG" for entry in parsed)  # DEBUG really was on
    assert "is dead after" in messages  # the dead letter was logged
    assert "Traceback" in messages  # and a traceback, which was searched too


@pytest.mark.parametrize("variable,value", [
    ("SLACK_BOT_TOKEN", "xoxp-user-token-0123456789abcdef"),
    ("SLACK_BOT_TOKEN", "xoxb-has a-space-0123456789"),
    ("SLACK_APP_TOKEN", "xoxb-not-an-app-token-0123456789"),
    ("SLACK_BOT_TOKEN", "xoxb-your-token"),
])
def test_a_malformed_token_is_refused_without_echoing_it(variable, value, tmp_path):
    env = {**new_secrets(), "GOLIVE_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}", variable: value}
    result = run_golive(["run", "--http", "--role", "web"], env, timeout=60)
    assert result.code != 0
    assert variable in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert value not in result.stderr + result.stdout and "0123456789" not in result.stderr
