"""Reported problems: intake, routing by severity, escalation until acknowledged, triage, the reporter's thread."""
