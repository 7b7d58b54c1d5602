"""`golive launch import FILE.yml` writes new launches set-based: the result must be what adding them one by
one gives (launch rows, people, goals, checklists and every planned row), a refusal anywhere in the file must
leave the database as it was, and an entry may carry the `key` that `launch apply` knows launches by."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli.common import run
from bot.cli.main import cli
from storage.db import Database
from tests.conftest import CliResult
from tests.scenarios.dates import monday_ago, monday_ahead

ZONES = ("UTC", "Europe/Berlin", "Asia/Tokyo", "America/New_York", "Australia/Sydney", "America/Sao_Paulo")
# Every table a new launch writes to, with the columns that say what a person would see (no row ids).
TABLES = {
    "launch": "*",
    "launch_member": "launch_id, user_id, role",
    "goal": "launch_id, key, position, text, state",
    "readiness_item": "launch_id, key, text, position, owner, done",
    "planned_work": "launch_id, kind, key, due_at, status, payload",
}


@pytest.fixture
def golive(env, monkeypatch, capsys):  # noqa: ANN001, ANN201
    """The command line in this process, on the database named by GOLIVE_DATABASE_URL (`database` switches)."""
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


def entries(count: int) -> list[dict]:
    """`count` varied launches: zones with and without DST, go-live over several weeks, holidays, nudges off,
    another check-in and digest time, people, goals, routing, own criteria and a locale here and there."""
    found = []
    for i in range(count):
        go_live = monday_ahead(2 + i % 5) + timedelta(days=i % 3)
        entry: dict = {"customer": f"Customer {i:03d}", "channel": f"C{i:06d}", "go_live": go_live.isoformat(),
                       "tz": ZONES[i % len(ZONES)], "csm": [f"U0CSM{i % 4}", f"U0CSM{(i + 1) % 4}"],
                       "goal": ["Go live without a sev1", f"{10 + i} active users"]}
        if i % 2:
            entry.update(checkin_time="09:15", digest_time="07:45", support_channel=f"CSUP{i % 3}")
        if i % 3 == 0:
            entry.update(holiday=[(go_live + timedelta(days=1)).isoformat()], leader=["U0LEAD1"])
        if i % 4 == 1:
            entry.update(nudges=False, checkin_days=3, retro_after_days=21)
        if i % 5 == 2:
            entry.update(criterion=["Single sign-on works", "All integrations tested end to end"],
                         route=["sso=C0SSO"], locale="de")
        found.append(entry)
    return found


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of the tables a launch writes, ordered, as tuples (created/updated stamps left out)."""
    db = Database(url)
    try:
        with db.engine.connect() as c:
            rows = {}
            for table, columns in TABLES.items():
                result = c.execute(text(f"SELECT {columns} FROM {table}"))  # noqa: S608 - our own table names
                keep = [i for i, name in enumerate(result.keys()) if name not in ("id", "created_at", "updated_at")]
                rows[table] = sorted(tuple(row[i] for i in keep) for row in result)
            return rows
    finally:
        db.dispose()


def add_args(entry: dict) -> list[str]:
    args = ["launch", "add"]
    for name, value in entry.items():
        option = "--" + name.replace("_", "-")
        if name == "nudges":
            args.append("--nudges" if value else "--no-nudges")
            continue
        for item in value if isinstance(value, list) else [value]:
            args += [option, str(item)]
    return args


def write(path: Path, launches: list[dict]) -> Path:
    path.write_text(json.dumps({"launches": launches}), encoding="utf-8")  # JSON is YAML
    return path


def test_importing_fifty_launches_gives_what_adding_them_one_by_one_gives(golive, tmp_path, monkeypatch):
    launches = entries(50)
    monkeypatch.setenv("GOLIVE_DATABASE_URL", one_by_one := f"sqlite:///{tmp_path / 'one-by-one.db'}")
    for number, entry in enumerate(launches, start=1):
        added = golive(*add_args(entry))
        assert added.code == 0, added.stderr
        assert added.stdout.strip() == str(number)
    monkeypatch.setenv("GOLIVE_DATABASE_URL", imported := f"sqlite:///{tmp_path / 'imported.db'}")
    result = golive("launch", "import", str(write(tmp_path / "launches.yml", launches)))
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [f"{n}\tcreated\t{e['channel']}" for n, e in enumerate(launches, start=1)]

    expected, got = snapshot(one_by_one), snapshot(imported)
    assert len(got["planned_work"]) > 50 * 20  # check-ins, nudges, digests, reminders, retro… for every launch
    assert {row[1] for row in got["planned_work"]} >= {"checkin", "checkin_nudge", "digest", "heads_up",
                                                       "help_post", "readiness_reminder", "retro_prompt"}
    assert any(row[2] == "Single sign-on works" for row in got["readiness_item"])  # (launch, key, text…)
    for table in TABLES:
        assert got[table] == expected[table], table


