"""People as golive classifies them: staff of the vendor, or customers (guests of the vendor's own
workspace included), from what the stored directory knows of them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Profile:
    """A person as golive needs them: who they belong to, whether they are a guest, where they are."""

    user_id: str
    team_id: str | None = None
    enterprise_id: str | None = None
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_bot: bool = False
    deleted: bool = False
    name: str | None = None
    email: str | None = None
    tz: str | None = None
    locale: str | None = None
    status_text: str | None = None
    status_emoji: str | None = None
    status_expiration: int = 0

    @property
    def is_guest(self) -> bool:
        return self.is_restricted or self.is_ultra_restricted

    def as_slack_user(self) -> dict[str, Any]:
        """The shape of a `users.info` user, for code written against Slack's payloads."""
        return {"id": self.user_id, "team_id": self.team_id, "is_restricted": self.is_restricted,
                "is_ultra_restricted": self.is_ultra_restricted, "is_bot": self.is_bot, "deleted": self.deleted,
                "name": self.name, "tz": self.tz, "locale": self.locale,
                "enterprise_user": {"enterprise_id": self.enterprise_id} if self.enterprise_id else None,
                "profile": {"email": self.email, "status_text": self.status_text or "",
                            "status_emoji": self.status_emoji or "", "status_expiration": self.status_expiration}}


def is_staff(profile: Profile, team_ids: Collection[str], enterprise_id: str | None) -> bool:
    """Staff are full members of the vendor's team(s) or enterprise. A guest of the vendor's own workspace
    (`is_restricted`, `is_ultra_restricted`) is a customer; bots and deactivated people are neither."""
    if profile.is_guest or profile.is_bot or profile.deleted:
        return False
    if enterprise_id and profile.enterprise_id == enterprise_id:
        return True
    return profile.team_id is not None and profile.team_id in team_ids
