"""Every Slack identifier golive registers or sends, in one place."""

from enum import StrEnum

SLASH_COMMAND = "/golive"


class ActionId(StrEnum):
    CHECKIN_GOOD = "checkin_good"
    CHECKIN_FRICTION = "checkin_friction"
    CHECKIN_BLOCKED = "checkin_blocked"
    CHECKIN_NOTE = "checkin_note"
    NUDGE_MUTE = "nudge_mute"
    ISSUE_REPORT_OPEN = "issue_report_open"
    ISSUE_ACK = "issue_ack"
    ISSUE_RESOLVE = "issue_resolve"
    ISSUE_SEVERITY = "issue_severity"
    ISSUE_SATISFIED = "issue_satisfied"
    ISSUE_UNSATISFIED = "issue_unsatisfied"
    ISSUE_BLOCKED_DETAILS = "issue_blocked_details"
    ISSUE_REOPEN = "issue_reopen"
    ISSUE_SAME = "issue_same"
    RETRO_OPEN = "retro_open"


class CallbackId(StrEnum):
    REPORT_ISSUE_SHORTCUT = "report_issue"
    REPORT_ISSUE_MODAL = "report_issue_modal"
    CHECKIN_NOTE_MODAL = "checkin_note_modal"
    RESOLVE_MODAL = "issue_resolve_modal"
    BLOCKED_DETAILS_MODAL = "issue_blocked_details_modal"


class EventType(StrEnum):
    """Slack message-metadata event type that marks golive's own durable posts."""

    OUTBOX = "golive_outbox"
