"""The tables. Times are stored in UTC; local dates are the launch's own calendar dates."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class LaunchStatus(StrEnum):
    PLANNED = "planned"
    LIVE = "live"
    RETRO = "retro"
    DONE = "done"


class MemberRole(StrEnum):
    CSM = "csm"
    LEADER = "leader"


class WorkStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class Launch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Launches as code (`golive launch apply`): the file's stable name for the launch; None for a launch
    # made by `launch add` / `launch import` until a file adopts it.
    key: str | None = Field(default=None, index=True, unique=True)
    customer: str
    channel: str = Field(index=True, unique=True)
    go_live_date: date
    timezone: str
    checkin_time: str = "10:00"
    digest_time: str = "08:30"
    checkin_days: int = 5
    support_channel: str | None = None
    urgent_channel: str | None = None
    oncall: str | None = None
    oncall2: str | None = None  # second-level oncall, paged from the second escalation step on
    leadership_channel: str | None = None
    retro_after_days: int = 14
    holidays: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    nudges_enabled: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    nudge_after_hours: float = Field(default=3.0, sa_column_kwargs={"server_default": "3"})
    checkin_grace_hours: float = Field(default=3.0, sa_column_kwargs={"server_default": "3"})
    show_names: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # Routing rules as data: {"severity_channels": {"sev1": "C…"}, "keywords": [{"keyword": "SSO", "channel": "C…"}]}
    routing: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    # Minutes to acknowledge per severity; missing severities use the defaults.
    sla_minutes: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    escalation_steps: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    support_hours: str | None = None  # "09:00-18:00" on weekdays in support_tz; None: around the clock
    support_tz: str | None = None
    update_reminder_minutes: int = Field(default=30, sa_column_kwargs={"server_default": "30"})
    # The CSM's morning and adoption (issue: digest, App Home, adoption monitoring)
    csm_channel: str | None = None  # digests go here instead of DMs when set
    training_link: str | None = None
    adoption_nudges: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    quiet_days: int = Field(default=5, sa_column_kwargs={"server_default": "5"})
    # Milestones (issue: criteria, announcement, 30-day goals, retrospective)
    fallback_doc: str | None = None
    retro_window_days: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    # The language of everything the customer's people see (a SUPPORTED_LOCALES tag of bot/core/i18n.py)
    locale: str = Field(default="en", sa_column_kwargs={"server_default": "en"})
    live_at: datetime | None = utc_column()
    live_by: str | None = None
    live_forced_reason: str | None = None
    status: str = Field(default=LaunchStatus.PLANNED)
    created_at: datetime | None = utc_column(nullable=False)
    updated_at: datetime | None = utc_column(nullable=False, index=True)


class LaunchMember(SQLModel, table=True):
    __tablename__ = "launch_member"
    __table_args__ = (UniqueConstraint("launch_id", "user_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    user_id: str = Field(index=True)
    role: str


class Goal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    key: str | None = None  # matches the goal across `launch apply` / `launch import`, so its review stays
    position: int = 0
    text: str
    state: str = "open"  # open | met | not_met | in_progress
    reviewed_by: str | None = None
    reviewed_at: datetime | None = utc_column()


class PlannedWork(SQLModel, table=True):
    """One scheduled piece of work; `key` makes it unique so a plan can be re-derived safely."""

    __tablename__ = "planned_work"
    __table_args__ = (Index("ix_planned_work_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int | None = Field(default=None, foreign_key="launch.id", index=True, ondelete="CASCADE")
    kind: str
    key: str = Field(unique=True)
    due_at: datetime | None = utc_column(nullable=False)
    status: str = Field(default=WorkStatus.PENDING)
    claimed_by: str | None = None
    claimed_at: datetime | None = utc_column()
    finished_at: datetime | None = utc_column(index=True)
    attempts: int = 0
    note: str | None = None
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class OutboxMessage(SQLModel, table=True):
    """A durable Slack call, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),
                      Index("ix_outbox_order", "order_key", "status"))

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True)
    launch_id: int | None = Field(default=None, foreign_key="launch.id", index=True, ondelete="SET NULL")
    method: str
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING)
    attempts: int = 0
    rate_limited: int = 0
    next_attempt_at: datetime | None = utc_column(nullable=False)
    claimed_by: str | None = None
    claimed_at: datetime | None = utc_column()
    last_error: str | None = None
    result_channel: str | None = None
    result_ts: str | None = None
    write_back: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime | None = utc_column(nullable=False)
    sent_at: datetime | None = utc_column()
    # 0 urgent (sev1, escalations, reporter notices), 1 normal, 2 background (tallies, pins, Home): due rows
    # are taken in this order.
    priority: int = 1
    # Rows with the same key are delivered in id order (a channel's posts; a thread's replies): a later
    # one waits while an earlier one is still pending or being sent.
    order_key: str | None = None


