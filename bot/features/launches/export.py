"""`golive export` section(s) of this feature: the launches."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from bot.core.clock import iso
from bot.features.launches import service as launches
from storage.models import Launch, MemberRole


def export_launches(session: Session, launch_id: int | None) -> list[dict[str, Any]]:
    query = select(Launch).order_by(Launch.id)
    if launch_id is not None:
        query = query.where(Launch.id == launch_id)
    rows = []
    for launch in session.exec(query):
        rows.append({
            "id": launch.id, "customer": launch.customer, "channel": launch.channel,
            "go_live_date": iso(launch.go_live_date), "timezone": launch.timezone, "locale": launch.locale,
            "status": launch.status,
            "checkin_time": launch.checkin_time, "digest_time": launch.digest_time,
            "checkin_days": launch.checkin_days, "support_channel": launch.support_channel,
            "urgent_channel": launch.urgent_channel, "oncall": launch.oncall, "oncall2": launch.oncall2,
            "leadership_channel": launch.leadership_channel, "retro_after_days": launch.retro_after_days,
            "csms": launches.members(session, launch.id, MemberRole.CSM),
            "leaders": launches.members(session, launch.id, MemberRole.LEADER),
            "goals": [g.text for g in launches.goals(session, launch.id)],
            "holidays": list(launch.holidays or []), "nudges": launch.nudges_enabled,
            "created_at": iso(launch.created_at), "key": launch.key,
        })
    return rows


SECTIONS = (("launches", export_launches),)
