"""Shared fixtures: a simulated Slack workspace, a real SQLite file, the real app over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.settings import Settings
from bot.devkit.simulator import SlackSimulator
from bot.devkit.slack_requests import SlackRequestSender
from bot.runtime import Runtime

SECRET = "test-signing-secret-0123456789"
VENDOR = "T0VENDOR"
CUSTOMER_TEAM = "T0CUSTOMER"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _native_tracebacks_on_python_3_11_7(request: pytest.FixtureRequest) -> Iterator[None]:
    """CPython 3.11.7 can fail to re-parse a test file while pytest formats a long traceback ('SystemError:
    AST constructor recursion depth mismatch', fixed in 3.11.8), turning a failure into an INTERNALERROR.
    Python's own traceback format does not re-parse whole files, so failures are shown that way there."""
    option = request.config.option
    style = getattr(option, "tbstyle", "auto")
    if sys.version_info < (3, 11, 8) and style in ("auto", "long", "short"):
        option.tbstyle = "native"
    yield
    option.tbstyle = style


@pytest.fixture(autouse=True)
def _clean_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt silently falls back to SLACK_* variables: tests must never see real ones."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "GOLIVE_")):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_slack_call_while_holding_the_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DESIGN.md, rules for the request path: no transaction (or the SQLite write lock) is held while Slack
    is called. Every Web API call made in this process is checked; a test in which one started while its
    thread held a database session fails, naming the method and where it was called from."""
    import traceback

    from slack_sdk.web.base_client import BaseClient

    from storage.db import sessions_open

    violations: list[str] = []
    real_api_call = BaseClient.api_call

    def guarded_api_call(self, api_method: str, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if sessions_open():
            frames = [f for f in traceback.extract_stack(limit=40)[:-1]
                      if "/bot/" in f.filename or "/handlers/" in f.filename]
            where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames[-4:]))
            violations.append(f"{api_method} called while holding a database session ({where})")
        return real_api_call(self, api_method, *args, **kwargs)

    monkeypatch.setattr(BaseClient, "api_call", guarded_api_call)
    yield
    assert not violations, "Slack called inside a database transaction:\n" + "\n".join(dict.fromkeys(violations))


class FakeClock:
    """A clock the test moves by hand; everything that reads 'now' in the app reads it here."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, value: datetime) -> None:
        self.now = value

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class World:
    sim: SlackSimulator
    settings: Settings
    runtime: Runtime
    slack: SlackRequestSender
    clock: FakeClock
    env: dict[str, str]
    url: str

    def tick(self, at: datetime | None = None):  # noqa: ANN201
        """Run due work at `at` (default: the fake clock) and deliver the outbox."""
        if at is not None:
            self.clock.set(at)
        result = self.runtime.tick_once(self.clock())
        self.deliver()
        return result

    def deliver(self) -> None:
        for _ in range(20):
            stats = self.runtime.sender.deliver_due(self.clock)
            if not (stats.sent or stats.retried or stats.rate_limited or stats.dead or stats.deferred):
                return


def populate(sim: SlackSimulator) -> None:
    """The workspace every scenario starts from: vendor staff, customer guests, two launches' channels."""
    sim.add_team(CUSTOMER_TEAM, "Acme Corp")
    sim.add_user("U0CSM", "carla.csm", email="carla@vendor.test")
    sim.add_user("U0CSM2", "omar.csm", email="omar@vendor.test")
    sim.add_user("U0ADMIN", "ada.admin", email="ada@vendor.test")
    sim.add_user("U0SUP", "sam.support", email="sam@vendor.test")
    sim.add_user("U0CUST1", "cora.customer", team_id=CUSTOMER_TEAM, email="cora@acme.test")
    sim.add_user("U0CUST2", "cyril.customer", team_id=CUSTOMER_TEAM, email="cyril@acme.test")
    sim.add_user("U0OTHER", "olga.other", team_id="T0OTHERCO", email="olga@other.test")
    sim.add_channel("C0ACME", "acme-golive", members=["U0CSM", "U0CUST1", "U0CUST2"], is_ext_shared=True)
    sim.add_channel("C0OTHER", "other-golive", members=["U0CSM2", "U0OTHER"], is_ext_shared=True)
    sim.add_channel("C0SUP", "support", members=["U0SUP"])
    sim.add_channel("C0URG", "urgent", members=["U0SUP"])
    sim.add_channel("C0LEAD", "acme-leadership", members=["U0CSM"])


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    with SlackSimulator(team_id=VENDOR) as simulator:
        populate(simulator)
        yield simulator


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'golive.db'}"


@pytest.fixture
def env(sim: SlackSimulator, db_url: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": sim.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": sim.url,
        "GOLIVE_DATABASE_URL": db_url,
        "GOLIVE_ADMINS": "U0ADMIN",
        "GOLIVE_TEAM_ID": VENDOR,
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2027, 3, 1, 7, 0, tzinfo=UTC))


@pytest.fixture
def world(sim: SlackSimulator, env: dict[str, str], clock: FakeClock) -> Iterator[World]:
    settings = Settings.from_env(env)
    runtime = Runtime(settings, clock=clock)
    server = runtime.web(host="127.0.0.1", port=0).start_in_thread()
    slack = SlackRequestSender(server.url, SECRET, team_id=VENDOR, response_url_base=sim.response_url_base,
                               settle=runtime.after_ack.wait_idle)
    try:
        yield World(sim=sim, settings=settings, runtime=runtime, slack=slack, clock=clock, env=env, url=server.url)
    finally:
        server.stop()
        runtime.close()


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_golive(args: list[str], env: dict[str, str], *, cwd: Path | None = None, timeout: float = 120) -> CliResult:
    """The real `golive` console script in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOLIVE_"))}
    full_env.update(env)
    exe = Path(sys.executable).with_name("golive")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli.main"]
    proc = subprocess.run(command + args, env=full_env, cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def golive(env: dict[str, str], tmp_path: Path):  # noqa: ANN201
    def run(*args: str, extra_env: dict[str, str] | None = None) -> CliResult:
        return run_golive(list(args), {**env, **(extra_env or {})}, cwd=tmp_path)

    return run


@pytest.fixture(scope="session")
def pg_cluster():  # noqa: ANN201
    """One throwaway PostgreSQL cluster for the whole run (initdb/pg_ctl as the postgres user)."""
    from tests.pg_cluster import PostgresCluster

    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster, request) -> str:  # noqa: ANN001
    """A fresh database on the shared cluster for one test."""
    import re

    name = "t_" + re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:50] + f"_{os.getpid() % 1000}"
    return pg_cluster.new_database(name)
