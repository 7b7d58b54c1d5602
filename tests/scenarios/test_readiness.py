"""Go-live criteria end to end: the checklist every launch starts with, `/golive ready` with its checkboxes,
`golive launch criteria`, the reminders before go-live, and date validation (past dates, DST)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.core.errors import InvalidInput
from bot.features.launches.service import LaunchInput
from bot.features.lessons.service import add_template_item
from bot.features.milestones.service import checklist, set_done
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from schedules.plan import stored_plan
from storage.models import Launch, ReadinessItem
from tests.conftest import run_golive
from tests.scenarios.dates import monday_ahead

DEFAULT_KEYS = ["integrations_tested", "data_migrated", "users_trained", "admin_trained", "escalation_paths",
                "fallback_agreed"]
WED_BEFORE = datetime(2027, 3, 3, 13, 0, tzinfo=UTC)  # 14:00 in Berlin, three business days before
FRI_BEFORE = datetime(2027, 3, 5, 13, 0, tzinfo=UTC)  # one business day before Mon 8 March


def add_launch(world, *, refuse_past: bool = False, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "leadership_channel": "C0LEAD", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock(), refuse_past=refuse_past)
        replan(s, launch, now=world.clock())
        return launch.id


def mark_done(world, *keys: str, all_items: bool = False) -> None:  # noqa: ANN001
    with world.runtime.db.session() as s:
        launch = s.get(Launch, 1)
        set_done(s, launch=launch, keys=list(keys), all_items=all_items, done=True, actor="cli", now=world.clock())


def items(world, launch_id: int = 1) -> list[ReadinessItem]:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return checklist(s, launch_id)


def checklist_response(world) -> dict:  # noqa: ANN001
    found = [r for r in world.sim.responses if r.get("blocks") and "checkboxes" in json.dumps(r["blocks"])]
    assert found, world.sim.responses
    return found[-1]


def tick_boxes(world, response: dict, keys_ticked: set[str], user: str = "U0CSM", channel: str = "C0ACME"):  # noqa: ANN001, ANN201
    """Click the first checkbox group so exactly `keys_ticked` (by item text) are selected in it."""
    block = next(b for b in response["blocks"] if b["type"] == "actions")
    element = block["elements"][0]
    selected = [o for o in element["options"] if o["text"]["text"] in keys_ticked]
    action = {"type": "checkboxes", "action_id": "readiness_toggle", "block_id": block["block_id"],
              "selected_options": selected, "action_ts": "1.0"}
    result = world.slack.block_action("readiness_toggle", user_id=user, channel_id=channel, message_ts="1.1",
                                      extra={"actions": [action]})
    assert result.status == 200
    return world.sim.responses[-1]


def test_a_new_launch_starts_with_the_defaults_the_template_and_its_own_criteria(world):
    with world.runtime.db.session() as s:
        add_template_item(s, text="SSO tested with real accounts", now=world.clock())
    add_launch(world, criterion=["Payroll export signed off"])
    got = items(world)
    assert [i.key for i in got] == [*DEFAULT_KEYS, "sso_tested_with_real_accounts", "payroll_export_signed_off"]
    assert {i.owner for i in got} == {"U0CSM"} and not any(i.done for i in got)
    # An update adds the criteria that are missing and keeps what is there.
    with world.runtime.db.session() as s:
        s.get(ReadinessItem, got[0].id).done = True
    add_launch(world, criterion=["Payroll export signed off", "Printers mapped"])
    again = items(world)
    assert [i.key for i in again][-1] == "printers_mapped" and len(again) == 9 and again[0].done


def test_csm_ticks_criteria_with_checkboxes_and_who_and_when_are_recorded(world):
    add_launch(world)
    answer = world.slack.slash_command("ready", user_id="U0CSM", channel_id="C0ACME").json()
    assert "0 of 6 done" in answer["text"]
    response = checklist_response(world)
    assert response["response_type"] == "ephemeral"
    world.clock.set(datetime(2027, 3, 2, 14, 0, tzinfo=UTC))
    updated = tick_boxes(world, response, {"All integrations tested end to end", "Primary users trained"})
    assert updated["replace_original"] in (True, "true")
    done = {i.key: (i.changed_by, i.changed_at) for i in items(world) if i.done}
    assert done == {"integrations_tested": ("U0CSM", world.clock()), "users_trained": ("U0CSM", world.clock())}
    assert "2 of 6 done" in updated["text"]
    element = next(b for b in updated["blocks"] if b["type"] == "actions")["elements"][0]
    assert [o["value"] for o in element["initial_options"]] == [str(items(world)[0].id), str(items(world)[2].id)]
    # Unticking one from the fresh list changes only that one.
    tick_boxes(world, updated, {"All integrations tested end to end"})
    assert [i.key for i in items(world) if i.done] == ["integrations_tested"]


def test_a_stale_checklist_never_undoes_someone_elses_tick(world):
    add_launch(world, csm=["U0CSM", "U0CSM2"])
    world.slack.slash_command("ready", user_id="U0CSM", channel_id="C0ACME")
    stale = checklist_response(world)
    mark_done(world, "data_migrated")  # another CSM, meanwhile
    tick_boxes(world, stale, {"Primary users trained"})
    assert {i.key for i in items(world) if i.done} == {"data_migrated", "users_trained"}


def test_other_people_get_a_read_only_list_and_cannot_tick(world):
    add_launch(world)
    before = len(world.sim.responses)
    answer = world.slack.slash_command("ready", user_id="U0SUP", channel_id="C0ACME").json()
    assert "Read-only" in answer["text"] and "Key data migrated and validated" in answer["text"]
    assert not [r for r in world.sim.responses[before:] if "checkboxes" in json.dumps(r.get("blocks") or [])]
    world.slack.slash_command("ready", user_id="U0CSM", channel_id="C0ACME")
    forged = tick_boxes(world, checklist_response(world), {"Primary users trained"}, user="U0SUP")
    assert "Only the launch's CSMs and admins" in forged["text"]
    assert not any(i.done for i in items(world))
    elsewhere = world.slack.slash_command("ready", user_id="U0CSM", channel_id="C0SUP").json()
    assert "not a launch channel" in elsewhere["text"]


def test_cli_lists_and_marks_criteria_and_refuses_unknown_keys(world):
    add_launch(world)
    listed = run_golive(["launch", "criteria", "1"], world.env)
    assert listed.code == 0 and "integrations_tested" in listed.stdout and "0 of 6 met" in listed.stderr
    marked = run_golive(["launch", "criteria", "1", "--done", "data_migrated", "--done", "users_trained"], world.env)
    assert marked.code == 0 and "2 changed; 2 of 6 met" in marked.stderr
    assert {i.key: i.changed_by for i in items(world) if i.done} == {"data_migrated": "cli", "users_trained": "cli"}
    bad = run_golive(["launch", "criteria", "1", "--done", "nope", "--done", "admin_trained"], world.env)
    assert bad.code == 2 and "unknown criterion key(s): nope" in bad.stderr
    assert len([i for i in items(world) if i.done]) == 2
    everything = run_golive(["launch", "criteria", "1", "--all"], world.env)
    assert everything.code == 0 and "6 of 6 met" in everything.stderr


def test_reminders_three_and_one_business_day_before_go_live(world):
    add_launch(world, criterion=["Payroll export <b>signed</b> off"])
    mark_done(world, "integrations_tested")
    world.tick(WED_BEFORE)
    dm = [m["text"] for m in world.sim.dm_messages("U0CSM") if "criteria are still open" in m["text"]]
    assert len(dm) == 1 and "in three business days" in dm[0] and "6 of 7 criteria are still open" in dm[0]
    assert "Key data migrated and validated" in dm[0] and "All integrations tested" not in dm[0]
    assert "&lt;b&gt;signed&lt;/b&gt;" in dm[0]
    public = [m["text"] for m in world.sim.messages("C0ACME")]
    assert len(public) == 1 and "1 of 7 go-live criteria are done" in public[0]
    world.tick(WED_BEFORE + timedelta(minutes=5))
    assert len(world.sim.messages("C0ACME")) == 1
    mark_done(world, all_items=True)
    world.tick(FRI_BEFORE)
    friday = [m["text"] for m in world.sim.dm_messages("U0CSM") if "tomorrow" in m["text"]]
    assert len(friday) == 1 and "all 7 criteria are met" in friday[0]
    assert "every go-live criterion is met" in world.sim.messages("C0ACME")[-1]["text"]


def test_plans_land_at_the_local_time_across_dst_changes(world):
    berlin = add_launch(world, go_live="2027-03-29")  # Berlin moves to summer time on Sun 28 March
    new_york = add_launch(world, channel="C0OTHER", customer="Other Co", go_live="2027-03-15",
                          tz="America/New_York")  # New York moves on Sun 14 March
    with world.runtime.db.session() as s:
        plan = {w.kind: [] for w in stored_plan(s, berlin)}
        for w in stored_plan(s, berlin):
            plan[w.kind].append(w.due_at)
        ny = {w.kind: w.due_at for w in stored_plan(s, new_york)}
    assert plan["readiness_reminder"] == [datetime(2027, 3, 24, 13, 0, tzinfo=UTC),
                                          datetime(2027, 3, 26, 13, 0, tzinfo=UTC)]
    assert plan["retro_prompt"] == [datetime(2027, 4, 12, 8, 0, tzinfo=UTC)]  # 10:00 summer time
    assert plan["goal_review"] == [datetime(2027, 4, 28, 8, 0, tzinfo=UTC)]
    assert ny["readiness_reminder"] == datetime(2027, 3, 12, 19, 0, tzinfo=UTC)  # 14:00 EST, Friday
    assert ny["retro_prompt"] == datetime(2027, 3, 29, 14, 0, tzinfo=UTC)  # 10:00 EDT


def test_a_go_live_date_in_the_past_is_refused_at_creation_in_the_launchs_time_zone(world, tmp_path):
    world.clock.set(datetime(2027, 3, 8, 12, 30, tzinfo=UTC))  # already Tue 9 March in Auckland
    with pytest.raises(InvalidInput, match="in the past"):
        add_launch(world, go_live="2027-03-08", tz="Pacific/Auckland", refuse_past=True)
    assert add_launch(world, go_live="2027-03-08", tz="America/Los_Angeles", refuse_past=True) == 1  # the 8th there
    add_launch(world, go_live="2027-03-01", refuse_past=True)  # an existing launch may move; creation is checked
    past = run_golive(["launch", "add", "--customer", "Late Co", "--channel", "C0LATE", "--go-live", "2020-01-06",
                       "--tz", "Europe/Berlin"], world.env)
    assert past.code == 2 and "in the past" in past.stderr
    imported = tmp_path / "late.yml"
    imported.write_text("launches:\n  - {customer: Late Co, channel: C0LATE, go_live: 2020-01-06, tz: UTC}\n",
                        encoding="utf-8")
    refused = run_golive(["launch", "import", str(imported)], world.env)
    assert refused.code == 2 and "in the past" in refused.stderr
    with world.runtime.db.session() as s:
        assert [launch.channel for launch in s.exec(select(Launch))] == ["C0ACME"]


def test_a_retro_delay_outside_14_to_28_days_is_refused(world, tmp_path):
    for days in (13, 29, "fourteen"):
        with pytest.raises(InvalidInput, match="retro-after-days must be"):
            add_launch(world, retro_after_days=days)
    spec = tmp_path / "launches.yml"
    # A future go-live date, so the import is refused for the delay and for nothing else.
    spec.write_text(f"launches:\n  - {{customer: Acme, channel: C0ACME, go_live: {monday_ahead(2)},\n"
                    "     tz: Europe/Berlin, retro_after_days: 29}\n", encoding="utf-8")
    result = run_golive(["launch", "import", str(spec)], world.env)
    assert result.code == 2 and "between 14 and 28" in result.stderr
    with world.runtime.db.session() as s:
        assert s.exec(select(Launch)).all() == []
