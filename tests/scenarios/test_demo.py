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


def test_demo_rehearses_the_week_in_german(tmp_path):
    result = run_golive(["demo", "--locale", "de", "--out-dir", str(tmp_path / "demo")], {}, cwd=tmp_path, timeout=300)
    assert result.code == 0, result.stderr[-2000:]
    out = result.stdout
    assert "Willkommen zum Go-live, Acme Corp!" in out  # the pinned help message
    for day in range(2, 6):
        assert f"Tag {day} der Launch-Woche" in out
    assert "Kurze Erinnerung" in out and "Friendly reminder" not in out  # the nudge
    assert "Traceback" not in out + result.stderr


def test_demo_refuses_an_unsupported_locale(tmp_path):
    result = run_golive(["demo", "--locale", "xx", "--out-dir", str(tmp_path / "demo")], {}, cwd=tmp_path)
    assert result.code == 2 and "supported: en, de, fr, es, pt-BR, ja" in result.stderr
    assert not (tmp_path / "demo").exists()
