"""`golive demo`, the README's first command, runs on a fresh folder with no Slack and no settings."""

from __future__ import annotations

import sqlite3

from tests.conftest import run_golive


def test_demo_rehearses_launch_week_and_shows_what_people_saw(tmp_path):
    result = run_golive(["demo", "--out-dir", str(tmp_path / "demo")], {}, cwd=tmp_path, timeout=300)
    assert result.code == 0, result.stderr[-2000:]
    out = result.stdout
    assert "Launch week for *Acme Corp* starts on Monday" in out  # the CSM's heads-up DM
    for day in range(1, 6):
        assert f"Day {day} of launch week" in out
    assert "only Cora (Acme, ops lead) sees" in out and "recorded *" in out  # ephemeral confirmations
    assert "Issue #1" in out and "#support" in out  # the blocked answer reached support
    assert "Friendly reminder" in out  # a nudge
    assert "Traceback" not in out + result.stderr
    db = sqlite3.connect(tmp_path / "demo" / "golive-demo.db")
    assert db.execute("select count(*) from check_in").fetchone()[0] == 5
    assert db.execute("select count(*) from outbox_message where status != 'sent'").fetchone()[0] == 0
