"""`golive launch apply FILE.yml [--prune] [--dry-run]`: launches as code, through the real console script.
The file is the truth: launches are known by their key (not their channel), a field left out returns to its
default, goals and criteria keep their state by key, a dry run writes nothing, applying the same file twice
changes nothing the second time, and any error is one line naming the launch and the field."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli.common import run
from bot.cli.main import cli
from storage.db import Database
from storage.models import Goal, Launch, PlannedWork, ReadinessItem, WorkStatus
from tests.conftest import CliResult, run_golive
from tests.scenarios.dates import monday_ahead, slack_day

GO_LIVE = monday_ahead(2)


@pytest.fixture
def golive(env, monkeypatch, capsys):  # noqa: ANN001, ANN201
    """The command line in this process (the same `run` the console script calls; a subprocess costs seconds
    on a busy machine). The first test runs the real console script."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "GOLIVE_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def call(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(cli, list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return call


def acme(**fields: object) -> dict:
    entry = {"key": "acme", "customer": "Acme Corp", "channel": "C0ACME", "go_live": GO_LIVE.isoformat(),
             "tz": "Europe/Berlin", "csm": ["U0CSM"]}
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not None}


def beta(**fields: object) -> dict:
    entry = {"key": "beta", "customer": "Beta GmbH", "channel": "C0BETA", "go_live": (GO_LIVE + timedelta(weeks=1))
             .isoformat(), "tz": "America/New_York"}
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not None}


def write(path: Path, *launches: dict) -> Path:
    path.write_text(json.dumps({"launches": list(launches)}), encoding="utf-8")  # JSON is YAML
    return path


