"""Who may do what. Staff roles need a full member of the vendor's own Slack team(s) or enterprise: a guest
never gains one (INTERFACE.md, "Who may do what")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, select

from bot.core.people import Profile, is_staff
from storage.models import Launch, LaunchMember, MemberRole


@dataclass(frozen=True)
class Person:
    user_id: str
    team_id: str | None


@dataclass(frozen=True)
class Roles:
    admins: tuple[str, ...]
    vendor_team_id: str | None
    # Every team of the vendor (GOLIVE_TEAM_ID may list several) and its enterprise on Enterprise Grid.
    vendor_team_ids: tuple[str, ...] = ()
    vendor_enterprise_id: str | None = None
    # The stored directory's profile of a person (local data only), None when golive has never seen them.
    profiles: Callable[[str], Profile | None] | None = None

    @property
    def teams(self) -> tuple[str, ...]:
        return self.vendor_team_ids or ((self.vendor_team_id,) if self.vendor_team_id else ())

    def is_vendor(self, person: Person) -> bool:
        """Staff of the organisation that installed golive: a full member of one of its teams or of its
        enterprise, by the stored profile (so a guest of the vendor's own workspace is a customer). A person
        the directory has not seen yet is judged by the payload's team. Only an install that never learnt
        its team trusts everyone."""
        if not self.teams and not self.vendor_enterprise_id:
            return True
        profile = self.profiles(person.user_id) if self.profiles is not None and person.user_id else None
        if profile is not None and (profile.team_id or profile.enterprise_id):
            return is_staff(profile, self.teams, self.vendor_enterprise_id)
        return person.team_id is not None and person.team_id in self.teams

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
        unknown = False
        for channel in sorted(channels):
            members = channel_members(channel)
            if members is None:
                unknown = True
            elif person.user_id in members:
                return True
        # Members not known yet (never read, or Slack cannot say right now): staff are not turned away.
        return unknown

    def csm_launch_ids(self, session: Session, person: Person) -> list[int]:
        if not self.is_vendor(person):
            return []
        return list(session.exec(select(LaunchMember.launch_id).where(
            LaunchMember.user_id == person.user_id, LaunchMember.role == MemberRole.CSM)).all())