class ProcessedEvent(SQLModel, table=True):
    """Slack event ids already handled, so retried deliveries are recognised."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True)
    received_at: datetime | None = utc_column(nullable=False, index=True)


class Answer(StrEnum):
    GOOD = "good"
    FRICTION = "friction"
    BLOCKED = "blocked"


class CheckIn(SQLModel, table=True):
    """One day's check-in post in a launch channel."""

    __tablename__ = "check_in"
    __table_args__ = (UniqueConstraint("launch_id", "day_number"),)

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    day_number: int
    local_date: date
    channel: str
    outbox_key: str
    message_ts: str | None = None
    late: bool = False
    posted_at: datetime | None = utc_column(nullable=False)


class CheckInAnswer(SQLModel, table=True):
    """The current answer of one person for one day (a later click replaces it)."""

    __tablename__ = "check_in_answer"
    __table_args__ = (UniqueConstraint("check_in_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    check_in_id: int = Field(foreign_key="check_in.id", index=True, ondelete="CASCADE")
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    user_id: str = Field(index=True)
    user_team: str | None = None
    answer: str
    note: str | None = None
    recorded_at: datetime | None = utc_column(nullable=False, index=True)


class CheckInAnswerHistory(SQLModel, table=True):
    """Every click, kept: the history behind the current answers."""

    __tablename__ = "check_in_answer_history"

    id: int | None = Field(default=None, primary_key=True)
    check_in_id: int = Field(foreign_key="check_in.id", index=True, ondelete="CASCADE")
    user_id: str = Field(index=True)
    answer: str
    note: str | None = None
    recorded_at: datetime | None = utc_column(nullable=False)


class NudgeMute(SQLModel, table=True):
    __tablename__ = "nudge_mute"
    __table_args__ = (UniqueConstraint("launch_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    user_id: str
    muted_at: datetime | None = utc_column(nullable=False)


class IssueStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Issue(SQLModel, table=True):
    """A reported problem. `source_key` is unique: one message or click becomes at most one issue."""

    __table_args__ = (UniqueConstraint("launch_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    number: int
    text: str
    severity: str = "sev2"
    status: str = Field(default=IssueStatus.OPEN, index=True)
    reporter: str
    reporter_team: str | None = None
    source: str
    source_key: str = Field(unique=True)
    source_channel: str | None = None
    source_ts: str | None = None
    thread_ts: str | None = None
    thread_key: str | None = None
    support_channel: str | None = None
    support_ts: str | None = None
    created_at: datetime | None = utc_column(nullable=False, index=True)
    acknowledged_at: datetime | None = utc_column()
    acknowledged_by: str | None = None
    resolved_at: datetime | None = utc_column()
    resolved_by: str | None = None
    resolution: str | None = None
    escalation_count: int = 0
    next_escalation_at: datetime | None = utc_column(index=True)
    urgent_channel: str | None = None
    urgent_ts: str | None = None
    last_update_at: datetime | None = utc_column()
    next_update_reminder_at: datetime | None = utc_column(index=True)
    satisfaction: str | None = None
    satisfaction_at: datetime | None = utc_column()
    # Same problem: `looks_like_id` is the open issue this one reads like (a suggestion on the card);
    # `parent_id` is set once support confirms it, and the issue then follows its parent.
    looks_like_id: int | None = Field(default=None, foreign_key="issue.id", ondelete="SET NULL")
    parent_id: int | None = Field(default=None, foreign_key="issue.id", index=True, ondelete="SET NULL")


class IssueEvent(SQLModel, table=True):
    """The issue's timeline."""

    __tablename__ = "issue_event"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issue.id", index=True, ondelete="CASCADE")
    at: datetime | None = utc_column(nullable=False, index=True)
    actor: str | None = None
    kind: str
    detail: str | None = None


class UsageRecord(SQLModel, table=True):
    """Product usage for adoption monitoring: one row per (launch, email, feature, last_active_at)."""

    __tablename__ = "usage_record"
    __table_args__ = (UniqueConstraint("launch_id", "email", "feature", "last_active_at"),
                      Index("ix_usage_launch_email", "launch_id", "email"))

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", ondelete="CASCADE")
    email: str
    slack_user_id: str | None = None
    last_active_at: datetime | None = utc_column(nullable=False)
    feature: str = ""
    source: str = "csv"
    imported_at: datetime | None = utc_column(nullable=False)


class EmailMatch(SQLModel, table=True):
    """Cache of users.lookupByEmail answers (user_id None: no such user in Slack)."""

    __tablename__ = "email_match"

    email: str = Field(primary_key=True)
    user_id: str | None = None
    looked_up_at: datetime | None = utc_column(nullable=False)


class AdoptionOptOut(SQLModel, table=True):
    __tablename__ = "adoption_opt_out"
    __table_args__ = (UniqueConstraint("launch_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    user_id: str
    opted_out_at: datetime | None = utc_column(nullable=False)


class ChannelActivity(SQLModel, table=True):
    """Who took part in a launch channel and when (messages, thread replies, reactions, mentions), written by
    the event handlers in the transaction that marks the event processed; check-in answers and issues are
    read from their own tables. One row per (launch, person)."""

    __tablename__ = "channel_activity"

    launch_id: int = Field(foreign_key="launch.id", primary_key=True, ondelete="CASCADE")
    user_id: str = Field(primary_key=True, index=True)
    first_active_at: datetime | None = utc_column(nullable=False)
    last_active_at: datetime | None = utc_column(nullable=False)


class HomeVisit(SQLModel, table=True):
    """Who opened the App Home and when, so it can be refreshed for recent visitors after changes."""

    __tablename__ = "home_visit"

    user_id: str = Field(primary_key=True)
    team_id: str | None = None
    opened_at: datetime | None = utc_column(nullable=False, index=True)


class ReadinessItem(SQLModel, table=True):
    """One go-live criterion of a launch."""

    __tablename__ = "readiness_item"
    __table_args__ = (UniqueConstraint("launch_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    key: str
    text: str
    position: int = 0
    owner: str | None = None
    done: bool = False
    changed_by: str | None = None
    changed_at: datetime | None = utc_column(index=True)


class ChecklistTemplateItem(SQLModel, table=True):
    """A default go-live criterion every new launch gets (lessons promoted from retrospectives)."""

    __tablename__ = "checklist_template_item"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    text: str
    source: str | None = None  # "cli", or "retro:<launch id>" for a lesson added from a retrospective summary
    added_by: str | None = None  # the Slack user who added it from Slack
    created_at: datetime | None = utc_column(nullable=False)


class RetroAnswer(SQLModel, table=True):
    """One person's retrospective answer (a second submission replaces the first)."""

    __tablename__ = "retro_answer"
    __table_args__ = (UniqueConstraint("launch_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    launch_id: int = Field(foreign_key="launch.id", index=True, ondelete="CASCADE")
    user_id: str
    user_team: str | None = None
    went_well: str = ""
    improve: str = ""
    rating: int
    submitted_at: datetime | None = utc_column(nullable=False)


class RetroSummary(SQLModel, table=True):
    __tablename__ = "retro_summary"

    launch_id: int = Field(foreign_key="launch.id", primary_key=True, ondelete="CASCADE")
    markdown: str
    # The lessons the summary proposed, in order (each may be added to every future checklist from Slack).
    lessons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    created_at: datetime | None = utc_column(nullable=False)


class SlackPerson(SQLModel, table=True):
    """What golive knows of a Slack user: fed by `user_change` / `team_join` events and `users.info`, so that
    role checks, nudges, digests and App Home read it instead of asking Slack on every click."""

    __tablename__ = "slack_person"

    user_id: str = Field(primary_key=True)
    team_id: str | None = None
    enterprise_id: str | None = None
    is_restricted: bool = False  # multi-channel guest
    is_ultra_restricted: bool = False  # single-channel guest
    is_bot: bool = False
    deleted: bool = False
    name: str | None = None
    email: str | None = Field(default=None, index=True)
    tz: str | None = None
    locale: str | None = None
    status_text: str | None = None
    status_emoji: str | None = None
    status_expiration: int = 0
    updated_at: datetime | None = utc_column(nullable=False)


class ChannelMember(SQLModel, table=True):
    """Who is in a channel, fed by `member_joined_channel` / `member_left_channel` and reconciled in the
    background with `conversations.members`."""

    __tablename__ = "channel_member"

    channel: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True, index=True)
    seen_at: datetime | None = utc_column(nullable=False)


class ChannelSync(SQLModel, table=True):
    """When a channel's members were last read from Slack, and who is reading them now (one refresh per
    channel at a time, across processes)."""

    __tablename__ = "channel_sync"

    channel: str = Field(primary_key=True)
    synced_at: datetime | None = utc_column()
    refreshing_until: datetime | None = utc_column()
    is_ext_shared: bool | None = None
    last_error: str | None = None
