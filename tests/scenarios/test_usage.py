"""Usage in: `golive usage import` (a real subprocess), POST /api/usage over real HTTP, email matching
against the simulator, and the usage section of `golive export`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from bot.core.settings import Settings
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.runtime import Runtime
from storage.db import Database
from storage.migrate import upgrade
from storage.models import EmailMatch, OutboxMessage, UsageRecord

TOKEN = "usage-api-token-0123456789abcdef"
NOW = datetime.now(UTC)
DAY = (NOW - timedelta(days=2)).strftime("%Y-%m-%d")


def records(db_url: str) -> list[tuple[str, str, str | None]]:
    db = Database(db_url)
    try:
        with db.session() as s:
            rows = s.exec(select(UsageRecord).order_by(UsageRecord.email, UsageRecord.feature)).all()
            return [(r.email, r.feature, r.slack_user_id) for r in rows]
    finally:
        db.dispose()


@pytest.fixture
def launch_id(db_url) -> str:  # noqa: ANN001
    """A launch in the database the `golive` subprocesses use (created in-process: faster than the CLI)."""
    db = Database(db_url)
    upgrade(db)
    with db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse({"customer": "Acme", "channel": "C0ACME", "go_live": "2027-03-08",
                                                      "tz": "Europe/Berlin", "csm": ["U0CSM"]}), now=NOW)
        launch_id = launch.id
    db.dispose()
    return str(launch_id)


def write(path: Path, text: str, *, bom: bool = False, crlf: bool = False) -> Path:
    body = text.replace("\n", "\r\n") if crlf else text
    path.write_bytes(("\ufeff" if bom else "").encode() + body.encode("utf-8"))
    return path


def test_csv_with_bom_crlf_bad_rows_and_duplicates_keeps_the_good_rows_and_names_bad_lines(golive, launch_id,
                                                                                        tmp_path, db_url):
    csv_file = write(tmp_path / "usage.csv", (
        "Email,Last_Active_At,Feature\n"
        f"Cora@Acme.test,{DAY}T10:00:00Z,reports\n"
        f"cyril@acme.test,{DAY},dashboards\n"
        f"cora@acme.test,{DAY}T10:00:00+00:00,reports\n"  # the same as line 2
        "not-an-email,2027-01-01,reports\n"
        "cleo@acme.test,yesterday,reports\n"
        f"carl@acme.test,{DAY}\n"  # one column short
        "nobody@acme.test,2999-01-01,reports\n"  # in the future
        f"nobody@acme.test,{DAY},\"exports, scheduled\"\n"
    ), bom=True, crlf=True)
    result = golive("usage", "import", str(csv_file), "--launch", launch_id)
    assert result.code == 0, result.stderr
    errors = result.stderr.splitlines()
    assert [e.split(": ")[1] for e in errors] == ["line 5", "line 6", "line 7", "line 8"]
    assert "not an email address" in errors[0] and "not an ISO-8601 date" in errors[1]
    assert "2 column(s)" in errors[2] and "in the future" in errors[3]
    assert "3 row(s) imported, 1 duplicate(s) ignored, 4 bad row(s) skipped (8 read)" in result.stdout
    # Matched against the simulated workspace: two people are in Slack, one is not (kept, reported).
    assert "2 email(s) matched to Slack users, 1 match no Slack user" in result.stdout
    assert "unmatched: nobody@acme.test" in result.stdout
    assert records(db_url) == [("cora@acme.test", "reports", "U0CUST1"), ("cyril@acme.test", "dashboards", "U0CUST2"),
                               ("nobody@acme.test", "exports, scheduled", None)]
    again = golive("usage", "import", str(csv_file), "--launch", launch_id)
    assert "0 row(s) imported, 4 duplicate(s) ignored" in again.stdout
    exported = json.loads(golive("export", "--launch", launch_id).stdout)
    assert [(u["email"], u["user"], u["feature"]) for u in exported["usage"]][0] == (
        "cora@acme.test", "U0CUST1", "reports")


@pytest.mark.parametrize("case", ["missing-column", "no-file", "unknown-launch", "not-utf8", "empty"])
def test_a_fatal_csv_error_exits_2_with_one_line_and_writes_nothing(golive, launch_id, tmp_path, db_url, case):
    good = f"cora@acme.test,{DAY},reports\n" * 3
    path = {
        "missing-column": write(tmp_path / "a.csv", "email,feature\ncora@acme.test,reports\n"),
        "no-file": tmp_path / "nope.csv",
        "unknown-launch": write(tmp_path / "b.csv", "email,last_active_at,feature\n" + good),
        "not-utf8": tmp_path / "c.csv",
        "empty": write(tmp_path / "d.csv", ""),
    }[case]
    if case == "not-utf8":
        path.write_bytes(b"email,last_active_at\n" + f"cora@acme.test,{DAY}\n".encode() * 5000 + b"\xff\xfe,x\n")
    result = golive("usage", "import", str(path), "--launch", "999" if case == "unknown-launch" else launch_id)
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("golive: ")
    assert {"missing-column": "no last_active_at column", "no-file": "cannot read", "unknown-launch": "no launch",
            "not-utf8": "not UTF-8", "empty": "is empty"}[case] in result.stderr
    assert records(db_url) == []


# VmHWM is this process's own peak (ru_maxrss would carry over the forking pytest process's peak).
PEAK_RSS = """
import sys
from bot.cli.main import main
try:
    main()