def test_a_refused_launch_in_the_middle_of_the_file_leaves_the_database_as_it_was(golive, tmp_path, db_url):
    first = entries(2)
    assert golive("launch", "import", str(write(tmp_path / "first.yml", first))).code == 0
    before = snapshot(db_url)
    changed = [{**first[0], "customer": "Renamed", "checkin_time": "11:00"}] + entries(6)[2:4]
    past = {**entries(5)[4], "go_live": monday_ago(2).isoformat()}
    refused = golive("launch", "import", str(write(tmp_path / "bad.yml", [*changed, past, *entries(7)[5:]])))
    assert refused.code == 2
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"golive: launch #4 ({past['channel']}): go-live date {past['go_live']} is in the past in {past['tz']}; "
        "use today or later"]
    assert snapshot(db_url) == before

    missing = {"channel": "C0NEW", "customer": "No date"}
    refused = golive("launch", "import", str(write(tmp_path / "missing.yml", [*changed, missing])))
    assert refused.code == 2
    assert "launch #4 (C0NEW): launch for C0NEW does not exist yet: customer, go_live and tz are needed" in (
        refused.stderr)
    assert snapshot(db_url) == before


def test_import_mixes_new_and_updated_launches_in_file_order(golive, tmp_path, db_url):
    launches = entries(4)
    assert golive("launch", "import", str(write(tmp_path / "two.yml", launches[1:3]))).code == 0
    moved = (monday_ahead(8)).isoformat()
    result = golive("launch", "import", str(write(tmp_path / "all.yml", [
        launches[0], {"channel": launches[1]["channel"], "go_live": moved}, launches[2], launches[3]])))
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [f"3\tcreated\t{launches[0]['channel']}",
                                          f"1\tupdated\t{launches[1]['channel']}",
                                          f"2\tupdated\t{launches[2]['channel']}",
                                          f"4\tcreated\t{launches[3]['channel']}"]
    shown = golive("launch", "show", "1").stdout
    assert moved in shown and "Customer 001" in shown  # moved; the fields not given stay


def test_import_takes_the_key_that_launch_apply_knows_a_launch_by(golive, tmp_path, db_url):
    acme = {"key": "acme-eu", "customer": "Acme", "channel": "C0ACME", "go_live": monday_ahead(3).isoformat(),
            "tz": "Europe/Berlin", "csm": ["U0CSM"]}
    file = write(tmp_path / "acme.yml", [acme])
    assert golive("launch", "import", str(file)).code == 0
    applied = golive("launch", "apply", str(file))
    assert applied.code == 0, applied.stderr
    assert applied.stdout.splitlines() == ["acme-eu: no changes (launch 1, C0ACME)", "no changes"]

    other = {"key": "acme-eu", "customer": "Other", "channel": "C0OTHER", "go_live": monday_ahead(3).isoformat(),
             "tz": "UTC"}
    taken = golive("launch", "import", str(write(tmp_path / "taken.yml", [other])))
    assert taken.code == 2
    assert taken.stderr.strip() == "golive: launch #1 (C0OTHER): key 'acme-eu' belongs to launch 1 (C0ACME)"
    twice = golive("launch", "import", str(write(tmp_path / "twice.yml", [
        {**other, "key": "beta"}, {**other, "key": "beta", "channel": "C0THIRD"}])))
    assert twice.code == 2 and "launch #2 (C0THIRD): key 'beta' is listed twice (launches #1 and #2)" in twice.stderr
    bad = golive("launch", "import", str(write(tmp_path / "bad.yml", [{**other, "key": "Not A Key"}])))
    assert bad.code == 2 and "launch #1 (C0OTHER): key 'Not A Key' must be lowercase letters" in bad.stderr
    db = Database(db_url)
    with db.engine.connect() as c:
        assert c.execute(text("SELECT key, channel FROM launch")).all() == [("acme-eu", "C0ACME")]
    db.dispose()
