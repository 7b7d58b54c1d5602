"""Launches as code, the file side: each entry is a full launch with a stable key; goals and criteria are
texts or {key, text}; refusals are one line naming the launch and the field."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.features.launches.model import LaunchInput, code_entries

ACME = {"key": "acme", "customer": "Acme", "channel": "C0ACME", "go_live": "2032-03-08", "tz": "UTC"}


def test_an_entry_is_a_full_launch_with_keyed_goals_and_criteria():
    [(key, spec)] = code_entries([{**ACME, "goals": ["Go live", {"key": "users", "text": " 50 users "}],
                                   "criteria": "SSO configured"}])
    assert key == "acme" and spec.given >= {"customer", "channel", "go_live", "tz", "goal", "criterion"}
    assert spec.goal_items == (("go_live", "Go live"), ("users", "50 users"))
    assert spec.criterion_items == (("sso_configured", "SSO configured"),)
    assert spec.checkin_time == "10:00"  # left out: the default


def test_import_style_entries_accept_keyed_items_too():
    spec = LaunchInput.parse({"channel": "C0ACME", "goal": [{"key": "déjà-vu", "text": "Déjà vu"}]}, partial=True)
    assert spec.goal_items == (("déjà-vu", "Déjà vu"),) and spec.given == {"channel", "goal"}


@pytest.mark.parametrize(("entries", "message"), [
    ([ACME, {**ACME, "channel": "C0OTHER"}], "launch acme: key is listed twice (launches #1 and #2)"),
    ([{k: v for k, v in ACME.items() if k != "key"}], "launch #1 (C0ACME): missing key"),
    ([{**ACME, "key": "-acme"}], "launch #1 (C0ACME): key '-acme' must be lowercase"),
    ([{**ACME, "key": "a" * 65}], "must be lowercase"),
    ([{**ACME, "tz": "Nowhere/Land"}], "launch acme: unknown time zone"),
    ([{**ACME, "go_live": "2032-13-01"}], "launch acme: bad go-live date"),
    ([{**ACME, "leader": ["bob"]}], "launch acme: leader 'bob' is not a Slack user id"),
    ([{**ACME, "color": "red"}], "launch acme: unknown launch field(s): color"),
    ([ACME, {**ACME, "key": "b"}], "launch b: channel C0ACME is also the channel of launch acme"),
    ([{**ACME, "criterion": [{"key": "a b", "text": "x"}]}], "launch acme: criterion key 'a b' must be"),
    ([{**ACME, "goal": [{"key": "a", "text": "x", "owner": "U1"}]}], "(unknown: owner)"),
    ([{**ACME, "goal": [{"key": "a", "text": ""}]}], "each goal must be 1–500 characters"),
    (["not a mapping"], "launch #1 is not a mapping"),
])
def test_refusals_are_one_line_naming_the_launch_and_field(entries, message):
    with pytest.raises(InvalidInput) as caught:
        code_entries(entries)
    assert message in str(caught.value) and "\n" not in str(caught.value)
