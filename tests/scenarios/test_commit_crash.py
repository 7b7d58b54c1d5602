"""A crash in the middle of a group commit loses only requests that were never acknowledged.

A real golive web process (the Bolt app over HTTP, SQLite with group commit) takes `/golive issue` reports
from eight clients at once. Its database is opened with a `before_commit` observer that, after a few batches
went through, stops the process on a batch of several reports just before it commits, and says so on its
standard output; the test then kills it with SIGKILL. Every report that was answered "Recorded issue" must be
in the database, once; the reports of the batch that never committed were never answered, and are not.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from sqlmodel import select

from bot.devkit.slack_requests import SlackRequestSender
from storage.db import Database
from storage.models import Issue
from tests.conftest import ROOT, SECRET, VENDOR
from tests.scenarios.test_issues import add_launch

CLIENTS = 8
REPORTS_PER_CLIENT = 40
BATCHES_BEFORE_THE_CRASH = 3

CHILD = r"""
import json, os, sys, threading
from bot.core.settings import Settings
from bot.runtime import Runtime
from storage.db import Database

env = json.loads(sys.argv[1])
committed = []

def before_commit(batch):
    committed.append(batch.members)
    if len(committed) > int(sys.argv[2]) and batch.members >= 2:
        print(f"STALLED {batch.members}", flush=True)
        threading.Event().wait()  # holding the turn, the transaction open: the crash comes now

settings = Settings.from_env(env)
runtime = Runtime(settings, db=Database(settings.database_url, before_commit=before_commit), migrate=False)
server = runtime.web(host="127.0.0.1", port=0).start_in_thread()
print(f"READY {server.url}", flush=True)
threading.Event().wait()
"""


def test_killing_golive_in_the_middle_of_a_group_commit_loses_no_acknowledged_report(world, tmp_path: Path):
    add_launch(world)
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(world.env), str(BATCHES_BEFORE_THE_CRASH)],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        ready = child.stdout.readline().split()
        assert ready and ready[0] == "READY", ready
        url = ready[1]
        answered: dict[str, int] = {}
        sent: list[str] = []
        guard = threading.Lock()
        stalled = threading.Event()

        def client(n: int) -> None:
            slack = SlackRequestSender(url, SECRET, team_id=VENDOR, timeout=60)
            for i in range(REPORTS_PER_CLIENT):
                if stalled.is_set():
                    return
                text = f"Crash report {n}-{i}"
                with guard:
                    sent.append(text)
                try:
                    result = slack.slash_command(f"issue {text}", user_id="U0CSM", channel_id="C0ACME")
                except OSError:  # the process is gone: this report was never acknowledged
                    return
                if result.status == 200 and "Recorded issue" in result.body_text:
                    with guard:
                        answered[text] = result.status

        clients = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in clients:
            thread.start()
        line = child.stdout.readline().split()  # blocks until the child stalls (or exits, when it never did)
        assert line and line[0] == "STALLED", f"no batch of several reports formed: {line}"
        stalled.set()
        in_the_lost_batch = int(line[1])
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        for thread in clients:
            thread.join(90)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)

    db = Database(world.env["GOLIVE_DATABASE_URL"])
    try:
        with db.read() as s:
            texts = [issue.text for issue in s.exec(select(Issue)).all()]
    finally:
        db.dispose()
    assert answered, "no report was acknowledged before the crash"
    missing = sorted(set(answered) - set(texts))
    assert missing == [], f"acknowledged but lost: {missing}"
    assert len(texts) == len(set(texts)), "a report was recorded twice"
    assert set(texts) <= set(sent)
    # The batch that was about to commit is gone, and none of its reports had been acknowledged.
    assert len(sent) - len(texts) >= in_the_lost_batch
