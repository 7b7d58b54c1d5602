"""Launch week in numbers, read from what is stored: answers and participation, issues reported and
resolved, median times to first response and to resolution, satisfaction, SLA breaches and the week's
themes. The launch-week wrap-up, the retrospective and the 30-day outcome are told with these."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from bot.core.clock import business_days_from, local_instant, parse_hhmm, parse_zone
from bot.core.i18n import DEFAULT_LOCALE, Translator, translator
from bot.features.checkins.service import checkin_days
from bot.features.launches.service import holidays_of
from bot.features.themes.summary import ThemeLine, launch_themes, theme_text
from storage.models import CheckIn, CheckInAnswer, Issue, IssueStatus, Launch, UsageRecord

ACTIVE_DAYS = 7  # "active" in the 30-day outcome: used the product in the last week


@dataclass(frozen=True)
class LaunchWeek:
    start: datetime  # local midnight of the first check-in day, in UTC
    end: datetime  # local midnight after the last check-in day, in UTC
    days: list[date]


def launch_week(launch: Launch) -> LaunchWeek:
    zone = ZoneInfo(launch.timezone)
    days = checkin_days(launch)
    return LaunchWeek(datetime.combine(days[0], time(0), tzinfo=zone).astimezone(UTC),
                      datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=zone)
                      .astimezone(UTC), days)


def wrapup_instant(launch: Launch) -> datetime:
    """The first business day after the last check-in day, at the launch's digest time."""
    days = checkin_days(launch)
    day = business_days_from(days[-1] + timedelta(days=1), 1, holidays_of(launch))[0]
    return local_instant(day, parse_hhmm(launch.digest_time), parse_zone(launch.timezone))


@dataclass
class WeekFacts:
    answers: int = 0
    people: int = 0  # distinct people who answered at least once
    audience: int | None = None  # customers in the launch channel, when known
    by_day: list[tuple[int, date, dict[str, int]]] = field(default_factory=list)  # (day number, date, counts)
    issues: int = 0
    resolved: int = 0
    open_sev1: int = 0
    median_first_response: timedelta | None = None
    median_resolution: timedelta | None = None
    satisfied: int = 0
    unsatisfied: int = 0
    sla_breaches: list[int] = field(default_factory=list)  # issue numbers escalated for want of an acknowledgement
    themes: list[ThemeLine] = field(default_factory=list)

    @property
    def participation(self) -> float | None:
        return self.people / self.audience if self.audience else None

    def most_blocked_day(self) -> tuple[int, date, int] | None:
        """(day number, date, blocked answers) of the day most people were blocked, if anyone was."""
        best = max(self.by_day, key=lambda d: (d[2].get("blocked", 0), -d[0]), default=None)
        if best is None or not best[2].get("blocked", 0):
            return None
        return best[0], best[1], best[2]["blocked"]


def _median(values: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values)) if values else None


def week_facts(session: Session, launch: Launch, *, now: datetime, audience: int | None = None,
               themes: int = 3) -> WeekFacts:
    """What launch week was, as stored at `now`: check-in answers of its days, the issues reported up to
    the end of the week (and what became of them by `now`), and the week's themes against the week before."""
    week = launch_week(launch)
    end = min(week.end, now)
    facts = WeekFacts(audience=audience)
    rows = session.exec(select(CheckIn.day_number, CheckIn.local_date, CheckInAnswer.answer, CheckInAnswer.user_id)
                        .join(CheckInAnswer, CheckInAnswer.check_in_id == CheckIn.id)
                        .where(CheckIn.launch_id == launch.id)).all()
    per_day: dict[tuple[int, date], Counter[str]] = {}
    people: set[str] = set()
    for number, day, answer, user in rows:
        per_day.setdefault((number, day), Counter())[answer] += 1
        people.add(user)
    facts.answers, facts.people = len(rows), len(people)
    facts.by_day = [(n, d, dict(c)) for (n, d), c in sorted(per_day.items())]
    issues = session.exec(select(Issue).where(Issue.launch_id == launch.id, Issue.created_at < week.end)
                          .order_by(Issue.number)).all()
    facts.issues = len(issues)
    facts.resolved = sum(i.status == IssueStatus.RESOLVED for i in issues)
    facts.open_sev1 = sum(i.status != IssueStatus.RESOLVED and i.severity == "sev1" for i in issues)
    facts.median_first_response = _median([i.acknowledged_at - i.created_at for i in issues if i.acknowledged_at])
    facts.median_resolution = _median([i.resolved_at - i.created_at for i in issues if i.resolved_at])
    facts.satisfied = sum(i.satisfaction == "up" for i in issues)
    facts.unsatisfied = sum(i.satisfaction == "down" for i in issues)
    facts.sla_breaches = [i.number for i in issues if i.escalation_count]
    if themes:
        facts.themes = launch_themes(session, launch.id, start=week.start, end=end if end > week.start else week.end,
                                     limit=themes).themes
    return facts


