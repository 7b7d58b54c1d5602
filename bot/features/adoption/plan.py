"""When adoption reports go out: weekly for 30 days after go-live, at the launch's digest time."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.core.clock import is_business_day, local_instant, parse_hhmm, parse_zone
from bot.features.adoption.service import REPORT_WEEKS, queue_report
from bot.features.launches.service import holidays_of
from schedules.plan import PlannedItem
from schedules.registry import WorkKind
from storage.models import Launch

ADOPTION_REPORT = WorkKind("adoption_report", queue_report, grace=timedelta(hours=24))


def plan_adoption_reports(session: Session, launch: Launch) -> list[PlannedItem]:
    """Go-live + 7, 14, 21 and 28 days at the digest time (a weekend or holiday moves to the next business day)."""
    zone = parse_zone(launch.timezone)
    at = parse_hhmm(launch.digest_time)
    holidays = holidays_of(launch)
    items = []
    for week in REPORT_WEEKS:
        day = launch.go_live_date + timedelta(days=7 * week)
        while not is_business_day(day, holidays):
            day += timedelta(days=1)
        items.append(PlannedItem(kind=ADOPTION_REPORT.name, key=f"launch:{launch.id}:adoption:{week}",
                                 due_at=local_instant(day, at, zone), payload={"week": week,
                                                                               "date": day.isoformat()}))
    return items


KINDS = (ADOPTION_REPORT,)
PLANNERS = (plan_adoption_reports,)
