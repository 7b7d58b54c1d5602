"""`golive run --socket` for real: the process connects to Slack's Socket Mode endpoint (the simulator's
`apps.connections.open` and WebSocket), takes a check-in click and a :rotating_light: reaction through it,
acknowledges each envelope, serves /healthz meanwhile, and reconnects when Slack asks it to."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

from sqlmodel import select

from storage.db import Database
from storage.models import CheckInAnswer, Issue
from tests.conftest import CUSTOMER_TEAM, ROOT, run_golive
from tests.scenarios.test_run_process import free_port, wait_healthy


def test_golive_run_socket_takes_a_click_and_a_reaction_over_the_socket_and_reconnects(sim, env, db_url):
    go_live = date.today() + timedelta(days=7)
    while go_live.weekday() >= 5:
        go_live += timedelta(days=1)
    added = run_golive(["launch", "add", "--customer", "Acme Corp", "--channel", "C0ACME", "--go-live",
                        go_live.isoformat(), "--tz", "UTC", "--csm", "U0CSM", "--support-channel", "C0SUP"], env)
    assert added.code == 0, added.stderr
    assert run_golive(["tick", "--at", f"{go_live.isoformat()}T10:00:00Z"], env).code == 0  # day 1 check-in
    [checkin] = [m for m in sim.messages("C0ACME") if m.blocks and "Day 1" in m.plain_text()]
    value = next(e["value"] for b in checkin.blocks if b["type"] == "actions" for e in b["elements"]
                 if e.get("action_id") == "checkin_good")

    port = free_port()
    socket_env = {k: v for k, v in env.items() if k != "SLACK_SIGNING_SECRET"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run", "--socket", "--role", "all"],
        env={**socket_env, "SLACK_APP_TOKEN": sim.app_token, "GOLIVE_PORT": str(port), "GOLIVE_TICK_SECONDS": "0.5",
             "PATH": "/usr/bin:/bin"},
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = Database(db_url)
    try:
        sim.wait_for_socket(timeout=120)
        assert wait_healthy(f"http://127.0.0.1:{port}", proc)["database"] == "ok"

        click = sim.push_interactive({
            "type": "block_actions", "user": {"id": "U0CUST1", "team_id": CUSTOMER_TEAM},
            "team": {"id": sim.team_id}, "channel": {"id": "C0ACME"}, "trigger_id": "1.2.3",
            "container": {"type": "message", "channel_id": "C0ACME", "message_ts": checkin["ts"]},
            "message": {"ts": checkin["ts"], "type": "message", "text": "", "blocks": []},
            "response_url": sim.response_url_base + "/socket-click",
            "actions": [{"action_id": "checkin_good", "block_id": "checkin_answers", "type": "button",
                         "value": value, "action_ts": "1.0"}]})
        sim.wait_for_ack(click, timeout=60)

        def answers() -> list[str]:
            with db.session() as s:
                return list(s.exec(select(CheckInAnswer.user_id)).all())

        sim.wait_for(lambda: answers() == ["U0CUST1"], timeout=60)

        flagged = sim.post_as_user("C0ACME", "U0CUST2", "The export button does nothing")
        reaction = sim.push_event({"type": "reaction_added", "user": "U0CUST1", "user_team": CUSTOMER_TEAM,
                                   "reaction": "rotating_light",
                                   "item": {"type": "message", "channel": "C0ACME", "ts": flagged["ts"]}})
        sim.wait_for_ack(reaction, timeout=60)

        def issue_texts() -> list[str]:
            with db.session() as s:
                return list(s.exec(select(Issue.text)).all())

        sim.wait_for(lambda: issue_texts() == ["The export button does nothing"], timeout=120)

        sim.socket_disconnect("refresh_requested")
        sim.wait_for_socket(opened=2, timeout=120)  # golive opened a new connection when Slack asked
        again = sim.push_event({"type": "reaction_added", "user": "U0CUST2", "user_team": CUSTOMER_TEAM,
                                "reaction": "rotating_light",
                                "item": {"type": "message", "channel": "C0ACME", "ts": flagged["ts"]}})
        sim.wait_for_ack(again, timeout=60)
        assert issue_texts() == ["The export button does nothing"]  # the same message is one issue
        assert proc.poll() is None
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=120)
        db.dispose()
    assert "Traceback" not in err, err
