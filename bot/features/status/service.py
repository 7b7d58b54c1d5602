"""What `/golive status` and `golive launch show` say about a launch."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.core.i18n import DEFAULT_LOCALE, translator
from bot.core.text import escape
from bot.features.issues.service import counts_by_status
from bot.features.launches import service as launches
from storage.models import Launch, MemberRole, PlannedWork, WorkStatus

KIND_LABELS = {"heads_up": "heads-up to the CSMs", "checkin": "check-in", "checkin_nudge": "reminder to answer",
               "help_post": "pinned how-to-get-help message", "readiness_reminder": "go-live checklist reminder",
               "goal_review": "30-day goal review to the CSMs", "retro_prompt": "retrospective prompt",
               "retro_reminder": "retrospective reminder", "retro_summary": "retrospective summary to the CSMs",
               "digest": "standup digest to the CSMs", "adoption_report": "weekly adoption report to the CSMs"}


def local_time(instant: datetime, zone: str) -> str:
    return translator(DEFAULT_LOCALE).format_short_datetime(instant, zone)


def next_step(session: Session, launch: Launch) -> PlannedWork | None:
    return session.exec(
        select(PlannedWork)
        .where(PlannedWork.launch_id == launch.id, PlannedWork.status == WorkStatus.PENDING)
        .order_by(PlannedWork.due_at)
        .limit(1)
    ).first()


def describe_work(work: PlannedWork) -> str:
    label = KIND_LABELS.get(work.kind, work.kind.replace("_", " "))
    if work.payload.get("day"):
        label += f" (day {work.payload['day']})"
    return label


def status_text(session: Session, launch: Launch) -> str:
    csms = launches.members(session, launch.id, MemberRole.CSM)
    upcoming = next_step(session, launch)
    lines = [
        f"*{escape(launch.customer)}* — go-live {translator(DEFAULT_LOCALE).format_short_day(launch.go_live_date)} "
        f"({launch.timezone}), status *{launch.status}*",
        f"CSMs: {', '.join(f'<@{u}>' for u in csms) or 'none yet'}",
        f"Support channel: {f'<#{launch.support_channel}>' if launch.support_channel else 'not set'}",
    ]

    counts = counts_by_status(session, launch.id)
    lines.append(f"Issues: {counts.get('open', 0)} open, {counts.get('acknowledged', 0)} acknowledged, "
                 f"{counts.get('resolved', 0)} resolved")
    if upcoming is not None:
        lines.append(f"Next: {describe_work(upcoming)} on {local_time(upcoming.due_at, launch.timezone)}")
    else:
        lines.append("Next: nothing scheduled")
    return "\n".join(lines)
