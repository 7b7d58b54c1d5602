"""The digest's themes are remembered between builds (bot.features.themes.service keeps each grouping's
answer by its input) and must follow the data: a blocked answer or an issue that arrives after a digest was
built shows in the next build, even one for the same minute (a second CSM's digest, a retry)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.features.digest.service import build_launch_digest
from bot.features.themes.service import clear_caches
from storage.models import Issue, Launch
from tests.conftest import CUSTOMER_TEAM
from tests.scenarios.test_digest import (
    MON_CHECKIN,
    TUE_DIGEST,
    add_launch,
    digest_section,
    digests_to,
    monday_with_answers,
)


def build(world, launch_id: int):  # noqa: ANN001, ANN201 - the send-time build of one launch's part
    with world.runtime.db.read() as s:
        launch = s.exec(select(Launch).where(Launch.id == launch_id)).one()
        return build_launch_digest(s, launch, TUE_DIGEST, TUE_DIGEST - timedelta(days=1))


def answer_blocked(world, user: str, note: str) -> None:  # noqa: ANN001
    post = [m for m in world.sim.messages("C0ACME") if m.blocks and "Day 1 of launch week" in m.plain_text()][0]
    value = next(e["value"] for b in post.blocks if b["type"] == "actions" for e in b["elements"])
    world.slack.block_action("checkin_note", user_id=user, channel_id="C0ACME", message_ts=post["ts"], value=value,
                             user_team_id=CUSTOMER_TEAM)
    view = world.sim.views_for(user)
    world.slack.view_submission(
        "checkin_note_modal", user_id=user, user_team_id=CUSTOMER_TEAM, private_metadata=view["private_metadata"],
        values={"answer": {"answer": {"type": "radio_buttons", "selected_option": {"value": "blocked"}}},
                "note": {"note": {"type": "plain_text_input", "value": note}}})


def report(world, user: str, text: str) -> None:  # noqa: ANN001
    msg = world.sim.post_as_user("C0ACME", user, f"<@UBOT> {text}")
    world.slack.app_mention(msg["text"], user_id=user, channel_id="C0ACME", ts=msg["ts"], user_team=CUSTOMER_TEAM)


def theme_names(digest) -> list[str]:  # noqa: ANN001
    return [t.name.casefold() for t in digest.themes]


def test_a_blocked_answer_after_a_digest_was_built_shows_in_the_next_build_of_the_same_minute(world):
    launch_id = add_launch(world)
    monday_with_answers(world)  # Cora blocked on SSO (note), Cyril's SSO issue
    before = build(world, launch_id)
    assert any("sso" in name for name in theme_names(before))
    assert not any("export" in name for name in theme_names(before))
    assert before.counts.get("blocked") == 1
    assert build(world, launch_id).themes == before.themes  # nothing new: the same themes

    world.clock.set(MON_CHECKIN + timedelta(minutes=20))
    answer_blocked(world, "U0CUST2", "CSV export times out for the big monthly report")
    report(world, "U0CUST1", "The CSV export of the monthly report times out again")
    world.deliver()

    after = build(world, launch_id)
    assert after.counts.get("blocked") == 2 and "U0CUST2" in after.blocked_people
    [export] = [t for t in after.themes if "export" in t.name.casefold()]
    assert export.count == 2 and export.is_new
    assert any("sso" in name for name in theme_names(after))  # the SSO theme stays

    # The digest the CSM reads says the same.
    world.tick(TUE_DIGEST)
    [digest] = digests_to(world, "U0CSM")
    [themes_line] = [line for line in digest_section(digest, "Acme Corp").splitlines()
                     if line.startswith("*Themes this week:*")]
    assert "export" in themes_line.casefold() and "sso" in themes_line.casefold()


def test_an_issue_text_changed_in_place_changes_the_themes_of_the_same_minute(world):
    """Blocked details are appended to an issue's text in place (same issue, same ref): the next build reads
    the new words."""
    launch_id = add_launch(world)
    monday_with_answers(world)
    world.clock.set(MON_CHECKIN + timedelta(minutes=20))
    report(world, "U0CUST1", "Invoice approval button is greyed out")
    world.deliver()
    before = build(world, launch_id)
    assert not any("invoice" in name for name in theme_names(before))

    with world.runtime.db.session() as s:  # the words of Cyril's SSO issue change after the fact
        issue = s.exec(select(Issue).where(Issue.launch_id == launch_id, Issue.text.contains("SSO redirect"))).one()
        issue.text = "The invoice approval button stays greyed out for the finance team"
    after = build(world, launch_id)
    [invoice] = [t for t in after.themes if "invoice" in t.name.casefold()]
    assert invoice.count == 2


def test_the_worker_builds_a_digest_ahead_and_the_digest_still_follows_what_came_after(world):
    """The worker builds the digests due in the next minutes ahead of time (their themes are then remembered):
    the digest built at its time is the one a fresh process would build, and a report that arrives after the
    warm-up shows in it."""
    launch_id = add_launch(world)
    monday_with_answers(world)
    world.clock.set(TUE_DIGEST - timedelta(hours=1))
    assert world.runtime.warm_digests() == 0  # not due in the next minutes yet
    world.clock.set(TUE_DIGEST - timedelta(minutes=10))
    assert world.runtime.warm_digests() == 1  # the CSM's digest of 08:30
    warmed = build(world, launch_id)
    clear_caches()
    assert build(world, launch_id) == warmed  # nothing remembered: the very same digest

    world.clock.set(TUE_DIGEST - timedelta(minutes=5))
    report(world, "U0CUST1", "CSV export times out for the big monthly report")
    report(world, "U0CUST2", "The CSV export of the monthly report times out again")
    world.deliver()
    world.tick(TUE_DIGEST)
    [digest] = digests_to(world, "U0CSM")
    [themes_line] = [line for line in digest_section(digest, "Acme Corp").splitlines()
                     if line.startswith("*Themes this week:*")]
    assert "export" in themes_line.casefold() and "sso" in themes_line.casefold()
