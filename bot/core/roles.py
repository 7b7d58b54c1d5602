"""Who may do what. Staff roles need the vendor's own Slack team: a guest never gains one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, select

from storage.models import Launch, LaunchMember, MemberRole


@dataclass(frozen=True)
class Person:
    user_id: str
    team_id: str | None


@dataclass(frozen=True)
class Roles:
    admins: tuple[str, ...]
    vendor_team_id: str | None

    def is_vendor(self, person: Person) -> bool:
        """Of the organisation that installed golive. When golive knows its own team, a person whose team
        is not given is not staff; only a single-workspace install that never learnt its team id trusts
        payloads without one."""
        if self.vendor_team_id is None:
            return True
        return person.team_id == self.vendor_team_id

    def is_admin(self, person: Person) -> bool:
        return self.is_vendor(person) and person.user_id in self.admins

    def is_csm(self, session: Session, launch: Launch, person: Person) -> bool:
        if not self.is_vendor(person):
            return False
        row = session.exec(select(LaunchMember.id).where(
            LaunchMember.launch_id == launch.id, LaunchMember.user_id == person.user_id,
            LaunchMember.role == MemberRole.CSM)).first()
        return row is not None

    def may_manage(self, session: Session, launch: Launch, person: Person) -> bool:
        """CSMs of this launch and admins."""
        return self.is_admin(person) or self.is_csm(session, launch, person)

    def is_support(self, launch: Launch, person: Person, channel_members: Callable[[str], set[str] | None],
                   extra_channels: tuple[str | None, ...] = ()) -> bool:
        """Vendor staff who are members of the launch's support or urgent channel (or the channel the
        issue was routed to)."""
        if not self.is_vendor(person):
            return False
        channels = {c for c in (launch.support_channel, launch.urgent_channel, *extra_channels) if c}
        return any(person.user_id in (channel_members(c) or ()) for c in channels)

    def csm_launch_ids(self, session: Session, person: Person) -> list[int]:
        if not self.is_vendor(person):
            return []
        return list(session.exec(select(LaunchMember.launch_id).where(
            LaunchMember.user_id == person.user_id, LaunchMember.role == MemberRole.CSM)).all())