@dataclass(frozen=True)
class Adoption:
    known: int  # people in the usage data
    active: int  # of them, active in the last ACTIVE_DAYS days


def adoption(session: Session, launch_id: int, now: datetime) -> Adoption | None:
    """Product usage as imported (`golive usage import`, POST /api/usage); None when there is none."""
    rows = session.exec(select(UsageRecord.email, func.max(UsageRecord.last_active_at))
                        .where(UsageRecord.launch_id == launch_id).group_by(UsageRecord.email)).all()
    if not rows:
        return None
    since = now - timedelta(days=ACTIVE_DAYS)
    return Adoption(len(rows), sum(1 for _, last in rows if last is not None and since <= last <= now))


# -- the facts as text (mrkdwn), for the wrap-up, the retrospective and the 30-day outcome ------------


def duration_text(delta: timedelta, t: Translator | None = None) -> str:
    t = t if t is not None else translator(DEFAULT_LOCALE)
    minutes = round(delta.total_seconds() / 60)
    if minutes < 60:
        return t.gettext("{minutes} min", minutes=t.format_number(minutes))
    if minutes < 48 * 60:
        return t.gettext("{hours} h {minutes} min", hours=t.format_number(minutes // 60),
                         minutes=t.format_number(minutes % 60))
    return t.ngettext("{count} day", "{count} days", minutes // 1440)


def percent(part: int, whole: int, t: Translator | None = None) -> str:
    if not whole:
        return "—"
    return (t if t is not None else translator(DEFAULT_LOCALE)).format_percent(part / whole)


def week_lines(facts: WeekFacts, t: Translator | None = None) -> list[str]:
    """The week's numbers as mrkdwn bullets in `t`'s language (shared by the wrap-up, which the customer's
    leadership reads in the launch's language, and the retrospective summary, in the CSM's)."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    if facts.audience:
        participation = t.ngettext("{people} of {count} person in the channel answered ({percent})",
                                   "{people} of {count} people in the channel answered ({percent})", facts.audience,
                                   people=t.format_number(facts.people),
                                   percent=percent(facts.people, facts.audience, t))
    else:
        participation = t.ngettext("{count} person answered", "{count} people answered", facts.people)
    # TRANSLATORS: {answers} is "40 answers", {days} "5 days", {participation} "9 of 12 people … answered (75%)".
    lines = [t.gettext("• *Check-ins:* {answers} over {days}; {participation}",
                       answers=t.ngettext("{count} answer", "{count} answers", facts.answers),
                       days=t.ngettext("{count} day", "{count} days", len(facts.by_day)), participation=participation)]
    blocked = facts.most_blocked_day()
    if blocked:
        lines.append(t.gettext("• *Most blocked:* {count} on day {day} ({date})", count=t.format_number(blocked[2]),
                               day=blocked[0], date=t.format_short_day(blocked[1], year=False)))
    values = {"reported": t.format_number(facts.issues), "resolved": t.format_number(facts.resolved)}
    if facts.open_sev1:
        lines.append(t.gettext("• *Issues:* {reported} reported, {resolved} resolved, {open} sev1 still open",
                               open=t.format_number(facts.open_sev1), **values))
    else:
        lines.append(t.gettext("• *Issues:* {reported} reported, {resolved} resolved", **values))
    first = duration_text(facts.median_first_response, t) if facts.median_first_response else "—"
    fixed = duration_text(facts.median_resolution, t) if facts.median_resolution else "—"
    lines.append(t.gettext("• *Median time* to first response: {first} · to resolution: {fixed}", first=first,
                           fixed=fixed))
    if facts.sla_breaches:
        lines.append(t.gettext("• *SLA breaches:* {count} ({issues})", count=t.format_number(len(facts.sla_breaches)),
                               issues=", ".join(f"#{n}" for n in facts.sla_breaches[:10])))
    else:
        lines.append(t.gettext("• *SLA breaches:* none"))
    rated = facts.satisfied + facts.unsatisfied
    values = {"up": t.format_number(facts.satisfied), "down": t.format_number(facts.unsatisfied)}
    if rated:
        lines.append(t.gettext("• *Satisfaction:* :thumbsup: {up} · :thumbsdown: {down} ({percent} helpful)",
                               percent=percent(facts.satisfied, rated, t), **values))
    else:
        lines.append(t.gettext("• *Satisfaction:* :thumbsup: {up} · :thumbsdown: {down} (no ratings yet)", **values))
    return lines


def themes_text(themes: list[ThemeLine], *, title: str | None = None, t: Translator | None = None) -> str:
    """The themes as mrkdwn under `title` (default "Top themes", in `t`'s language); theme names and quotes
    are the customer's words."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    title = title if title is not None else t.gettext("Top themes")
    if not themes:
        return t.gettext("*{title}:* nothing came up more than once.", title=title)
    return t.gettext("*{title}:*\n{themes}", title=title, themes="\n".join(f"• {theme_text(x, t)}" for x in themes))
