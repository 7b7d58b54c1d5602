"""When the CSM's standup digest goes out: each launch-week business day at the launch's digest time."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.core.clock import local_instant, parse_hhmm, parse_zone
from bot.features.checkins.service import checkin_days
from bot.features.digest.service import queue_digests
from schedules.plan import PlannedItem
from schedules.registry import WorkKind
from storage.models import Launch

# A digest is for the morning standup: more than 3 h late it is skipped (visibly), not sent at lunch.
DIGEST = WorkKind("digest", queue_digests, grace=timedelta(hours=3))


def plan_digests(session: Session, launch: Launch) -> list[PlannedItem]:
    """One digest per launch-week business day at the launch's digest time (local)."""
    zone = parse_zone(launch.timezone)
    at = parse_hhmm(launch.digest_time)
    return [PlannedItem(kind=DIGEST.name, key=f"launch:{launch.id}:digest:{number}",
                        due_at=local_instant(day, at, zone), payload={"day": number, "date": day.isoformat()})
            for number, day in enumerate(checkin_days(launch), start=1)]


KINDS = (DIGEST,)
PLANNERS = (plan_digests,)
