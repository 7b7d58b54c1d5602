"""The CSM's morning and adoption: the standup digest on launch-week business days, the weekly adoption
report for 30 days after go-live, and the App Home refresh for recent visitors."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.core.clock import is_business_day, local_instant, parse_hhmm, parse_zone
from bot.features.adoption import service as adoption
from bot.features.checkins.service import checkin_days, holidays_of
from bot.features.digest import service as digest
from bot.features.home import service as home
from schedules.plan import PlannedItem, planner
from schedules.registry import Sweeper, WorkKind, register, register_sweeper
from storage.models import Launch

# A digest is for the morning standup: more than 3 h late it is skipped (visibly), not sent at lunch.
DIGEST = register(WorkKind("digest", digest.queue_digests, grace=timedelta(hours=3)))
ADOPTION_REPORT = register(WorkKind("adoption_report", adoption.queue_report, grace=timedelta(hours=24)))
HOME_REFRESH = register_sweeper(Sweeper("home_refresh", home.due_refreshes, home.queue_refresh))


@planner
def plan_digests(session: Session, launch: Launch) -> list[PlannedItem]:
    """One digest per launch-week business day at the launch's digest time (local)."""
    zone = parse_zone(launch.timezone)
    at = parse_hhmm(launch.digest_time)
    return [PlannedItem(kind=DIGEST.name, key=f"launch:{launch.id}:digest:{number}",
                        due_at=local_instant(day, at, zone), payload={"day": number, "date": day.isoformat()})
            for number, day in enumerate(checkin_days(launch), start=1)]


@planner
def plan_adoption_reports(session: Session, launch: Launch) -> list[PlannedItem]:
    """Go-live + 7, 14, 21 and 28 days at the digest time (a weekend or holiday moves to the next business day)."""
    zone = parse_zone(launch.timezone)
    at = parse_hhmm(launch.digest_time)
    holidays = holidays_of(launch)
    items = []
    for week in adoption.REPORT_WEEKS:
        day = launch.go_live_date + timedelta(days=7 * week)
        while not is_business_day(day, holidays):
            day += timedelta(days=1)
        items.append(PlannedItem(kind=ADOPTION_REPORT.name, key=f"launch:{launch.id}:adoption:{week}",
                                 due_at=local_instant(day, at, zone), payload={"week": week,
                                                                               "date": day.isoformat()}))
    return items
