"""Issues: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from typing import Any

from bot.core import blocks as modals
from bot.core.ids import ActionId, CallbackId
from bot.core.text import escape, user_text
from bot.features.issues.model import SEVERITIES, SEVERITY_EMOJI, SEVERITY_LABELS
from storage.models import Issue, IssueStatus, Launch

HOW_BAD = [("Blocking me", "sev1"), ("Slowing me down", "sev2"), ("A question", "sev3")]


def report_modal(metadata: dict, initial_text: str = "") -> dict:
    options = [modals.option(label, value) for label, value in HOW_BAD]
    text_element: dict[str, Any] = {"type": "plain_text_input", "action_id": "text", "multiline": True,
                                    "max_length": 3000,
                                    "placeholder": modals.plain("What were you doing, and what went wrong?")}
    if initial_text:
        text_element["initial_value"] = initial_text[:3000]
    return {
        "type": "modal", "callback_id": CallbackId.REPORT_ISSUE_MODAL, "title": modals.plain("Report a problem"),
        "submit": modals.plain("Send to support"), "close": modals.plain("Cancel"),
        "private_metadata": modals.pack(metadata),
        "blocks": [
            {"type": "input", "block_id": "text", "label": modals.plain("What happened?"), "element": text_element},
            {"type": "input", "block_id": "severity", "label": modals.plain("How bad is it?"),
             "element": {"type": "radio_buttons", "action_id": "severity", "options": options,
                         "initial_option": options[1]}},
        ],
    }


def card_blocks(launch: Launch, issue: Issue, permalink: str | None) -> list[dict]:
    state = {IssueStatus.OPEN: ":hourglass_flowing_sand: open, not acknowledged",
             IssueStatus.ACKNOWLEDGED: f":eyes: acknowledged by <@{issue.acknowledged_by}>",
             IssueStatus.RESOLVED: f":white_check_mark: resolved by <@{issue.resolved_by}>"}[IssueStatus(issue.status)]
    source = f"<{permalink}|source message>" if permalink else f"via {issue.source}"
    header = (f"{SEVERITY_EMOJI[issue.severity]} *Issue #{issue.number}* · *{escape(launch.customer)}* · "
              f"{SEVERITY_LABELS[issue.severity]}\nReported by <@{issue.reporter}> · {source} · {state}")
    if issue.escalation_count:
        header += f" · escalated {issue.escalation_count}×"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "issue_header", "text": {"type": "mrkdwn", "text": header}},
        {"type": "section", "block_id": "issue_text", "text": {"type": "mrkdwn", "text": user_text(issue.text, 2900)}},
    ]
    if issue.resolution:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": "Resolution: " + user_text(issue.resolution, 2800)}]})
    if issue.status != IssueStatus.RESOLVED:
        options = [{"text": {"type": "plain_text", "text": SEVERITY_LABELS[s]}, "value": s} for s in SEVERITIES]
        elements: list[dict[str, Any]] = []
        if issue.status == IssueStatus.OPEN:
            elements.append({"type": "button", "action_id": ActionId.ISSUE_ACK, "value": str(issue.id),
                             "style": "primary", "text": {"type": "plain_text", "text": "Acknowledge"}})
        elements.append({"type": "button", "action_id": ActionId.ISSUE_RESOLVE, "value": str(issue.id),
                         "text": {"type": "plain_text", "text": "Resolve"}})
        elements.append({"type": "static_select", "action_id": ActionId.ISSUE_SEVERITY, "options": options,
                         "initial_option": options[SEVERITIES.index(issue.severity)],
                         "placeholder": {"type": "plain_text", "text": "Severity"}})
        blocks.append({"type": "actions", "block_id": f"issue_triage_{issue.id}", "elements": elements})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        "Reply in this thread starting with `>>` to answer the customer; other replies stay internal.")}]})
    return blocks


def resolve_modal(number: int, issue_id: int) -> dict:
    """The *Resolve* form: an optional resolution note the customer sees."""
    return {
        "type": "modal", "callback_id": CallbackId.RESOLVE_MODAL, "title": modals.plain(f"Resolve #{number}"),
        "submit": modals.plain("Resolve"), "close": modals.plain("Cancel"),
        "private_metadata": modals.pack({"issue": issue_id}),
        "blocks": [{"type": "input", "block_id": "note", "optional": True,
                    "label": modals.plain("Resolution (the customer sees this)"),
                    "element": {"type": "plain_text_input", "action_id": "note", "multiline": True,
                                "max_length": 3000}}],
    }
