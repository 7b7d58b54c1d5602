"""`golive export`: launches and what happened in them, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session

from bot.core.clock import iso
from bot.features.launches import service as launches

# A feature's export section: (name, fn(session, launch_id or None) -> rows), listed in bot.wiring.
Section = tuple[str, Callable[[Session, int | None], list[dict[str, Any]]]]


def collect(session: Session, launch_id: int | None, sections: Sequence[Section]) -> dict[str, list[dict[str, Any]]]:
    if launch_id is not None:
        launches.get_launch(session, launch_id)
    data = {name: fn(session, launch_id) for name, fn in sections}
    data.setdefault("checkin_responses", [])
    data.setdefault("issues", [])
    return data


def to_json(data: dict[str, list[dict[str, Any]]]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=iso)


RECORD_NAMES = {"launches": "launch", "checkin_responses": "checkin_response", "issues": "issue",
                "issue_events": "issue_event", "usage": "usage", "readiness_items": "readiness_item", "goals": "goal",
                "retro_answers": "retro_answer"}


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