finally:
    hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    print(f"peak-rss-kb {hwm}", file=sys.stderr)
"""


def test_a_hundred_thousand_rows_stream_in_bounded_memory(env, launch_id, tmp_path, db_url):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("email,last_active_at,feature\r\n")
        handle.writelines(f"user{n % 500}@big.test,{DAY}T{n % 24:02d}:{n % 60:02d}:00Z,feature{n // 500}\r\n"
                          for n in range(100_000))
    args = ["usage", "import", str(path), "--launch", launch_id, "--no-match"]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOLIVE_"))} | env
    proc = subprocess.run([sys.executable, "-c", PEAK_RSS, *args], env=full_env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "100000 row(s) imported, 0 duplicate(s) ignored, 0 bad row(s) skipped (100000 read)" in proc.stdout
    peak_mb = int(proc.stderr.split("peak-rss-kb ")[1].split()[0]) / 1024
    assert peak_mb < 130, f"peak {peak_mb:.0f} MB"  # batches of 1,000 rows, not the whole file
    db = Database(db_url)
    with db.session() as s:
        assert s.exec(select(func.count(UsageRecord.id))).one() == 100_000
    db.dispose()


def test_email_lookups_are_cached_and_wait_out_a_rate_limit(golive, launch_id, tmp_path, sim, db_url):
    csv_file = write(tmp_path / "u.csv", f"email,last_active_at\ncora@acme.test,{DAY}\nghost@acme.test,{DAY}\n")
    sim.inject("users.lookupByEmail", "429", times=1, retry_after=1)
    first = golive("usage", "import", str(csv_file), "--launch", launch_id)
    assert "1 email(s) matched to Slack users, 1 match no Slack user" in first.stdout, first.stdout + first.stderr
    assert [c.status for c in sim.calls_to("users.lookupByEmail")].count(429) == 1
    lookups = len(sim.calls_to("users.lookupByEmail"))
    second = write(tmp_path / "v.csv", f"email,last_active_at,feature\ncora@acme.test,{DAY},new\n"
                                      f"ghost@acme.test,{DAY},new\n")
    again = golive("usage", "import", str(second), "--launch", launch_id)
    assert "unmatched: ghost@acme.test" in again.stdout
    assert len(sim.calls_to("users.lookupByEmail")) == lookups  # answered from the cache
    assert ("cora@acme.test", "new", "U0CUST1") in records(db_url)


# -- POST /api/usage --------------------------------------------------------------------------------


@pytest.fixture
def api(world):  # noqa: ANN001, ANN201
    """The web role with GOLIVE_API_TOKEN set, on the world's database and clock."""
    settings = Settings.from_env({**world.env, "GOLIVE_API_TOKEN": TOKEN})
    runtime = Runtime(settings, db=world.runtime.db, migrate=False, clock=world.clock)
    server = runtime.web(host="127.0.0.1", port=0).start_in_thread()
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse({"customer": "Acme", "channel": "C0ACME", "go_live": "2027-03-08",
                                                      "tz": "Europe/Berlin", "csm": ["U0CSM"]}), now=world.clock())
    try:
        yield server.url, launch.id
    finally:
        server.stop()
        runtime.sender.close()


