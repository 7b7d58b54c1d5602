"""The Bolt app over real HTTP: signatures, the /golive command, retries, health."""

from __future__ import annotations

import json
import time

import httpx

from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan


def make_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def test_help_answers_ephemerally_over_signed_http(world):
    result = world.slack.slash_command("help", user_id="U0CSM", channel_id="C0ACME")
    assert result.status == 200
    body = result.json()
    assert body["response_type"] == "ephemeral"
    assert "/golive status" in body["text"] and "rotating_light" in body["text"]


def test_unknown_or_empty_subcommand_answers_with_help(world):
    for text in ("", "frobnicate now", "HELP"):
        body = world.slack.slash_command(text, user_id="U0CSM", channel_id="C0ACME").json()
        assert "/golive issue TEXT" in body["text"], text


def test_status_describes_the_channels_launch_and_next_step(world):
    make_launch(world)
    body = world.slack.slash_command("status", user_id="U0CSM", channel_id="C0ACME").json()
    assert "Acme Corp" in body["text"]
    assert "planned" in body["text"]
    with world.runtime.db.session() as s:
        from bot.features.status.service import describe_work, local_time, next_step
        from storage.models import Launch

        upcoming = next_step(s, s.get(Launch, 1))
        expected = f"Next: {describe_work(upcoming)} on {local_time(upcoming.due_at, 'Europe/Berlin')}"
    assert expected in body["text"] and upcoming.due_at > world.clock()


def test_status_outside_a_launch_channel_says_how_to_make_one(world):
    body = world.slack.slash_command("status", user_id="U0CSM", channel_id="C0SUP").json()
    assert "not a launch channel" in body["text"]
    assert "golive launch add" in body["text"]


def test_bad_signature_is_refused_with_401_and_changes_nothing(world):
    body = b"command=%2Fgolive&text=status&user_id=U0CSM&channel_id=C0ACME&team_id=T0VENDOR"
    headers = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=deadbeef",
               "Content-Type": "application/x-www-form-urlencoded"}
    assert world.slack.raw(body, headers).status == 401
    assert world.slack.raw(body, {"Content-Type": "application/x-www-form-urlencoded"}).status == 401


def test_stale_timestamp_is_refused(world):
    result = world.slack.slash_command("help", user_id="U0CSM", channel_id="C0ACME", timestamp_offset=-400)
    assert result.status == 401


def duplicates_seen(world) -> float:  # noqa: ANN001
    line = [x for x in httpx.get(f"{world.url}/metrics").text.splitlines()
            if x.startswith("golive_events_duplicate_total ")]
    return float(line[0].split()[1])


def test_retried_event_is_processed_once(world):
    before = duplicates_seen(world)
    event = {"type": "member_joined_channel", "user": "U0CUST1", "channel": "C0ACME"}
    first = world.slack.event(event, event_id="Ev0RETRY1")
    again = world.slack.event(event, event_id="Ev0RETRY1", retry_num=1, retry_reason="http_timeout")
    assert first.status == 200 and again.status == 200
    from sqlmodel import select

    from storage.models import ProcessedEvent

    with world.runtime.db.session() as s:
        rows = s.exec(select(ProcessedEvent).where(ProcessedEvent.event_id == "Ev0RETRY1")).all()
    assert len(rows) == 1
    assert duplicates_seen(world) == before + 1


def test_malformed_payloads_never_get_a_5xx_or_a_traceback(world):
    cases = [
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        (b"payload=" + json.dumps({"type": "block_actions"}).encode(), "application/x-www-form-urlencoded"),
        (b"{\"type\": \"event_callback\"}", "application/json"),
        ("\u202e\U0001f6a8 <!channel>".encode(), "application/octet-stream"),
        (b"command=%2Fgolive&text=" + b"x" * 50_000, "application/x-www-form-urlencoded"),
    ]
    from bot.devkit.slack_requests import sign

    for body, ctype in cases:
        headers = sign(world.settings.slack_signing_secret.get_secret_value(), body, int(time.time()))
        headers["Content-Type"] = ctype
        result = world.slack.raw(body, headers)
        assert result.status < 500, (body[:40], result.status)
        assert "Traceback" not in result.body_text
    not_utf8 = world.slack.raw(b"\xff\xfe\x00garbage", {"Content-Type": "application/json"})
    assert 400 <= not_utf8.status < 500


def test_healthz_reports_database_and_outbox_lag(world):
    response = httpx.get(f"{world.url}/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["outbox_depth"] == 0


def test_healthz_is_503_when_the_database_is_gone(world, tmp_path):
    world.runtime.db.engine.dispose()
    db_file = tmp_path / "golive.db"
    db_file.unlink()
    db_file.mkdir()  # a folder where the database file was: nothing can open it
    response = httpx.get(f"{world.url}/healthz")
    assert response.status_code == 503
    # What failed goes to the log, never to whoever asks: no exception names.
    assert response.json() == {"ok": False, "database": "unreachable"}


def test_unknown_paths_answer_json_404(world):
    response = httpx.get(f"{world.url}/nope")
    assert response.status_code == 404 and response.json()["ok"] is False
