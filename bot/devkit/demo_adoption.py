"""The demo's CSM morning and adoption: the standup digest with its chart, usage imported from a CSV file,
and the first weekly adoption report with its nudges. Called by `golive demo` after launch week."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.panel import Panel
from sqlmodel import select

from bot.devkit.stage import deliver
from bot.features.checkins.service import checkin_days
from bot.features.digest.chart import launch_chart
from bot.features.launches.service import LaunchInput
from bot.features.usage.service import import_csv, match_emails
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import Launch

CSM = "U0CARLA"


def _local(launch: Launch, day: date, hhmm: str) -> datetime:
    hour, minute = (int(p) for p in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(launch.timezone)).astimezone(UTC)


def show_digest_and_adoption(runtime: Any, slack: Any, stage: Any, clock: Any, go_live: date, out_dir: Path) -> dict:
    """Tick a launch-week digest, save its chart, import usage, tick the first adoption report."""
    console, sim = stage.console, stage.sim
    out_dir = Path(out_dir)
    with runtime.db.session() as s:
        launch = s.exec(select(Launch).where(Launch.channel == "C0ACME")).one()
        days = checkin_days(launch)
    day = days[-1]
    at = _local(launch, day, launch.digest_time)
    clock.now = at
    runtime.tick_once(at)
    deliver(runtime, clock)
    stage.show_new(f"{day:%a %d %b} {launch.digest_time} — Carla's standup digest")
    digests = [m for m in sim.dm_messages(CSM) if m.blocks and "Standup digest" in m.plain_text()]
    if digests:
        console.print(Panel(digests[-1].plain_text(), title=f"Carla's latest standup digest ({len(digests)} this "
                                                             "week, one per morning)", title_align="left",
                            border_style="blue", expand=False))
    chart_path = out_dir / "launch-week-chart.png"
    uploaded = [m for m in sim.dm_messages(CSM) if m.files]
    data = sim.file(uploaded[-1].files[0]["id"])["data"] if uploaded else None
    if not data:
        with runtime.db.session() as s:
            data = launch_chart(s, s.get(Launch, launch.id), clock.now)
    chart_path.write_bytes(data)
    console.print(f"The chart the digest carried is saved at {chart_path} "
                  f"(the same as `golive report --launch {launch.id} --out FILE.png`).")

    # Adoption: Carla turns on nudges, imports a usage export, and a week after go-live the report arrives.
    with runtime.db.session() as s:
        spec = LaunchInput.parse({"channel": "C0ACME", "adoption_nudges": True, "quiet_days": 3,
                                  "training_link": "https://learn.example.com/acme-onboarding"}, partial=True)
        updated, _ = save_launch(s, spec, now=clock.now)
        replan(s, updated, now=clock.now)
    csv_path = out_dir / "acme-usage.csv"
    rows = ["email,last_active_at,feature"]
    for offset in range(5):
        active = go_live + timedelta(days=offset)
        rows.append(f"cora@acme.test,{active}T09:{10 + offset}:00Z,reports")
        rows.append(f"cora@acme.test,{active}T10:{10 + offset}:00Z,dashboards")
        rows.append(f"carl@acme.test,{active}T14:00:00Z,exports")
    rows.append(f"cyril@acme.test,{go_live}T11:00:00Z,reports")  # tried it on go-live day, then went quiet
    rows.append(f"dana@acme.test,{go_live + timedelta(days=2)}T08:00:00Z,reports")  # not in Slack
    rows.append("broken-row,not-a-date,reports")
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with runtime.db.session() as s:
        report = import_csv(s, s.get(Launch, launch.id), csv_path, now=clock.now)
    matched = match_emails(runtime.db.session, runtime.client, launch.id, now=clock.now, max_seconds=10)
    console.print(f"Carla ran: golive usage import {csv_path.name} --launch {launch.id}")
    for line, reason in report.bad:
        console.print(f"  [dim]{csv_path.name}: line {line}: {reason}[/dim]")
    console.print(f"  {report.imported} row(s) imported, {report.duplicates} duplicate(s), {report.bad_count} bad; "
                  f"{matched.matched} email(s) matched to Slack users, unmatched (kept): "
                  f"{', '.join(matched.unmatched) or 'none'}")
    week_one = _local(launch, go_live + timedelta(days=7), launch.digest_time)
    clock.now = week_one
    runtime.tick_once(week_one)
    deliver(runtime, clock)
    deliver(runtime, clock)
    stage.show_new(f"{go_live + timedelta(days=7):%a %d %b} {launch.digest_time} — the first weekly adoption report, "
                   "and a friendly nudge for people who went quiet")
    return {"chart": str(chart_path), "usage_rows": report.imported, "digests": len(digests)}
