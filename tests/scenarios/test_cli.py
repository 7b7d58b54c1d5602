"""The `golive` command line as a subprocess: launches, validation, export, settings errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.scenarios.dates import monday_ahead, slack_day

# New launches go live after today: the CLI refuses a go-live date in the past.
GO_LIVE = monday_ahead(2)
BASE = ["launch", "add", "--customer", "Acme Corp", "--channel", "C0ACME", "--go-live", GO_LIVE.isoformat(),
        "--tz", "Europe/Berlin"]


def test_launch_add_prints_only_the_id_and_list_and_show_find_it(golive):
    added = golive(*BASE, "--csm", "U0CSM", "--csm", "U0CSM2", "--goal", "50 active users", "--oncall", "S0ONCALL")
    assert added.code == 0, added.stderr
    assert added.stdout.strip() == "1"
    listed = golive("launch", "list")
    assert "Acme Corp" in listed.stdout and GO_LIVE.isoformat() in listed.stdout
    shown = golive("launch", "show", "1")
    assert "U0CSM, U0CSM2" in shown.stdout and "50 active users" in shown.stdout
    heads_up = GO_LIVE - timedelta(days=3)  # the business day before a Monday go-live
    assert f"{slack_day(heads_up)} 10:00" in shown.stdout and "heads-up to the CSMs" in shown.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--tz", "CET+1"], "unknown time zone"),
        (["--go-live", "2032-02-30"], "bad go-live date"),
        (["--channel", "acme-golive"], "not a Slack channel id"),
        (["--csm", "carla"], "not a Slack user id"),
        (["--checkin-time", "25:00"], "bad checkin-time"),
        (["--retro-after-days", "30"], "between 14 and 28"),
        (["--oncall", "#oncall"], "oncall"),
    ],
)
def test_bad_launch_input_is_one_line_exit_2_and_nothing_written(golive, change, message):
    args = list(BASE)
    for flag, value in zip(change[::2], change[1::2], strict=True):
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    result = golive(*args)
    assert result.code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    exported = json.loads(golive("export").stdout)
    assert exported["launches"] == []


def test_adding_a_second_launch_for_the_same_channel_is_refused(golive):
    assert golive(*BASE).code == 0
    again = golive(*BASE)
    assert again.code == 2 and "exists already" in again.stderr


def test_import_creates_then_updates_by_channel_and_replans(golive, tmp_path):
    first = tmp_path / "launches.yml"
    first.write_text(
        "launches:\n"
        f"  - customer: Acme Corp\n    channel: C0ACME\n    go_live: {GO_LIVE}\n    tz: Europe/Berlin\n"
        "    csm: [U0CSM]\n    goal: [Go live, 50 users]\n"
        f"  - customer: Other Co\n    channel: C0OTHER\n    go_live: '{monday_ahead(6)}'\n"
        "    tz: America/New_York\n    checkin_time: '09:30'\n",
        encoding="utf-8",
    )
    result = golive("launch", "import", str(first))
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == ["1\tcreated\tC0ACME", "2\tcreated\tC0OTHER"]
    update = tmp_path / "update.yml"
    moved = GO_LIVE + timedelta(weeks=1)
    update.write_text(f"launches:\n  - channel: C0ACME\n    go_live: {moved}\n", encoding="utf-8")
    result = golive("launch", "import", str(update))
    assert result.stdout.splitlines() == ["1\tupdated\tC0ACME"]
    shown = golive("launch", "show", "1").stdout
    assert f"{slack_day(moved - timedelta(days=3))} 10:00" in shown and "Go live" in shown  # moved; goals untouched
    assert f"{slack_day(GO_LIVE - timedelta(days=3))} 10:00" not in shown


def test_import_with_one_bad_launch_writes_nothing(golive, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "launches:\n"
        f"  - {{customer: Good, channel: C0GOOD, go_live: {GO_LIVE}, tz: UTC}}\n"
        f"  - {{customer: Bad, channel: C0BAD, go_live: {GO_LIVE}, tz: Nowhere/Land}}\n",
        encoding="utf-8",
    )
    result = golive("launch", "import", str(bad))
    assert result.code == 2 and "launch #2 (C0BAD)" in result.stderr and "unknown time zone" in result.stderr
    assert json.loads(golive("export").stdout)["launches"] == []
    notyaml = tmp_path / "not.yml"
    notyaml.write_text("launches: [unclosed\n", encoding="utf-8")
    assert golive("launch", "import", str(notyaml)).code == 2
    assert golive("launch", "import", str(tmp_path / "missing.yml")).code == 2


def test_export_json_and_csv_shapes(golive):
    golive(*BASE, "--csm", "U0CSM")
    data = json.loads(golive("export", "--format", "json").stdout)
    assert set(data) >= {"launches", "checkin_responses", "issues"}
    launch = data["launches"][0]
    assert {k: launch[k] for k in ("id", "customer", "channel", "go_live_date", "timezone", "status")} == {
        "id": 1, "customer": "Acme Corp", "channel": "C0ACME", "go_live_date": GO_LIVE.isoformat(),
        "timezone": "Europe/Berlin", "status": "planned"}
    csv_text = golive("export", "--format", "csv").stdout
    header, row = csv_text.splitlines()[:2]
    assert header.startswith("record,id,customer")
    assert row.startswith("launch,1,Acme Corp,C0ACME")
    assert golive("export", "--format", "xml").code == 2
    assert golive("export", "--launch", "99").code == 2


def test_tick_refuses_an_instant_without_offset(golive):
    result = golive("tick", "--at", f"{GO_LIVE}T09:00:00")
    assert result.code == 2 and "no offset" in result.stderr


def test_bad_settings_stop_startup_with_one_line_naming_the_variable(golive):
    cases = {
        "GOLIVE_PORT": "eighty",
        "SLACK_API_URL": "not a url",
        "GOLIVE_DATABASE_URL": "::nonsense::",
        "SLACK_BOT_TOKEN": "abc-not-a-token",
        "GOLIVE_ADMINS": "carla",
        "LOG_LEVEL": "LOUD",
        "GOLIVE_TICK_SECONDS": "-1",
    }
    for name, value in cases.items():
        result = golive("launch", "list", extra_env={name: value})
        assert result.code == 2, name
        assert name in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert value not in result.stderr or name not in ("SLACK_BOT_TOKEN",)


def test_run_without_a_bot_token_explains_how_to_get_one(golive):
    result = golive("run", extra_env={"SLACK_BOT_TOKEN": ""})
    assert result.code == 2
    assert "manifest.yml" in result.stderr and "golive demo" in result.stderr


def test_db_upgrade_creates_the_schema(golive, tmp_path):
    result = golive("db", "upgrade", extra_env={"GOLIVE_DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"})
    assert result.code == 0
    import sqlite3

    tables = {r[0] for r in sqlite3.connect(tmp_path / "fresh.db").execute("select name from sqlite_master")}
    assert {"launch", "planned_work", "outbox_message", "processed_event", "alembic_version"} <= tables


# -- usage errors: one line on stderr, exit 2, never a traceback ---------------------------------------------


def assert_one_line(result, code: int) -> str:
    assert result.code == code, (result.code, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("golive: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "hint", "usage"), [
    (["launch", "add", "--no-such-option"], "No such option: --no-such-option", "golive launch add [OPTIONS]"),
    (["launch", "ad"], "No such command 'ad'. Did you mean 'add'?", "golive launch [OPTIONS] COMMAND"),
    (["lanuch", "list"], "No such command 'lanuch'. Did you mean 'launch'?", "golive [OPTIONS] COMMAND"),
    (["launch", "add", "--customer", "Acme"], "Missing option '--channel'", "golive launch add [OPTIONS]"),
    (["launch", "show"], "Missing argument", "golive launch show [OPTIONS]"),
    (["launch", "show", "one"], "Invalid value for 'launch_id'", "golive launch show [OPTIONS]"),
    ([*BASE, "--retro-after-days", "soon"], "Invalid value for '--retro-after-days'", "golive launch add"),
    (["export", "--format"], "Option '--format' requires an argument", "golive --help"),
])
def test_a_usage_error_is_one_line_with_clicks_hint_and_exit_2(golive, args, hint, usage):
    line = assert_one_line(golive(*args), 2)
    assert hint in line and usage in line
    assert "--help" in line


def test_the_module_form_reports_usage_errors_the_same_way(env, tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    proc = subprocess.run([sys.executable, "-m", "bot.cli.main", "launch", "ad"], env={"PATH": "/usr/bin", **env},
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Did you mean 'add'?" in proc.stderr
    assert "usage: golive launch" in proc.stderr


@pytest.mark.parametrize("args", [[], ["launch"], ["--help"], ["launch", "add", "--help"]])
def test_no_command_shows_help_on_stdout_and_exits_0(golive, args):
    result = golive(*args)
    assert result.code == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: golive") and "Traceback" not in result.stdout


def test_an_unexpected_error_is_one_line_with_a_reference_and_exit_1(golive, tmp_path):
    directory = tmp_path / "not-a-database"
    directory.mkdir()
    token = "xoxb-1234-unexpected-secret"
    result = golive("launch", "list", extra_env={"GOLIVE_DATABASE_URL": f"sqlite:///{directory}",
                                                 "SLACK_BOT_TOKEN": token})
    line = assert_one_line(result, 1)
    assert "unexpected error OperationalError (reference " in line and token not in line
    report = line.split("details in ")[1].split(")")[0]
    import os
    from pathlib import Path

    try:
        text = Path(report).read_text(encoding="utf-8")
        assert "Traceback" in text and "OperationalError" in text
        assert token not in text and str(directory) not in text  # secrets (and the database URL) redacted
        assert os.stat(report).st_mode & 0o777 == 0o600
    finally:
        Path(report).unlink(missing_ok=True)


def test_an_unreadable_env_file_is_one_line_and_exit_2(golive, tmp_path):
    (tmp_path / ".env").write_bytes(b"SLACK_BOT_TOKEN=\xff\xfe\n")  # golive runs in tmp_path and reads ./.env
    line = assert_one_line(golive("launch", "list"), 2)
    assert line.endswith(".env: not UTF-8 text") and "cannot read" in line


def test_reimporting_keeps_goals_and_criteria_with_their_state(golive, tmp_path, db_url):
    from sqlmodel import select

    from storage.db import Database
    from storage.models import Goal, ReadinessItem

    file = tmp_path / "launches.yml"
    file.write_text(
        "launches:\n"
        f"  - customer: Acme Corp\n    channel: C0ACME\n    go_live: {GO_LIVE}\n    tz: Europe/Berlin\n"
        "    goal: [Go live, {key: users, text: 50 users}]\n    criterion: [{key: sso, text: SSO configured}]\n",
        encoding="utf-8")
    assert golive("launch", "import", str(file)).code == 0
    assert golive("launch", "criteria", "1", "--done", "sso").code == 0
    db = Database(db_url)
    with db.session() as s:
        goal = s.exec(select(Goal).where(Goal.key == "users")).one()
        goal.state = "met"  # the 30-day review said so; its buttons point at this goal's id
        s.add(goal)
        goal_id = goal.id
    file.write_text(file.read_text(encoding="utf-8").replace("text: 50 users", "text: 60 users")
                    .replace("text: SSO configured", "text: SSO with Okta"), encoding="utf-8")
    result = golive("launch", "import", str(file))
    assert result.code == 0 and result.stdout.splitlines() == ["1\tupdated\tC0ACME"], result.stderr
    with db.session() as s:
        goals = [(g.id, g.key, g.text, g.state) for g in s.exec(select(Goal).order_by(Goal.position))]
        sso = [(i.text, i.done) for i in s.exec(select(ReadinessItem).where(ReadinessItem.key == "sso"))]
    db.dispose()
    assert goals[1] == (goal_id, "users", "60 users", "met") and [g[1] for g in goals] == ["go_live", "users"]
    assert sso == [("SSO with Okta", True)]