class Store:
    """Reads what the command line wrote (a test's view of the database, not the product's code)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self):  # noqa: ANN204
        self.db = Database(self.url)
        self.session_cm = self.db.session()
        return self.session_cm.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.session_cm.__exit__(None, None, None)
        self.db.dispose()


def snapshot(db_url: str) -> list:
    """Every row that matters, with its ids and times: equal snapshots mean nothing was written."""
    with Store(db_url) as s:
        return [
            [launch.model_dump() for launch in s.exec(select(Launch).order_by(Launch.id))],
            [goal.model_dump() for goal in s.exec(select(Goal).order_by(Goal.id))],
            [item.model_dump() for item in s.exec(select(ReadinessItem).order_by(ReadinessItem.id))],
            [(w.id, w.key, w.due_at, w.status) for w in s.exec(select(PlannedWork).order_by(PlannedWork.id))],
        ]


def test_apply_creates_and_applying_the_same_file_again_changes_nothing(env, golive, tmp_path, db_url):
    file = write(tmp_path / "launches.yml", acme(checkin_time="09:30", goal=["50 active users"]), beta())
    first = run_golive(["launch", "apply", str(file)], env)  # the real console script
    assert first.code == 0, first.stderr
    assert first.stdout.splitlines() == ["acme: created (launch 1, C0ACME): new launch",
                                         "beta: created (launch 2, C0BETA): new launch",
                                         "applied: 2 launch(es) changed"]
    shown = golive("launch", "show", "1").stdout
    assert "09:30" in shown and "50 active users" in shown and f"{slack_day(GO_LIVE)} 09:30" in shown
    before = snapshot(db_url)
    again = run_golive(["launch", "apply", str(file)], env)
    assert again.code == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "no changes"
    assert "acme: no changes (launch 1, C0ACME)" in again.stdout
    assert snapshot(db_url) == before


def test_dry_run_prints_the_changes_and_writes_nothing(golive, tmp_path, db_url):
    file = write(tmp_path / "launches.yml", acme())
    dry = golive("launch", "apply", "--dry-run", str(file))
    assert dry.code == 0 and "acme: create (C0ACME): new launch" in dry.stdout and "nothing was written" in dry.stdout
    assert json.loads(golive("export").stdout)["launches"] == []
    assert golive("launch", "apply", str(file)).code == 0
    before = snapshot(db_url)
    write(file, acme(checkin_time="09:00", support_channel="C0SUP", goal=["Go live"]))
    dry = golive("launch", "apply", str(file), "--dry-run")
    assert dry.code == 0, dry.stderr
    assert ("acme: update (launch 1, C0ACME): checkin-time 10:00 → 09:00; support-channel — → C0SUP; "
            "goal 'go_live' added") in dry.stdout
    assert snapshot(db_url) == before


def test_a_field_left_out_returns_to_its_default_and_the_plan_follows(golive, tmp_path):
    file = write(tmp_path / "launches.yml", acme(checkin_time="09:30", support_channel="C0SUP", nudges=False,
                                                 holiday=[(GO_LIVE + timedelta(days=1)).isoformat()]))
    assert golive("launch", "apply", str(file)).code == 0
    shown = golive("launch", "show", "1").stdout
    assert "C0SUP" in shown and f"{slack_day(GO_LIVE)} 09:30" in shown and "nudges              off" in shown
    write(file, acme())
    result = golive("launch", "apply", str(file))
    assert result.code == 0, result.stderr
    for change in ("checkin-time 09:30 → 10:00", "support-channel C0SUP → —", "nudges False → True",
                   f"holiday {(GO_LIVE + timedelta(days=1)).isoformat()} → —"):
        assert change in result.stdout
    shown = golive("launch", "show", "1").stdout
    assert "C0SUP" not in shown and f"{slack_day(GO_LIVE)} 10:00" in shown
    assert f"{slack_day(GO_LIVE)} 09:30" not in shown and "reminder to answer" in shown
    assert f"{slack_day(GO_LIVE + timedelta(days=1))} 10:00" in shown  # no longer a holiday: a check-in again


def test_goal_reviews_and_ticked_criteria_keep_their_state_across_applies(golive, tmp_path, db_url):
    file = write(tmp_path / "launches.yml", acme(
        goal=[{"key": "users", "text": "50 active users"}, "Exports run nightly"],
        criterion=[{"key": "sso", "text": "SSO configured"}, {"key": "vpn", "text": "VPN open"}]))
    assert golive("launch", "apply", str(file)).code == 0
    ticked = golive("launch", "criteria", "1", "--done", "sso")
    assert ticked.code == 0, ticked.stderr
    with Store(db_url) as s:  # a CSM reviewed the first goal (the review's buttons point at this row)
        goal = s.exec(select(Goal).where(Goal.key == "users")).one()
        goal.state, goal.reviewed_by = "met", "U0CSM"
        s.add(goal)
        goal_id = goal.id
    write(file, acme(goal=[{"key": "users", "text": "60 active users"}, "Exports run nightly"],
                     criterion=[{"key": "sso", "text": "SSO configured with Okta"}]))
    result = golive("launch", "apply", str(file))
    assert result.code == 0, result.stderr
    assert "goal 'users' text changed" in result.stdout and "criterion 'sso' text changed" in result.stdout
    assert "criterion 'vpn' removed" in result.stdout
    with Store(db_url) as s:
        goals = {g.key: (g.id, g.text, g.state) for g in s.exec(select(Goal))}
        items = {i.key: (i.text, i.done) for i in s.exec(select(ReadinessItem))}
    assert goals["users"] == (goal_id, "60 active users", "met")
    assert goals["exports_run_nightly"][2] == "open" and len(goals) == 2
    assert items["sso"] == ("SSO configured with Okta", True) and "vpn" not in items
    assert items["fallback_agreed"] == ("Fallback procedure agreed", False)  # defaults stay
    assert golive("launch", "apply", str(file)).stdout.splitlines()[-1] == "no changes"


def test_changing_the_channel_moves_the_same_launch_and_two_launches_may_swap(golive, tmp_path, db_url):
    file = write(tmp_path / "launches.yml", acme(), beta())
    assert golive("launch", "apply", str(file)).code == 0
    write(file, acme(channel="C0ACME2"), beta())
    moved = golive("launch", "apply", str(file))
    assert moved.code == 0 and "acme: updated (launch 1, C0ACME2): channel C0ACME → C0ACME2" in moved.stdout
    write(file, acme(channel="C0BETA"), beta(channel="C0ACME2"))
    swapped = golive("launch", "apply", str(file))
    assert swapped.code == 0, swapped.stderr
    with Store(db_url) as s:
        assert [(la.id, la.key, la.channel) for la in s.exec(select(Launch).order_by(Launch.id))] == [
            (1, "acme", "C0BETA"), (2, "beta", "C0ACME2")]


def test_a_launch_made_by_launch_add_is_adopted_by_its_channel(golive, tmp_path, db_url):
    added = golive("launch", "add", "--customer", "Acme Corp", "--channel", "C0ACME", "--go-live", GO_LIVE.isoformat(),
                   "--tz", "Europe/Berlin", "--csm", "U0CSM")
    assert added.code == 0
    result = golive("launch", "apply", str(write(tmp_path / "l.yml", acme())))
    assert result.code == 0 and "acme: updated (launch 1, C0ACME): adopted (it had no key)" in result.stdout
    with Store(db_url) as s:
        assert [la.key for la in s.exec(select(Launch))] == ["acme"]


def test_prune_removes_unlisted_launches_and_a_live_one_only_with_force(golive, tmp_path, db_url):
    file = write(tmp_path / "launches.yml", acme(), beta())
    assert golive("launch", "apply", str(file)).code == 0
    write(file, acme())
    kept = golive("launch", "apply", str(file))
    assert kept.code == 0 and "beta: not in the file, left alone" in kept.stdout and "no changes" in kept.stdout
    dry = golive("launch", "apply", "--prune", "--dry-run", str(file))
    assert "beta: remove (launch 2, C0BETA)" in dry.stdout and len(json.loads(golive("export").stdout)["launches"]) == 2
    pruned = golive("launch", "apply", "--prune", str(file))
    assert pruned.code == 0 and "beta: removed (launch 2, C0BETA)" in pruned.stdout
    with Store(db_url) as s:
        assert [la.key for la in s.exec(select(Launch))] == ["acme"]
        assert not s.exec(select(PlannedWork).where(PlannedWork.launch_id == 2)).all()
    live = golive("launch", "live", "1", "--force", "--reason", "contract date")
    assert live.code == 0, live.stderr
    write(file, beta())
    refused = golive("launch", "apply", "--prune", str(file))
    assert refused.code == 2 and refused.stderr.strip() == (
        "golive: launch acme: status is live; --prune removes a launch that went live only with --force")
    assert len(json.loads(golive("export").stdout)["launches"]) == 1  # beta was not created either
    forced = golive("launch", "apply", "--prune", "--force", str(file))
    assert forced.code == 0 and "acme: removed (launch 1, C0ACME): status live" in forced.stdout
    assert [la["customer"] for la in json.loads(golive("export").stdout)["launches"]] == ["Beta GmbH"]


def test_a_past_go_live_date_is_accepted_for_a_launch_that_exists_and_done_work_is_not_redone(golive, tmp_path,
                                                                                             db_url):
    file = write(tmp_path / "launches.yml", acme())
    assert golive("launch", "apply", str(file)).code == 0
    with Store(db_url) as s:  # the heads-up went out already
        heads_up = s.exec(select(PlannedWork).where(PlannedWork.kind == "heads_up")).one()
        heads_up.status = WorkStatus.DONE
        s.add(heads_up)
    past = monday_ahead(-2)
    write(file, acme(go_live=past.isoformat()))
    result = golive("launch", "apply", str(file))
    assert result.code == 0 and f"go-live {GO_LIVE} → {past}" in result.stdout, result.stderr
    with Store(db_url) as s:
        work = s.exec(select(PlannedWork)).all()
        assert [w.status for w in work if w.kind == "heads_up"] == [WorkStatus.DONE]  # not planned again
        assert [w.payload["date"] for w in work if w.kind == "checkin"][0] == past.isoformat()
    fresh = write(tmp_path / "new.yml", acme(), beta(go_live=past.isoformat()))
    refused = golive("launch", "apply", str(fresh))
    assert refused.code == 2 and "launch beta: go-live" in refused.stderr and "in the past" in refused.stderr


@pytest.mark.parametrize(
    ("launches", "message"),
    [
        ([acme(), beta(key="acme")], "launch acme: key is listed twice (launches #1 and #2)"),
        ([acme(), beta(key=None)], "launch #2 (C0BETA): missing key"),
        ([acme(), beta(key="Beta_1")], "launch #2 (C0BETA): key 'Beta_1' must be lowercase"),
        ([acme(), beta(colour="blue")], "launch beta: unknown launch field(s): colour"),
        ([acme(), beta(tz="Mars/Olympus")], "launch beta:"),
        ([acme(), beta(go_live="2031-02-30")], "launch beta: bad go-live date"),
        ([acme(), beta(csm=["carla"])], "launch beta: csm 'carla' is not a Slack user id"),
        ([acme(), beta(channel="acme-golive")], "launch beta: channel 'acme-golive' is not a Slack channel id"),
        ([acme(), beta(channel="C0ACME")], "launch beta: channel C0ACME is also the channel of launch acme"),
        ([acme(), beta(customer=None)], "launch beta: missing launch field(s): customer"),
        ([acme(), beta(goal=[{"key": "x", "txt": "typo"}])], "launch beta: goal #1 must be a text or a mapping"),
        ([acme(), beta(goal=["Go", "go"])], "launch beta: goal key 'go' is listed twice"),
    ],
)
def test_bad_input_is_one_line_naming_the_launch_and_field_exit_2_and_nothing_written(golive, tmp_path, db_url,
                                                                                      launches, message):
    file = write(tmp_path / "launches.yml", acme(checkin_time="09:30"))
    assert golive("launch", "apply", str(file)).code == 0
    before = snapshot(db_url)
    launches[0] = acme(checkin_time="08:00")  # a good change next to the bad entry is not written either
    result = golive("launch", "apply", str(write(file, *launches)))
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr
    if "Mars" in json.dumps(launches):
        assert "time zone" in result.stderr
    assert snapshot(db_url) == before


def test_a_file_that_is_not_a_launch_list_is_refused(golive, tmp_path):
    for text in ("launches: [unclosed\n", "launch:\n  - key: a\n", "launches:\n  - just text\n"):
        file = tmp_path / "bad.yml"
        file.write_text(text, encoding="utf-8")
        result = golive("launch", "apply", str(file))
        assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1, (text, result.stderr)
    assert golive("launch", "apply", str(tmp_path / "missing.yml")).code == 2
