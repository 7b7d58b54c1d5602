"""Issue work that lives on the issue rows: escalation past the time to acknowledge, sev1 update reminders."""

from __future__ import annotations

from bot.features.issues.service import due_escalations, due_update_reminders, escalate_due, escalate_one, remind_one
from schedules.registry import Sweeper

ESCALATION = Sweeper("issue_escalation", due_escalations, escalate_one, chunk=escalate_due, speaks=True)
UPDATE_REMINDER = Sweeper("sev1_update_reminder", due_update_reminders, remind_one, speaks=True)

SWEEPERS = (ESCALATION, UPDATE_REMINDER)
