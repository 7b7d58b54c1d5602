"""The demo's adoption chapters: the launch-week chart the digest carried and usage imported from a CSV file
at the end of launch week; the first weekly adoption report with its nudges. Listed in demo.py's STORY."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.devkit.stage import Demo, local
from bot.features.digest.chart import launch_chart
from bot.features.launches.service import LaunchInput
from bot.features.usage.service import import_csv, match_emails
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import Launch

CSM = "U0CARLA"


def usage_import(demo: Demo) -> dict[str, Any]:
    """Friday evening of launch week: save the digest's chart, turn on adoption nudges, import usage."""
    console, sim, go_live = demo.console, demo.sim, demo.go_live
    last_day = demo.facts["last_day"]
    at = demo.at(local(last_day, 17))
    digests = [m for m in sim.dm_messages(CSM) if m.blocks and "Standup digest" in m.plain_text()]
    chart_path = demo.out_dir / "launch-week-chart.png"
    uploaded = [m for m in sim.dm_messages(CSM) if m.files]
    data = sim.file(uploaded[-1].files[0]["id"])["data"] if uploaded else None
    if not data:
        with demo.runtime.db.session() as s:
            data = launch_chart(s, s.get(Launch, demo.launch_id), at)
    chart_path.write_bytes(data)
    console.print(f"Carla had {len(digests)} standup digests this week, one per morning. The chart the digest "
                  f"carried is saved at {chart_path} (the same as `golive report --launch {demo.launch_id} "
                  "--out FILE.png`).")

    # Adoption: Carla turns on nudges, imports a usage export, and a week after go-live the report arrives.
    with demo.runtime.db.session() as s:
        spec = LaunchInput.parse({"channel": "C0ACME", "adoption_nudges": True, "quiet_days": 3,
                                  "training_link": "https://learn.example.com/acme-onboarding"}, partial=True)
        updated, _ = save_launch(s, spec, now=at)
        replan(s, updated, now=at)
    csv_path = demo.out_dir / "acme-usage.csv"
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
    with demo.runtime.db.session() as s:
        report = import_csv(s, s.get(Launch, demo.launch_id), csv_path, now=at)
    matched = match_emails(demo.runtime.db.session, demo.runtime.client, demo.launch_id, now=at, max_seconds=10)
    demo.say(at, f"Carla ran: golive usage import {csv_path.name} --launch {demo.launch_id}")
    for line, reason in report.bad:
        console.print(f"  [dim]{csv_path.name}: line {line}: {reason}[/dim]")
    console.print(f"  {report.imported} row(s) imported, {report.duplicates} duplicate(s), {report.bad_count} bad; "
                  f"{matched.matched} email(s) matched to Slack users, unmatched (kept): "
                  f"{', '.join(matched.unmatched) or 'none'}")
    return {"chart": str(chart_path), "usage_rows": report.imported, "digests": len(digests)}


def first_adoption_report(demo: Demo) -> None:
    """A week after go-live, at the launch's digest time: the first weekly adoption report and its nudges."""
    with demo.runtime.db.session() as s:
        digest_time = s.get(Launch, demo.launch_id).digest_time
    hour, minute = (int(p) for p in digest_time.split(":"))
    week_one = demo.go_live + timedelta(days=7)
    demo.at(local(week_one, hour, minute),
            f"{week_one:%a %d %b} {digest_time} — the first weekly adoption report, and a friendly nudge for people "
            "who went quiet")
