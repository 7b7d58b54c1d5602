"""`golive export`: launches and what happened in them, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from bot.features.launches import service as launches
from storage.models import Launch, MemberRole

Section = Callable[[Session, int | None], list[dict[str, Any]]]
SECTIONS: dict[str, Section] = {}


def section(name: str) -> Callable[[Section], Section]:
    def wrap(fn: Section) -> Section:
        SECTIONS[name] = fn
        return fn

    return wrap


def iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


@section("launches")
def export_launches(session: Session, launch_id: int | None) -> list[dict[str, Any]]:
    query = select(Launch).order_by(Launch.id)
    if launch_id is not None:
        query = query.where(Launch.id == launch_id)
    rows = []
    for launch in session.exec(query):
        rows.append({
            "id": launch.id, "customer": launch.customer, "channel": launch.channel,
            "go_live_date": iso(launch.go_live_date), "timezone": launch.timezone, "status": launch.status,
            "checkin_time": launch.checkin_time, "digest_time": launch.digest_time,
            "checkin_days": launch.checkin_days, "support_channel": launch.support_channel,
            "urgent_channel": launch.urgent_channel, "oncall": launch.oncall,
            "leadership_channel": launch.leadership_channel, "retro_after_days": launch.retro_after_days,
            "csms": launches.members(session, launch.id, MemberRole.CSM),
            "leaders": launches.members(session, launch.id, MemberRole.LEADER),
            "goals": [g.text for g in launches.goals(session, launch.id)],
            "holidays": list(launch.holidays or []), "nudges": launch.nudges_enabled,
            "created_at": iso(launch.created_at),
        })
    return rows


@section("checkin_responses")
def export_checkin_responses(session: Session, launch_id: int | None) -> list[dict[str, Any]]:
    from bot.features.checkins.service import export_rows

    return export_rows(session, launch_id)


@section("issues")
def export_issues(session: Session, launch_id: int | None) -> list[dict[str, Any]]:
    from bot.features.issues.service import export_rows

    return export_rows(session, launch_id)


def collect(session: Session, launch_id: int | None) -> dict[str, list[dict[str, Any]]]:
    if launch_id is not None:
        launches.get_launch(session, launch_id)
    data = {name: fn(session, launch_id) for name, fn in SECTIONS.items()}
    data.setdefault("checkin_responses", [])
    data.setdefault("issues", [])
    return data


def to_json(data: dict[str, list[dict[str, Any]]]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=iso)


RECORD_NAMES = {"launches": "launch", "checkin_responses": "checkin_response", "issues": "issue",
                "usage": "usage", "readiness_items": "readiness_item", "goals": "goal", "retro_answers": "retro_answer"}


def to_csv(data: dict[str, list[dict[str, Any]]]) -> str:
    """One CSV: the first column `record` names the kind of row; the other columns are the union
    of every kind's fields (lists joined with `;`)."""
    columns: list[str] = ["record"]
    for rows in data.values():
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for name, rows in data.items():
        record = RECORD_NAMES.get(name, name)
        for row in rows:
            flat = {k: ";".join(map(str, v)) if isinstance(v, list) else iso(v) for k, v in row.items()}
            writer.writerow({"record": record, **flat})
    return out.getvalue()


# Sections registered by feature modules (they import `section` from here).
import bot.features.milestones.service  # noqa: E402,F401
import bot.features.usage.service  # noqa: E402,F401
