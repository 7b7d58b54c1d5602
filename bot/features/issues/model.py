"""Issues: types and constants shared by its service and views."""

from __future__ import annotations

SEVERITIES = ("sev1", "sev2", "sev3")


SEVERITY_LABELS = {"sev1": "sev1 · blocking", "sev2": "sev2 · slowing down", "sev3": "sev3 · question"}


SEVERITY_EMOJI = {"sev1": ":red_circle:", "sev2": ":large_orange_circle:", "sev3": ":large_blue_circle:"}


# The text of an issue filed from a *Blocked* click, until the person says what blocks them.
NO_DETAILS = "(check-in answer, no details yet)"
