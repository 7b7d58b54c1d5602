"""The same code on PostgreSQL: migrations, and three tick processes doing each piece of work once."""

from __future__ import annotations

import re
import subprocess
import sys

from sqlalchemy import text

from bot.devkit.simulator import SlackSimulator
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import ROOT, populate


def test_three_tick_processes_on_one_postgres_database_do_each_piece_of_work_once(pg_url, clock):
    db = Database(pg_url)
    upgrade(db)
    with SlackSimulator() as sim:
        populate(sim)
        channels = [f"C0PG{i:03d}" for i in range(30)]
        with db.session() as s:
            for channel in channels:
                sim.add_channel(channel, channel.lower(), members=["U0CSM"])
                launch, _ = save_launch(s, LaunchInput.parse({
                    "customer": f"Customer {channel}", "channel": channel, "go_live": "2027-03-08",
                    "tz": "Europe/Berlin", "csm": ["U0CSM"]}), now=clock())
                replan(s, launch, now=clock())
        env = {"SLACK_BOT_TOKEN": sim.bot_token, "SLACK_API_URL": sim.url, "GOLIVE_DATABASE_URL": pg_url,
               "PATH": "/usr/bin:/bin"}
        procs = [
            # --wait bounds how long a tick waits for a retry to fall due (it exits as soon as nothing is
            # pending), so a generous value costs nothing and a slow machine cannot leave a post behind.
            subprocess.Popen([sys.executable, "-m", "bot.cli.main", "tick", "--at", "2027-03-05T09:00:00Z",
                              "--wait", "120"],
                             env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        outputs = [p.communicate(timeout=600) for p in procs]  # a bound against hanging
        assert all(p.returncode == 0 for p in procs), outputs
        done = [int(re.search(r"(\d+) done", err).group(1)) for _, err in outputs]
        assert sum(done) == len(channels)
        texts = [m.plain_text() for m in sim.dm_messages("U0CSM")]
        assert sorted(t.split("*")[1] for t in texts) == sorted(f"Customer {c}" for c in channels)
    with db.session() as s:
        done_sql = "select count(*) from planned_work where status = 'done' and kind = 'heads_up'"
        assert s.execute(text(done_sql)).scalar() == len(channels)
        assert s.execute(text("select count(*) from outbox_message where status = 'sent'")).scalar() == len(channels)
    db.dispose()
