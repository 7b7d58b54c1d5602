"""Lessons across launches: recurring themes from retrospectives and issues, promoted to the checklist
template new launches start with; and milestones in `golive export`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.core.errors import InvalidInput
from bot.features.issues.service import open_issue
from bot.features.launches.service import LaunchInput
from bot.features.lessons.service import add_template_item, find_themes
from bot.features.milestones.service import checklist, set_done
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import Launch, RetroAnswer
from tests.conftest import run_golive

NOW = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)


def add_launch(world, channel: str, customer: str, **overrides):  # noqa: ANN001, ANN201
    raw = {"customer": customer, "channel": channel, "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "goal": ["50 active users"], **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def seed_history(world) -> None:  # noqa: ANN001
    """Two finished launches: retrospective answers and issues, as people wrote them."""
    acme = add_launch(world, "C0ACME", "Acme Corp")
    other = add_launch(world, "C0OTHER", "Other Co")
    improve = {(acme, "U0CUST1"): "The SSO login was set up far too late",
               (acme, "U0CUST2"): "Admin training should happen before the data migration",
               (other, "U0OTHER"): "Test SSO login with real accounts earlier, and the data migration"}
    with world.runtime.db.session() as s:
        for (launch_id, user), text in improve.items():
            s.add(RetroAnswer(launch_id=launch_id, user_id=user, went_well="Check-ins", improve=text, rating=4,
                              submitted_at=NOW))
        launch = s.get(Launch, other)
        for n, text in enumerate(["SSO login loops forever for managers", "Exports to CSV time out"]):
            open_issue(s, launch=launch, text=text, reporter="U0OTHER", reporter_team="T0OTHERCO", source="mention",
                       source_key=f"seed:{n}", now=NOW)


def test_lessons_lists_recurring_phrases_with_counts_and_examples(world):
    seed_history(world)
    result = run_golive(["lessons"], world.env)
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Recurring themes across 3 retrospective answer(s) and 2 issue(s):"
    # Grouped by meaning (bot.features.themes), named by a key phrase, new or ongoing, with examples.
    assert lines[1].strip().endswith('"SSO login"  (1 issue, 3 retros) · new')
    assert "SSO login" in lines[2] and "SSO login" in lines[3]
    assert "Exports to CSV time out" not in result.stdout  # alone, so not a theme
    assert not any(f'"{word}"' in result.stdout for word in ("the", "with", "should", "and"))
    assert 'golive template add-item "TEXT"' in lines[-1]


def test_themes_count_each_document_once_and_keep_any_script():
    from bot.features.lessons.service import Document

    docs = [Document("issue", "A", "ログイン 画面 ログイン 画面"), Document("retro", "B", "ログイン 画面 遅い"),
            Document("issue", "C", "Unrelated")]
    [theme] = find_themes(docs)
    assert (theme.phrase, theme.count) == ("ログイン 画面", 2)


def test_a_promoted_lesson_reaches_new_launches_only_and_duplicates_are_refused(world):
    old = add_launch(world, "C0ACME", "Acme Corp")
    promoted = run_golive(["template", "add-item", "SSO login tested with real accounts"], world.env)
    assert promoted.code == 0 and promoted.stdout.strip() == "sso_login_tested_with_real_accounts"
    duplicate = run_golive(["template", "add-item", "sso login TESTED with real accounts"], world.env)
    assert duplicate.code == 2 and "already has" in duplicate.stderr
    with world.runtime.db.session() as s:
        with pytest.raises(InvalidInput, match="already has"):
            add_template_item(s, text="Fallback procedure agreed", now=NOW)
        with pytest.raises(InvalidInput, match="1–500 characters"):
            add_template_item(s, text="   ", now=NOW)
    listed = run_golive(["template", "list"], world.env).stdout.splitlines()
    assert listed[0] == "integrations_tested\tAll integrations tested end to end"
    assert listed[-1] == "sso_login_tested_with_real_accounts\tSSO login tested with real accounts"
    new = add_launch(world, "C0OTHER", "Other Co")
    with world.runtime.db.session() as s:
        assert "sso_login_tested_with_real_accounts" not in [i.key for i in checklist(s, old)]
        assert [i.key for i in checklist(s, new)][-1] == "sso_login_tested_with_real_accounts"


def test_export_includes_readiness_items_goals_and_retro_answers(world):
    seed_history(world)
    with world.runtime.db.session() as s:
        set_done(s, launch=s.get(Launch, 1), keys=["data_migrated"], all_items=False, done=True, actor="cli",
                 now=NOW)
    data = json.loads(run_golive(["export", "--launch", "1"], world.env).stdout)
    items = data["readiness_items"]
    assert [i["key"] for i in items][:2] == ["integrations_tested", "data_migrated"] and len(items) == 6
    migrated = items[1]
    assert (migrated["done"], migrated["changed_by"], migrated["owner"]) == (True, "cli", "U0CSM")
    assert migrated["changed_at"].endswith("Z")
    assert data["goals"] == [{"id": 1, "launch_id": 1, "position": 0, "text": "50 active users", "state": "open",
                              "reviewed_by": None, "reviewed_at": None}]
    assert {a["user"] for a in data["retro_answers"]} == {"U0CUST1", "U0CUST2"}
    assert all(a["launch_id"] == 1 and a["rating"] == 4 for a in data["retro_answers"])
    rows = run_golive(["export", "--format", "csv"], world.env).stdout.splitlines()
    kinds = {line.split(",", 1)[0] for line in rows[1:]}
    assert {"readiness_item", "goal", "retro_answer"} <= kinds
