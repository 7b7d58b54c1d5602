"""The launch-week chart: answers per day as stacked bars (good / friction / blocked) and open issues as a
line, rendered headless (matplotlib's Agg canvas, no pyplot state, safe in worker threads)."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.features.checkins.service import checkin_days
from storage.models import Answer, CheckIn, CheckInAnswer, Issue, Launch

COLOURS = {"good": "#2eb67d", "friction": "#ecb22e", "blocked": "#e01e5a", "issues": "#1d4ed8"}
MAX_PANELS = 6


@dataclass(frozen=True)
class DayPoint:
    day: date
    good: int
    friction: int
    blocked: int
    open_issues: int


@dataclass(frozen=True)
class LaunchSeries:
    title: str
    points: list[DayPoint]


def local_today(launch: Launch, now: datetime) -> date:
    return now.astimezone(ZoneInfo(launch.timezone)).date()


def open_at(issues: list[tuple[datetime, datetime | None]], instant: datetime) -> int:
    return sum(1 for created, resolved in issues if created <= instant and (resolved is None or resolved > instant))


def launch_series(session: Session, launch: Launch, now: datetime) -> LaunchSeries:
    """Launch week so far (every planned day, when it has not started yet)."""
    return launch_series_many(session, [launch], now)[0]


def launch_series_many(session: Session, launches: Sequence[Launch], now: datetime) -> list[LaunchSeries]:
    """`launch_series` of each launch, in the same order, read with two statements for all of them."""
    ids = [launch.id for launch in launches]
    if not ids:
        return []
    answers: dict[int, dict[date, dict[str, int]]] = defaultdict(dict)
    for launch_id, day, answer, count in session.connection().execute(
            select(CheckIn.launch_id, CheckIn.local_date, CheckInAnswer.answer, func.count(CheckInAnswer.id))
            .join(CheckInAnswer, CheckInAnswer.check_in_id == CheckIn.id)
            .where(col(CheckIn.launch_id).in_(ids))
            .group_by(CheckIn.launch_id, CheckIn.local_date, CheckInAnswer.answer)).all():
        answers[launch_id].setdefault(day, {a.value: 0 for a in Answer})[answer] = count
    issues: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for launch_id, created, resolved in session.connection().execute(
            select(Issue.launch_id, Issue.created_at, Issue.resolved_at).where(col(Issue.launch_id).in_(ids))).all():
        issues[launch_id].append((created, resolved))
    return [_series(launch, now, answers.get(launch.id, {}), issues.get(launch.id, [])) for launch in launches]


def _series(launch: Launch, now: datetime, answers: dict[date, dict[str, int]],
            issues: list[tuple[datetime, datetime | None]]) -> LaunchSeries:
    zone = ZoneInfo(launch.timezone)
    today = local_today(launch, now)
    days = checkin_days(launch)
    shown = [d for d in days if d <= today] or days
    points = []
    for day in shown:
        end = min(datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone), now)
        counts = answers.get(day, {})
        points.append(DayPoint(day, counts.get("good", 0), counts.get("friction", 0), counts.get("blocked", 0),
                               open_at(issues, end) if day <= today else 0))
    return LaunchSeries(title=f"{launch.customer} — launch week", points=points)


def render_png(series: list[LaunchSeries], *, dpi: int = 110) -> bytes:
    """One panel per launch (at most MAX_PANELS), stacked answer bars and the open-issue line."""
    # matplotlib costs a noticeable start-up time and memory: only a process that draws a chart pays for it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - lazy, see above
    from matplotlib.figure import Figure  # noqa: PLC0415 - lazy, see above
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 - lazy, see above

    shown = series[:MAX_PANELS] or [LaunchSeries("No launch in its launch week", [])]
    fig = Figure(figsize=(7.5, 2.9 * len(shown)), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(shown), 1, squeeze=False)[:, 0]
    for ax, item in zip(axes, shown, strict=True):
        labels = [f"{p.day:%a %d %b}" for p in item.points]
        x = list(range(len(item.points)))
        good = [p.good for p in item.points]
        friction = [p.friction for p in item.points]
        blocked = [p.blocked for p in item.points]
        ax.bar(x, good, color=COLOURS["good"], label="good")
        ax.bar(x, friction, bottom=good, color=COLOURS["friction"], label="friction")
        ax.bar(x, blocked, bottom=[g + f for g, f in zip(good, friction, strict=True)], color=COLOURS["blocked"],
               label="blocked")
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_ylabel("answers")
        ax.set_title(item.title, fontsize=10, loc="left")
        ax.spines[["top"]].set_visible(False)
        top = max([g + f + b for g, f, b in zip(good, friction, blocked, strict=True)] + [1])
        ax.set_ylim(0, top * 1.2)
        line_ax = ax.twinx()
        line_ax.plot(x, [p.open_issues for p in item.points], color=COLOURS["issues"], marker="o",
                     label="open issues")
        line_ax.set_ylabel("open issues")
        line_ax.set_ylim(0, max([p.open_issues for p in item.points] + [1]) * 1.3)
        line_ax.spines[["top"]].set_visible(False)
        for axis in (ax.yaxis, line_ax.yaxis):
            axis.set_major_locator(MaxNLocator(integer=True))
        handles = ax.get_legend_handles_labels()[0] + line_ax.get_legend_handles_labels()[0]
        ax.legend(handles=handles, fontsize=7, loc="upper left", ncols=4, frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def launch_chart(session: Session, launch: Launch, now: datetime) -> bytes:
    return render_png([launch_series(session, launch, now)])