def count(world) -> int:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return s.exec(select(func.count(UsageRecord.id))).one()


def test_api_answers_404_while_no_token_is_configured(world):
    response = httpx.post(f"{world.url}/api/usage?launch=1", json=[], headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404 and response.json()["ok"] is False


@pytest.mark.parametrize("case, status", [
    ("no-token", 401), ("wrong-token", 401), ("basic-auth", 401), ("too-large", 413), ("too-large-chunked", 413),
    ("not-json", 400), ("not-a-list", 400), ("bad-row", 400), ("no-launch", 400), ("unknown-launch", 404),
])
def test_api_refuses_bad_requests_with_a_json_error_and_writes_nothing(world, api, case, status):
    url, launch_id = api
    good = [{"email": "cora@acme.test", "last_active_at": "2027-02-27T10:00:00Z", "feature": "reports"}]
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    body: bytes | object = json.dumps(good).encode()
    target = f"{url}/api/usage?launch={launch_id}"
    if case == "no-token":
        headers.pop("Authorization")
    elif case == "wrong-token":
        headers["Authorization"] = f"Bearer {TOKEN[:-1]}x"
    elif case == "basic-auth":
        headers["Authorization"] = f"Basic {TOKEN}"
    elif case == "too-large":
        body = json.dumps(good * 12_000).encode()
    elif case == "too-large-chunked":
        big = json.dumps(good * 12_000).encode()
        body = (big[i:i + 65536] for i in range(0, len(big), 65536))  # no Content-Length: counted as read
    elif case == "not-json":
        body = b"email,last_active_at\ncora@acme.test,2027-02-27\n"
    elif case == "not-a-list":
        body = json.dumps({"email": "cora@acme.test"}).encode()
    elif case == "bad-row":
        body = json.dumps(good + [{"email": "x", "last_active_at": "soon"}]).encode()
    elif case == "no-launch":
        target = f"{url}/api/usage"
    elif case == "unknown-launch":
        target = f"{url}/api/usage?launch=999"
    response = httpx.post(target, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["ok"] is False and response.json()["error"]
    assert count(world) == 0


def test_api_stores_rows_ignores_duplicates_and_matches_emails_in_the_background(world, api):
    url, launch_id = api
    rows = [{"email": "Cora@acme.test", "last_active_at": "2027-02-27T10:00:00Z", "feature": "reports"},
            {"email": "ghost@acme.test", "last_active_at": "2027-02-28", "feature": None},
            {"email": "cora@acme.test", "last_active_at": "2027-02-27T11:00:00+01:00", "feature": "reports"}]
    response = httpx.post(f"{url}/api/usage?launch={launch_id}", json=rows,
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "launch": launch_id, "received": 3, "imported": 2, "duplicates": 1}
    world.deliver()
    with world.runtime.db.session() as s:
        matched = dict(s.exec(select(UsageRecord.email, UsageRecord.slack_user_id)).all())
        cache = {m.email: m.user_id for m in s.exec(select(EmailMatch)).all()}
        job = s.exec(select(OutboxMessage).where(OutboxMessage.method == "golive.usage_match")).one()
    assert matched == {"cora@acme.test": "U0CUST1", "ghost@acme.test": None}  # unmatched kept
    assert cache == {"cora@acme.test": "U0CUST1", "ghost@acme.test": None} and job.status == "sent"
