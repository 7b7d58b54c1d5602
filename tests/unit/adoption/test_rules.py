"""Adoption rules that need no database: names, who is away, and when reports go out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.people import Profile
from bot.features.adoption.compose import report_period_start
from bot.features.adoption.plan import ADOPTION_REPORT, plan_adoption_reports
from bot.features.adoption.service import _names, away_status, went_live_at
from tests.unit.factories import BERLIN, launch, next_weekday

TZ = ZoneInfo(BERLIN)


def test_names_lists_25_and_counts_the_rest() -> None:
    people = [f"<@U{n}>" for n in range(30)]
    assert _names(people).endswith("<@U24> and 5 more")
    assert _names(people[:2]) == "<@U0>, <@U1>"
    assert _names([]) == ""


def test_four_weekly_reports_at_digest_time_on_business_days() -> None:
    monday = next_weekday(launch().go_live_date, 0)
    items = plan_adoption_reports(None, launch(go_live_date=monday, digest_time="08:30"))  # type: ignore[arg-type]
    assert [i.kind for i in items] == [ADOPTION_REPORT.name] * 4
    assert [i.payload["week"] for i in items] == [1, 2, 3, 4]
    assert [i.due_at.astimezone(TZ).date() for i in items] == [monday + timedelta(weeks=w) for w in (1, 2, 3, 4)]
    assert all(i.due_at.astimezone(TZ).time() == time(8, 30) for i in items)


def test_a_report_due_on_a_weekend_or_holiday_moves_to_the_next_business_day() -> None:
    saturday = next_weekday(launch().go_live_date, 5)
    monday_after_week_one = saturday + timedelta(days=9)
    items = plan_adoption_reports(None, launch(go_live_date=saturday,  # type: ignore[arg-type]
                                               holidays=[monday_after_week_one.isoformat()]))
    assert items[0].payload["date"] == (monday_after_week_one + timedelta(days=1)).isoformat()
    assert all(i.due_at.astimezone(TZ).weekday() < 5 for i in items)


NOW = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)


def status(emoji: str = "", text: str = "", expires: datetime | None = None) -> Profile:
    return Profile(user_id="U0P", status_emoji=emoji, status_text=text,
                   status_expiration=int(expires.timestamp()) if expires else 0)


@pytest.mark.parametrize(("emoji", "text"), [
    (":palm_tree:", "Vacationing"), (":face_with_thermometer:", "Out sick"), ("", "OOO until Monday"),
    ("", "Out of office"), ("", "on parental leave"), (":sunny:", "Holiday!"), ("", "Im Urlaub"),
    ("", "en congé"), (":airplane:", ""), ("", "PTO"), ("", "sick"),
])
def test_a_status_saying_time_off_travel_illness_or_leave_means_away(emoji: str, text: str) -> None:
    assert away_status(status(emoji, text), NOW) is not None


@pytest.mark.parametrize(("emoji", "text"), [
    (":spiral_calendar_pad:", "In a meeting"), (":bus:", "Commuting"), (":house_with_garden:", "Working remotely"),
    ("", ""), (":coffee:", "back in 5"), ("", "Illustrating the release notes"),
])
def test_a_busy_or_empty_status_is_not_away(emoji: str, text: str) -> None:
    assert away_status(status(emoji, text), NOW) is None


def test_an_expired_away_status_no_longer_counts_and_an_unexpired_one_does() -> None:
    assert away_status(status(":palm_tree:", "Vacationing", NOW - timedelta(minutes=1)), NOW) is None
    assert away_status(status(":palm_tree:", "Vacationing", NOW + timedelta(days=3)), NOW) == ":palm_tree: Vacationing"
    assert away_status(None, NOW) is None


def test_since_go_live_starts_at_local_midnight_of_the_go_live_day_or_earlier_when_declared_live_early() -> None:
    planned = launch()
    midnight = datetime.combine(planned.go_live_date, time(0), tzinfo=TZ)
    assert went_live_at(planned) == midnight
    early = midnight - timedelta(days=2, hours=-10)
    assert went_live_at(launch(live_at=early)) == early
    assert went_live_at(launch(live_at=midnight + timedelta(hours=9))) == midnight  # live later that day


def test_the_first_report_reads_new_themes_from_go_live_and_later_ones_from_the_previous_report() -> None:
    planned = launch()
    items = plan_adoption_reports(None, planned)  # type: ignore[arg-type]
    assert report_period_start(planned, 1) == went_live_at(planned)
    assert report_period_start(planned, 3) == items[1].due_at
