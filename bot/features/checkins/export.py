"""`golive export` section(s) of this feature: check-in answers (one current answer per person and day)."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import (
    CheckIn,
    CheckInAnswer,
)


def export_rows(session: Session, launch_id: int | None) -> list[dict]:
    query = (select(CheckInAnswer, CheckIn.local_date)
             .join(CheckIn, CheckIn.id == CheckInAnswer.check_in_id)
             .order_by(CheckIn.local_date, CheckInAnswer.recorded_at, CheckInAnswer.id))
    if launch_id is not None:
        query = query.where(CheckInAnswer.launch_id == launch_id)
    return [{"launch_id": a.launch_id, "day": day.isoformat(), "user": a.user_id, "answer": a.answer,
             "note": a.note, "recorded_at": a.recorded_at} for a, day in session.exec(query)]


SECTIONS = (("checkin_responses", export_rows),)
