"""Operations from the command line: backup, retention, forgetting a person, metrics."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, time, timedelta

import httpx
from sqlmodel import select

from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.operations import anonymous_id, purge
from bot.flows.planning import replan
from storage.models import CheckInAnswer, Issue
from tests.conftest import CUSTOMER_TEAM, run_golive
from tests.scenarios.dates import monday_ago, monday_ahead

MON = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)


def launch_with_activity(world, monday: datetime = MON) -> None:  # noqa: ANN001
    """Acme's go-live Monday (`monday`, at its 10:00 check-in in UTC): the check-in, two Blocked answers."""
    world.clock.set(monday - timedelta(days=7))
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse({
            "customer": "Acme Corp", "channel": "C0ACME", "go_live": monday.date().isoformat(), "tz": "UTC",
            "checkin_time": f"{monday:%H:%M}", "csm": ["U0CSM"], "support_channel": "C0SUP"}), now=world.clock())
        replan(s, launch, now=world.clock())
    world.tick(monday)
    post = [m for m in world.sim.messages("C0ACME") if "Day 1 of launch week" in m.plain_text()][0]
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    for user in ("U0CUST1", "U0CUST2"):
        world.slack.block_action("checkin_blocked", user_id=user, channel_id="C0ACME", message_ts=post["ts"],
                                 value=value, user_team_id=CUSTOMER_TEAM)
    world.deliver()


def test_backup_is_a_consistent_copy_and_refuses_to_overwrite(world, tmp_path):
    launch_with_activity(world)
    target = tmp_path / "copy.db"
    result = run_golive(["backup", str(target)], world.env)
    assert result.code == 0, result.stderr
    copy = sqlite3.connect(target)
    assert copy.execute("select count(*) from check_in_answer").fetchone()[0] == 2
    assert copy.execute("select customer from launch").fetchone()[0] == "Acme Corp"
    again = run_golive(["backup", str(target)], world.env)
    assert again.code == 2 and "exists already" in again.stderr


def test_forget_user_removes_words_and_identity_but_keeps_counts(world):
    launch_with_activity(world)
    result = run_golive(["forget-user", "U0CUST1"], world.env)
    assert result.code == 0, result.stderr
    with world.runtime.db.session() as s:
        answers = s.exec(select(CheckInAnswer)).all()
        issues = s.exec(select(Issue).order_by(Issue.id)).all()
    assert sorted(a.answer for a in answers) == ["blocked", "blocked"]  # counts kept
    assert {a.user_id for a in answers} == {anonymous_id("U0CUST1"), "U0CUST2"}
    assert issues[0].reporter == anonymous_id("U0CUST1") and "removed" in issues[0].text
    exported = run_golive(["export"], world.env).stdout
    assert "U0CUST1" not in exported
    assert json.loads(exported)["checkin_responses"][0]["answer"] == "blocked"
    assert run_golive(["forget-user", "not-a-user"], world.env).code == 2


def test_purge_deletes_old_finished_launches_and_records_but_not_recent_ones(world):
    # `golive purge` compares with the wall clock, so both launches are dated from today: Acme went live
    # twenty weeks ago (its week on the world's clock, then), Recent Co goes live in two weeks.
    now = datetime.now(UTC)
    launch_with_activity(world, datetime.combine(monday_ago(20), time(10), UTC))
    with world.runtime.db.session() as s:
        save_launch(s, LaunchInput.parse({"customer": "Recent Co", "channel": "C0OTHER",
                                          "go_live": monday_ahead(2).isoformat(), "tz": "UTC"}), now=now)
    with world.runtime.db.session() as s:  # the domain takes `now`; the CLI below reads the wall clock
        assert not any(purge(s, older_than_days=200, now=now).counts.values())  # nothing is that old yet
    with world.runtime.db.session() as s:
        purged = purge(s, older_than_days=90, now=now)
    assert purged.counts["launch"] == 1 and purged.counts["check_in_answer"] == 2
    result = run_golive(["purge", "--older-than", "90"], world.env)
    assert result.code == 0, result.stderr
    exported = json.loads(run_golive(["export"], world.env).stdout)
    assert [launch["customer"] for launch in exported["launches"]] == ["Recent Co"]
    assert exported["checkin_responses"] == [] and exported["issues"] == []
    assert run_golive(["purge", "--older-than", "0"], world.env).code == 2


def test_metrics_expose_outbox_delivery_and_sla_breaches(world):
    launch_with_activity(world)
    world.tick(MON + timedelta(hours=2))  # the blocked answers' issues pass their 1 h time to acknowledge
    text = httpx.get(f"{world.url}/metrics").text
    for name in ("golive_outbox_depth", "golive_outbox_oldest_age_seconds", "golive_outbox_delivered_total",
                 "golive_slack_rate_limited_total", "golive_outbox_retries_total", "golive_outbox_dead_letters_total",
                 "golive_tick_seconds", 'golive_sla_breaches_total{severity="sev2"}'):
        assert name in text, name
