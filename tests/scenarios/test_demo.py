"""`golive demo`, the README's first command, runs on a fresh folder with no Slack and no settings — on a fast
simulated clock that ticks every minute in which something is due, with Slack's text rendered readably."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.features.issues.service import SLA_DEFAULT_MINUTES
from tests.conftest import run_golive


@dataclass
class DemoRun:
    code: int
    stdout: str
    stderr: str
    folder: Path

    @property
    def flat(self) -> str:
        """The output with panel borders removed and wrapped lines joined, for phrases that may wrap."""
        lines = (line.strip().strip("│╭╮╰╯").strip() for line in self.stdout.splitlines())
        return " ".join(line for line in lines if line)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoRun:  # one rehearsal, read by every test below
    cwd = tmp_path_factory.mktemp("demo")
    result = run_golive(["demo", "--out-dir", str(cwd / "demo")], {}, cwd=cwd, timeout=300)
    return DemoRun(result.code, result.stdout, result.stderr, cwd / "demo")


def test_demo_rehearses_launch_week_and_shows_what_people_saw(demo):
    assert demo.code == 0, demo.stderr[-2000:]
    out = demo.flat
    assert "Launch week for Acme Corp starts on Monday" in out  # the CSM's heads-up DM
    for day in range(1, 6):
        assert f"Day {day} of launch week" in out
    assert "only Cora (Acme, ops lead) sees" in out
    assert re.search(r"recorded (All good|Some friction|Blocked) for day", out)  # ephemeral confirmations
    assert "Issue #1" in out and "#support" in out  # the blocked answer reached support
    assert "Friendly reminder" in out  # a nudge
    assert "Traceback" not in demo.stdout + demo.stderr
    db = sqlite3.connect(demo.folder / "golive-demo.db")
    assert db.execute("select count(*) from check_in").fetchone()[0] == 5
    assert db.execute("select count(*) from outbox_message where status != 'sent'").fetchone()[0] == 0


def test_every_step_runs_on_time_so_nothing_is_skipped_or_late(demo):
    assert demo.code == 0, demo.stderr[-2000:]
    everything = demo.stdout + demo.stderr
    assert "skipped" not in everything.lower()
    assert not re.search(r"\d+ (min|h|days?),? [^\n]*late\b|late, past its", everything)
    db = sqlite3.connect(demo.folder / "golive-demo.db")
    steps = db.execute("select kind, status, note, due_at, finished_at from planned_work").fetchall()
    assert len(steps) >= 20  # the whole plan ran, from the first checklist reminder to the 30-day review
    not_on_time = [s for s in steps if s[1] != "done" or s[3] != s[4] or "late" in (s[2] or "")]
    assert not_on_time == []


def test_the_first_digest_does_not_call_the_launch_at_risk(demo):
    assert demo.code == 0, demo.stderr[-2000:]
    out = demo.flat
    start = out.index("Standup digest —")
    first = out[start:out.index("Talking points", start)]
    assert "on track" in first and "at risk" not in first
    assert "Missed or late" not in out


def test_escalations_say_the_wait_their_sla_implies(demo):
    assert demo.code == 0, demo.stderr[-2000:]
    found = re.findall(r"Escalation (\d+)/\d+: issue #(\d+) for Acme Corp \((sev\d)\) has waited (\d+) min",
                       demo.flat)
    assert found, "the story has an unacknowledged issue escalated"
    for step, _number, severity, waited in found:
        expected = int(step) * SLA_DEFAULT_MINUTES[severity]
        assert expected <= int(waited) <= expected + 1, (step, severity, waited)


def test_slack_text_is_rendered_readably(demo):
    assert demo.code == 0, demo.stderr[-2000:]
    out = demo.stdout
    assert not re.search(r"<[@#!][A-Z0-9^]+", out)  # no raw mentions, channel links or group mentions
    assert not re.search(r"(?<![\w*])\*[^\s*][^*\n]*?[^\s*]\*(?![\w*])", out)  # no *bold* asterisks
    assert not re.search(r":(large_\w+_circle|rotating_light|white_check_mark|tada|palm_tree|warning|"
                         r"red_circle|wave|rocket|hourglass_flowing_sand|dart|mag|bar_chart):", out)
    assert "&lt;" not in out and "&gt;" not in out and "&amp;" not in out
    assert "🟢" in out and "🚨" in out  # the codes became emoji
    assert "@cora" in out and "#support" in out and "#acme-leadership" in out  # names, not ids


def test_the_story_shows_a_duplicate_linked_a_thumbs_down_the_wrap_up_themes_and_a_lesson_kept(demo):
    assert demo.code == 0, demo.stderr[-2000:]
    out = demo.flat
    assert re.search(r"Looks like #\d+", out) and "now follows #" in out  # a duplicate flagged, then linked
    assert "did not really help" in out and re.search(r"\[Reopen #\d+\]", out)  # the 👎 reached Carla
    assert "Launch week wrap-up — Acme Corp" in out and "Satisfaction: 👍 1 · 👎 1" in out
    assert re.search(r"Top themes: • .+ — 2×", out)  # the two SSO reports are one theme
    assert "now also has: •" in out and "added by Carla" in out  # a retro lesson on every future checklist
    db = sqlite3.connect(demo.folder / "golive-demo.db")
    assert db.execute("select count(*) from issue where parent_id is not null").fetchone()[0] == 1
    assert db.execute("select count(*) from checklist_template_item where added_by = 'U0CARLA'").fetchone()[0] == 1


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
