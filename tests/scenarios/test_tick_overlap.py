"""`golive tick` delivers while it is still doing the scheduled work (as the worker does), so a cron-driven
go-live morning posts its first check-ins before the last launch has been planned, and still does each piece
of work once and delivers everything."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time

from sqlmodel import func, select

from storage.db import Database
from storage.models import PlannedWork, WorkStatus
from tests.scenarios.dates import monday_ahead

LAUNCHES = 40
GO_LIVE = monday_ahead(2)
CHECKIN_AT = datetime.combine(GO_LIVE, time(9, 0), tzinfo=UTC)
AT = CHECKIN_AT.isoformat().replace("+00:00", "Z")


def import_launches(golive, sim, tmp_path) -> list[str]:  # noqa: ANN001
    channels = [f"C0LAUNCH{i:03d}" for i in range(LAUNCHES)]
    lines = ["launches:"]
    for i, channel in enumerate(channels):
        sim.add_channel(channel, f"launch-{i}", members=["U0CSM"])
        lines += [f"  - customer: Customer {i}", f"    channel: {channel}", f"    go_live: '{GO_LIVE}'",
                  "    tz: UTC", "    checkin_time: '09:00'"]
    path = tmp_path / "launches.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = golive("launch", "import", str(path))
    assert result.code == 0, result.stderr
    return channels


def unfinished(db: Database) -> int:
    """Planned work due by the tick's instant that is not done yet."""
    with db.read() as s:
        return s.exec(select(func.count(PlannedWork.id)).where(
            PlannedWork.due_at <= CHECKIN_AT,
            PlannedWork.status.in_((WorkStatus.PENDING, WorkStatus.RUNNING)))).one()


def checkins(sim, channel: str) -> list[str]:  # noqa: ANN001
    return [m.plain_text() for m in sim.messages(channel) if not m.is_reply and "How is" in m.plain_text()]


def test_tick_posts_the_first_check_ins_while_later_launches_are_still_being_planned(golive, sim, db_url,
                                                                                   tmp_path):
    channels = import_launches(golive, sim, tmp_path)
    db = Database(db_url)
    try:
        assert unfinished(db) >= LAUNCHES  # every launch's check-in (and its earlier work) is due at 09:00
        # Slack holds each post a moment, so the state of the tick can be read while the first one is in flight.
        sim.set_latency(0.5, "chat.postMessage")
        box: dict = {}
        cli = threading.Thread(target=lambda: box.update(result=golive("tick", "--at", AT, "--wait", "5")))
        cli.start()
        try:
            sim.wait_for(lambda: sim.in_flight("chat.postMessage"), timeout=60)
            left_when_first_post_arrived = unfinished(db)
        finally:
            sim.set_latency(0.0, "chat.postMessage")
            cli.join(timeout=120)
        result = box["result"]
        assert result.code == 0, result.stderr
        # The first post reached Slack while the tick still had work due at 09:00 to do.
        assert left_when_first_post_arrived > 0
        # And the contract holds: all of it done once, every check-in delivered once.
        assert unfinished(db) == 0
        assert "delivered" in result.stderr
        for channel in channels:
            assert len(checkins(sim, channel)) == 1, channel
        again = golive("tick", "--at", AT, "--wait", "1")
        assert again.code == 0 and " 0 done, 0 skipped, 0 failed" in again.stderr
        assert all(len(checkins(sim, channel)) == 1 for channel in channels)
    finally:
        db.dispose()
