"""The stored Slack directory: channel members and people, kept in the database.

Role checks, nudges, digests, App Home and adoption read it instead of asking Slack on every click. It is
fed by events (`member_joined_channel`, `member_left_channel`, `user_change`, `team_join`,
`channel_id_changed`, `channel_shared` / `channel_unshared`) and reconciled in the background with
`conversations.members` (up to 1,000 per page, one refresh per channel at a time) and `users.info`.

Two kinds of calls, kept apart:
- local reads (`members`, `profile`, `profiles`, `people_in`): a short read session, never the network;
- fills (`ensure_members`, `ensure_profiles`, `refresh_channel`, `reconcile`): Slack first, with no
  session open, then one short write. On a miss a fill happens once (single flight: one thread per
  channel in this process, one process per channel through `channel_sync.refreshing_until`); when Slack
  errors, the last known data stands.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete, insert, or_, text, update
from sqlmodel import Session, select

from bot.core.clock import utcnow
from bot.core.i18n import person_locale
from bot.core.people import Profile, is_staff
from storage.db import Database, sessions_open
from storage.models import ChannelMember, ChannelSync, SlackPerson

log = logging.getLogger("golive.directory")
PAGE_SIZE = 1000  # conversations.members allows up to 1,000 per page
STALE_AFTER = timedelta(minutes=30)  # a channel's members are read again this long after the last read
REFRESH_LEASE = timedelta(minutes=2)  # how long one process may hold a channel's refresh
SLACK_ERRORS = (SlackApiError, OSError)
MEMBER_SEEN_SECONDS = 60.0
MEMBERS_SEEN_MAX = 100_000
# Membership on the request path: one statement, built once (synced_at is NULL when never read).
_HAS_MEMBER = text(
    "SELECT (SELECT synced_at FROM channel_sync WHERE channel = :channel), "
    "EXISTS (SELECT 1 FROM channel_member WHERE channel = :channel AND user_id = :user)")


def person_values(user: dict[str, Any]) -> dict[str, Any]:
    """The slack_person columns from a Slack user object (users.info, user_change, team_join)."""
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    enterprise = user.get("enterprise_user") if isinstance(user.get("enterprise_user"), dict) else {}
    expiration = profile.get("status_expiration")
    return {
        "team_id": user.get("team_id") or user.get("team") or None,
        "enterprise_id": enterprise.get("enterprise_id") or user.get("enterprise_id") or None,
        "is_restricted": bool(user.get("is_restricted")),
        "is_ultra_restricted": bool(user.get("is_ultra_restricted")),
        "is_bot": bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        "deleted": bool(user.get("deleted")),
        "name": (profile.get("display_name") or profile.get("real_name") or user.get("name") or None),
        "email": (profile.get("email") or "").strip().lower() or None,
        "tz": user.get("tz") or None,
        "locale": user.get("locale") or None,
        "status_text": profile.get("status_text") or None,
        "status_emoji": profile.get("status_emoji") or None,
        "status_expiration": int(expiration) if isinstance(expiration, int | float) else 0,
    }


def _profile(row: SlackPerson) -> Profile:
    return Profile(user_id=row.user_id, team_id=row.team_id, enterprise_id=row.enterprise_id,
                   is_restricted=row.is_restricted, is_ultra_restricted=row.is_ultra_restricted,
                   is_bot=row.is_bot, deleted=row.deleted, name=row.name, email=row.email, tz=row.tz,
                   locale=row.locale, status_text=row.status_text, status_emoji=row.status_emoji,
                   status_expiration=row.status_expiration)


# -- writes in the caller's transaction (events) ----------------------------------------------------


def record_person(session: Session, user: dict[str, Any], now: datetime) -> None:
    user_id = str(user.get("id") or "")
    if not user_id:
        return
    values = person_values(user)
    row = session.get(SlackPerson, user_id)
    if row is None:
        session.add(SlackPerson(user_id=user_id, updated_at=now, **values))
        return
    for name, value in values.items():
        if name == "locale" and value is None:
            continue  # a user object without `locale` (not asked with include_locale) keeps the known one
        setattr(row, name, value)
    row.updated_at = now
    session.add(row)


def reader_locale(ctx: Any, user: str) -> str:
    """The language to write to `user` in from a composer (no session open): their Slack locale, read from
    Slack once if the directory lacks them, when golive speaks it; else GOLIVE_LOCALE (the sender's context).
    A channel (not a person) reads GOLIVE_LOCALE."""
    vendor = str(ctx.context.get("locale") or "en")
    if not user.startswith(("U", "W")):
        return person_locale(None, vendor)
    profile = directory_of(ctx).ensure_profiles([user]).get(user)
    return person_locale(profile.locale if profile else None, vendor)


def stored_locales(session: Session, users: Iterable[str]) -> dict[str, str | None]:
    """The stored Slack locale (`users.info` with `include_locale`, "fr-FR") of each of `users` golive knows,
    read in the caller's session: local data, never the network."""
    wanted = sorted(set(users))
    if not wanted:
        return {}
    rows = session.exec(select(SlackPerson.user_id, SlackPerson.locale).where(SlackPerson.user_id.in_(wanted))).all()
    return {user: locale for user, locale in rows}


def record_join(session: Session, channel: str, user: str, now: datetime) -> None:
    if session.get(ChannelMember, (channel, user)) is None:
        session.add(ChannelMember(channel=channel, user_id=user, seen_at=now))


def record_leave(session: Session, channel: str, user: str) -> None:
    session.execute(delete(ChannelMember).where(ChannelMember.channel == channel, ChannelMember.user_id == user))


def move_channel(session: Session, old: str, new: str) -> None:
    """A channel's new id (`channel_id_changed`): its members and sync state follow."""
    session.execute(update(ChannelMember).where(ChannelMember.channel == old).values(channel=new)
                    .execution_options(synchronize_session=False))
    sync = session.get(ChannelSync, old)
    if sync is not None and session.get(ChannelSync, new) is None:
        session.add(ChannelSync(channel=new, synced_at=sync.synced_at, is_ext_shared=sync.is_ext_shared))
        session.delete(sync)


def record_shared(session: Session, channel: str, shared: bool) -> None:
    sync = session.get(ChannelSync, channel) or ChannelSync(channel=channel)
    sync.is_ext_shared = shared
    session.add(sync)


# -- the directory ----------------------------------------------------------------------------------


class Directory:
    def __init__(self, db: Database, client: WebClient, *, clock: Callable[[], datetime] = utcnow,
                 stale_after: timedelta = STALE_AFTER):
        self.db = db
        self.client = client
        self.clock = clock
        self.stale_after = stale_after
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._background: ThreadPoolExecutor | None = None
        self._pending: set[str] = set()
        # (channel, user) -> until when a "yes, a member" found in the database is taken as said: the same
        # people click again and again on a launch morning. Someone who left is let through for at most
        # MEMBER_SEEN_SECONDS more.
        self._members_seen: dict[tuple[str, str], float] = {}
        # user -> (until when, profile): who someone is (staff or guest) is asked on every request they make.
        self._profiles_seen: dict[str, tuple[float, Profile]] = {}

    # -- local reads --------------------------------------------------------------------------------

    def members(self, channel: str | None) -> set[str] | None:
        """The channel's members as last known; None when golive has never read them."""
        if not channel:
            return None
        with self.db.read() as s:
            sync = s.get(ChannelSync, channel)
            if sync is None or sync.synced_at is None:
                return None
            return set(s.exec(select(ChannelMember.user_id).where(ChannelMember.channel == channel)).all())

    def has_member(self, channel: str | None, user: str) -> bool | None:
        """Is `user` in `channel` as last known (one keyed lookup, whatever the channel's size)? None when
        golive has never read the channel's members."""
        if not channel:
            return None
        key = (channel, user)
        seen = self._members_seen.get(key)
        if seen is not None and seen > time.monotonic():
            return True
        with self.db.read() as s:
            synced, member = s.execute(_HAS_MEMBER, {"channel": channel, "user": user}).one()
        if synced is None:
            return None
        if member:
            if len(self._members_seen) >= MEMBERS_SEEN_MAX:
                self._members_seen.clear()
            self._members_seen[key] = time.monotonic() + MEMBER_SEEN_SECONDS
        return bool(member)

    def forget_member(self, channel: str, user: str) -> None:
        """`user` left `channel`: this process stops taking them for a member at once (others within
        MEMBER_SEEN_SECONDS)."""
        self._members_seen.pop((channel, user), None)

    def profile(self, user: str | None) -> Profile | None:
        if not user:
            return None
        seen = self._profiles_seen.get(user)
        if seen is not None and seen[0] > time.monotonic():
            return seen[1]
        with self.db.read() as s:
            row = s.get(SlackPerson, user)
            found = _profile(row) if row is not None else None
        if found is not None:
            if len(self._profiles_seen) >= MEMBERS_SEEN_MAX:
                self._profiles_seen.clear()
            self._profiles_seen[user] = (time.monotonic() + MEMBER_SEEN_SECONDS, found)
        return found

    def forget_profile(self, user: str) -> None:
        """`user` changed (user_change, team_join): read their stored profile afresh next time."""
        self._profiles_seen.pop(user, None)

    def profiles(self, users: Iterable[str]) -> dict[str, Profile]:
        wanted = sorted(set(users))
        found: dict[str, Profile] = {}
        with self.db.read() as s:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                for row in s.exec(select(SlackPerson).where(SlackPerson.user_id.in_(chunk))).all():
                    found[row.user_id] = _profile(row)
        return found

    def people_in(self, channel: str | None) -> list[Profile] | None:
        """Members as profiles (people never profiled appear with their id only); bots and deleted users left
        out. None when the members were never read."""
        members = self.members(channel)
        if members is None:
            return None
        known = self.profiles(members)
        people = [known.get(uid) or Profile(user_id=uid) for uid in sorted(members)]
        return [p for p in people if not (p.is_bot or p.deleted or p.user_id == "USLACKBOT")]

    def lookup_members(self, channel: str | None) -> set[str] | None:
        """For requests: the stored members. On a miss they are read from Slack once, right away when this
        thread holds no database session, else in the background (never across a transaction); None while
        they are unknown (never read, and Slack cannot say right now)."""
        members = self.members(channel)
        if members is None and channel:
            if sessions_open():
                self.fill_later(channel)
            else:
                members = self.ensure_members(channel)
        return members

    def is_member(self, channel: str | None, user: str) -> bool | None:
        """For requests: is `user` in `channel`? Stored data answers yes at once (one keyed lookup). A no is
        checked with Slack once more (someone who just joined may be ahead of the event), when this thread
        holds no session; a channel never read is read in the background and this request gets None;
        None when nobody can say (never read, and Slack cannot answer now)."""
        known = self.has_member(channel, user)
        if known:
            return True
        if known is None:
            # Never read: read it in the background (once) and let this request decide on "unknown"; a
            # 2,000-member channel takes seconds to page through, longer than Slack waits for an answer.
            self.fill_later(channel)
            return None
        if channel and not sessions_open():
            self.refresh_channel(channel)  # single flight: others asking meanwhile take this read's answer
        return self.has_member(channel, user)

    def lookup_profile(self, user: str) -> Profile | None:
        """For requests: the stored profile, or None (and a users.info in the background) when unknown."""
        profile = self.profile(user)
        if profile is None and user:
            self._submit(f"person:{user}", lambda: self.ensure_profiles([user]))
        return profile

    # -- fills (network first, no session open) -----------------------------------------------------

    def ensure_members(self, channel: str | None) -> set[str] | None:
        """The members, read from Slack once if golive never has (single flight); the last known members
        when Slack cannot answer. Never call it inside a transaction."""
        known = self.members(channel)
        if known is not None or not channel:
            return known
        self.refresh_channel(channel)
        return self.members(channel)

    def ensure_people(self, channel: str | None) -> list[Profile] | None:
        """Members with their profiles, filling what is missing from Slack (outside any transaction)."""
        members = self.ensure_members(channel)
        if members is None:
            return None
        self.ensure_profiles(members)
        return self.people_in(channel)

    def ensure_profiles(self, users: Iterable[str]) -> dict[str, Profile]:
        """Profiles for these users, asking `users.info` for the ones golive has never seen."""
        users = {u for u in users if u}
        known = self.profiles(users)
        fetched: list[dict[str, Any]] = []
        for user in sorted(users - known.keys()):
            try:
                info = self.client.users_info(user=user, include_locale=True).get("user")
            except SLACK_ERRORS as err:
                log.info("users.info %s failed: %s", user, _error(err))
                continue
            if isinstance(info, dict):
                fetched.append(info)
        if fetched:
            now = self.clock()
            with self.db.session() as s:
                for info in fetched:
                    record_person(s, info, now)
            for info in fetched:
                self.forget_profile(str(info.get("id") or ""))
            known.update(self.profiles(u["id"] for u in fetched if u.get("id")))
        return known

    def fill_later(self, channel: str | None) -> None:
        """A request found no stored members: read them in the background (once), the request answers
        from what it has meanwhile."""
        if channel:
            self._submit(f"channel:{channel}", lambda: self.refresh_channel(channel))

    def _submit(self, key: str, fill: Callable[[], object]) -> None:
        with self._locks_guard:
            if key in self._pending:
                return
            self._pending.add(key)
            if self._background is None:
                self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="golive-directory")
        self._background.submit(self._fill, key, fill)

    def _fill(self, key: str, fill: Callable[[], object]) -> None:
        try:
            fill()
        except Exception:  # a background fill must never take the thread down
            log.exception("directory fill %s failed", key)
        finally:
            with self._locks_guard:
                self._pending.discard(key)

    def wait_for_fills(self) -> None:
        """Block until background fills queued so far are done (tests and the demo use it as a signal)."""
        with self._locks_guard:
            background = self._background
        if background is not None:
            background.submit(lambda: None).result()

    def refresh_channel(self, channel: str) -> bool:
        """Read a channel's members from Slack (paged, up to 1,000 a page) and store them. One refresh per
        channel at a time: in this process by a lock, across processes by a lease on channel_sync.
        Returns False when another refresh had it, or when Slack could not answer (the last known members
        stand)."""
        with self._locks_guard:
            lock = self._locks.setdefault(channel, threading.Lock())
        if not lock.acquire(blocking=False):
            with lock:  # someone in this process is reading it: wait for their answer instead of asking again
                return False
        try:
            if not self._claim(channel):
                return False
            try:
                members = self._read_members(channel)
            except SLACK_ERRORS as err:
                self._release(channel, error=_error(err))
                log.info("conversations.members %s failed: %s; the last known members stand", channel, _error(err))
                return False
            self._store_members(channel, members)
            return True
        finally:
            lock.release()

    def _claim(self, channel: str) -> bool:
        now = self.clock()
        with self.db.session() as s:
            if s.get(ChannelSync, channel) is None:
                s.add(ChannelSync(channel=channel))
                s.flush()
            claimed = s.execute(
                update(ChannelSync)
                .where(ChannelSync.channel == channel,
                       or_(ChannelSync.refreshing_until.is_(None), ChannelSync.refreshing_until < now))
                .values(refreshing_until=now + REFRESH_LEASE)
                .execution_options(synchronize_session=False))
            return claimed.rowcount == 1

    def _release(self, channel: str, *, error: str | None) -> None:
        with self.db.session() as s:
            s.execute(update(ChannelSync).where(ChannelSync.channel == channel)
                      .values(refreshing_until=None, last_error=error)
                      .execution_options(synchronize_session=False))

    def _read_members(self, channel: str) -> set[str]:
        members: set[str] = set()
        cursor = None
        while True:
            page = self.client.conversations_members(channel=channel, limit=PAGE_SIZE, cursor=cursor)
            members.update(page.get("members") or [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members

    def _store_members(self, channel: str, members: set[str]) -> None:
        now = self.clock()
        with self.db.session() as s:
            stored = set(s.exec(select(ChannelMember.user_id).where(ChannelMember.channel == channel)).all())
            gone = sorted(stored - members)
            for start in range(0, len(gone), 500):
                s.execute(delete(ChannelMember).where(ChannelMember.channel == channel,
                                                      ChannelMember.user_id.in_(gone[start:start + 500])))
            new = [{"channel": channel, "user_id": user, "seen_at": now} for user in sorted(members - stored)]
            if new:  # one executemany, not an ORM object per member: a 2,000-member channel holds the lock briefly
                s.execute(insert(ChannelMember), new)
            s.execute(update(ChannelSync).where(ChannelSync.channel == channel)
                      .values(synced_at=now, refreshing_until=None, last_error=None)
                      .execution_options(synchronize_session=False))
        for user in gone:
            self.forget_member(channel, user)

    # -- background reconcile -----------------------------------------------------------------------

    def stale_channels(self, channels: Iterable[str], now: datetime) -> list[str]:
        wanted = sorted({c for c in channels if c})
        with self.db.read() as s:
            synced = {row.channel: row.synced_at for row in
                      s.exec(select(ChannelSync).where(ChannelSync.channel.in_(wanted))).all()} if wanted else {}
        never = [c for c in wanted if synced.get(c) is None]
        old = sorted((c for c in wanted if synced.get(c) is not None and now - synced[c] >= self.stale_after),
                     key=lambda c: synced[c])
        return never + old

    def reconcile(self, channels: Iterable[str], *, max_channels: int = 5) -> int:
        """Refresh the stalest of these channels (never-read first), one at a time, at most `max_channels`
        per call so the Tier 4 budget of conversations.members is never spent at once; then profile
        members golive has never seen."""
        done = 0
        for channel in self.stale_channels(channels, self.clock())[:max_channels]:
            if self.refresh_channel(channel):
                done += 1
                members = self.members(channel) or set()
                self.ensure_profiles(members)
        return done

    def close(self) -> None:
        if self._background is not None:
            self._background.shutdown(wait=True)


def _error(err: Exception) -> str:
    if isinstance(err, SlackApiError) and err.response is not None:
        return str(err.response.get("error") or f"HTTP {err.response.status_code}")
    return type(err).__name__


def directory_of(ctx: Any) -> Directory:
    """For composers: the sender's shared directory (in its context), or one made for this call."""
    found = ctx.context.get("directory") if isinstance(getattr(ctx, "context", None), dict) else None
    return found if isinstance(found, Directory) else Directory(ctx.db, ctx.client, clock=lambda: ctx.now)


def staff_rule(context: dict[str, Any]) -> Callable[[Profile], bool]:
    """Who is staff, from the vendor's team(s) and enterprise in a sender's context (INTERFACE.md: full
    members of the vendor's teams or enterprise; guests are customers). Nobody, when they are unknown."""
    teams = tuple(context.get("vendor_team_ids") or ()) or tuple(t for t in (context.get("vendor_team_id"),) if t)
    enterprise = context.get("vendor_enterprise_id")
    if not teams and not enterprise:
        return lambda profile: False
    return lambda profile: is_staff(profile, teams, enterprise)


def channel_customers(ctx: Any, channel: str | None) -> list[Profile] | None:
    """For composers: the channel's people who are not the vendor's staff (guests included), read from the
    directory and filled from Slack first where it lacks them; None when Slack cannot say and nothing is
    stored."""
    people = directory_of(ctx).ensure_people(channel)
    if people is None:
        return None
    staff = staff_rule(ctx.context)
    return [p for p in people if not staff(p)]
