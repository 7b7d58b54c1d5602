"""Hostile text: whatever people type, the bot's echoes never become mentions, broadcasts, channel links,
user-group pings or hyperlinks, and never break Slack's size limits.

The text goes in through every door (mention, report modal, /golive issue, check-in note, support and
customer thread replies, resolution note) and is checked where it comes out (support card, urgent post,
escalations, reporter notices, relays both ways, /golive issues), on what reached the simulator: every
`<…>` token in any message text or blocks must be one golive made itself from a known id.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import Issue, OutboxMessage, OutboxStatus
from tests.conftest import CUSTOMER_TEAM

MON = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # go-live Monday, 10:00 in Berlin
T0 = MON + timedelta(hours=2)
HOSTILE = ("<!channel> <!here> <!everyone> <!channel|channel> <@U0EVIL> <@U0EVIL|boss> <#C0EVIL> <#C0EVIL|general> "
           "<!subteam^S0EVIL> <!subteam^S0EVIL|@oncall> <https://evil.test/login|Reset your password> "
           "<mailto:phish@evil.test|IT desk> <!date^1392734382^{date}|x> &lt;!here&gt; *fake* _bold_ `tick`\n"
           "> a forged quote\n```code```")
DANGEROUS = ("<!channel", "<!here", "<!everyone", "<@U0EVIL", "<#C0EVIL", "<!subteam^S0EVIL", "<https://evil",
             "<mailto:", "<!date")
# The only <…> tokens golive may produce: mentions of known people, links to known channels, the oncall
# group it was configured with, and permalinks Slack itself returned.
ALLOWED_TOKEN = re.compile(
    r"<@(U0CSM|U0CSM2|U0ADMIN|U0SUP|U0CUST1|U0CUST2|U0OTHER|UBOT)>"
    r"|<#(C0SUP|C0URG|C0ACME|C0OTHER)>|<!subteam\^S0ONCALL>"
    r"|<https://sim\.slack\.test/archives/C0[A-Z]+/p\d+(\?[^|>]*)?\|source message>")
SECTION_LIMIT, HEADER_LIMIT, CONTEXT_LIMIT, TEXT_LIMIT = 3000, 150, 3000, 40_000



def add_launch(world, **overrides: Any) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "urgent_channel": "C0URG", "oncall": "S0ONCALL",
           "escalation_steps": 1, **overrides}
    world.clock.set(MON - timedelta(days=7))
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def issues(world) -> list[Issue]:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return list(s.exec(select(Issue).order_by(Issue.id)).all())


def everything_posted(world) -> list[dict]:  # noqa: ANN001
    """Every message, reply, DM and ephemeral the bot posted, and every response_url answer."""
    posted = [{"where": f"{m.channel}/{m.ts}", "text": m.text, "blocks": m.blocks}
              for m in world.sim.all_messages() if m.user == "UBOT"]
    posted += [{"where": f"ephemeral/{m.ephemeral_for}", "text": m.text, "blocks": m.blocks}
               for m in world.sim.ephemerals()]
    posted += [{"where": "response_url", "text": r.get("text"), "blocks": r.get("blocks")} for r in world.sim.responses]
    return posted


def assert_inert(world, extra: list[str] = ()) -> str:  # noqa: ANN001
    """No dangerous token anywhere the bot wrote; every <…> token is one golive made. Returns all the
    text, for checking that the hostile text was echoed (escaped) at all."""
    blobs = [f"{p['text'] or ''}\n{json.dumps(p['blocks'] or [], ensure_ascii=False)}"
             for p in everything_posted(world)]
    blobs += list(extra)
    everything = "\n".join(blobs)
    for token in DANGEROUS:
        assert token not in everything, f"{token!r} reached Slack unescaped"
    for blob in blobs:
        for token in re.findall(r"<[^<>]*>", blob):
            assert ALLOWED_TOKEN.fullmatch(token), f"unexpected Slack control token {token!r} in {blob[:300]!r}"
    return everything


def assert_within_limits(world) -> None:  # noqa: ANN001
    """Every block text inside Slack's limits, and nothing dead or stuck in the outbox."""
    for post in everything_posted(world):
        assert len(post["text"] or "") <= TEXT_LIMIT, post["where"]
        for block in post["blocks"] or []:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= SECTION_LIMIT, post["where"]
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= HEADER_LIMIT, post["where"]
            if block["type"] == "context":
                assert all(len(e.get("text", "")) <= CONTEXT_LIMIT for e in block["elements"]), post["where"]
    with world.runtime.db.session() as s:
        stuck = s.exec(select(OutboxMessage.dedupe_key, OutboxMessage.status, OutboxMessage.last_error)
                       .where(OutboxMessage.status != OutboxStatus.SENT)).all()
    assert stuck == [], f"outbox rows not delivered (Slack refused them?): {stuck}"


def card_ts(world, number: int) -> str:  # noqa: ANN001
    [issue] = [i for i in issues(world) if i.number == number]
    assert issue.support_ts
    return issue.support_ts


def escaped_count(text: str) -> int:
    return text.count("&lt;!channel&gt;")


def run_every_echo(world, text: str) -> dict[str, Any]:  # noqa: ANN001
    """Feed `text` through every door and every echo path; returns what the slash commands answered."""
    add_launch(world)
    world.tick(MON)  # the check-in and the pinned help message
    world.clock.set(T0)
    checkin = [m for m in world.sim.messages("C0ACME") if m.blocks and "launch week" in m.plain_text()][0]
    # 1. a mention: support card and reporter notice
    msg = world.sim.post_as_user("C0ACME", "U0CUST1", "<@UBOT> " + text[:39_000])
    assert world.slack.app_mention(msg["text"], user_id="U0CUST1", channel_id="C0ACME", ts=msg["ts"],
                                   user_team=CUSTOMER_TEAM).status == 200
    # 2. the report modal as sev1: the urgent post with the oncall mentioned
    world.slack.view_submission("report_issue_modal", user_id="U0CUST2", user_team_id=CUSTOMER_TEAM,
                                view_id="V0HOSTILE", private_metadata=json.dumps(
                                    {"channel": "C0ACME", "thread_ts": checkin["ts"], "source": "button"}),
                                values={"text": {"text": text[:3000]},
                                        "severity": {"severity": {"type": "radio_buttons",
                                                                  "selected_option": {"value": "sev1"}}}})
    # 3. /golive issue from staff
    slash_issue = world.slack.slash_command("issue " + text, user_id="U0CSM", channel_id="C0ACME").json()
    # 4. a check-in note (friction with a note opens an issue)
    world.slack.view_submission("checkin_note_modal", user_id="U0CUST1", user_team_id=CUSTOMER_TEAM,
                                private_metadata=json.dumps({"checkin": 1, "channel": "C0ACME"}),
                                values={"answer": {"answer": {"type": "radio_buttons",
                                                              "selected_option": {"value": "friction"}}},
                                        "note": {"note": text[:3000]}})
    world.deliver()
    assert len(issues(world)) == 4, [i.source for i in issues(world)]
    # 5. relays both ways on the mention's issue
    support_ts = card_ts(world, 1)
    reply = world.sim.post_as_user("C0SUP", "U0SUP", ">> " + text[:39_000], thread_ts=support_ts)
    world.slack.message(reply["text"], user_id="U0SUP", channel_id="C0SUP", ts=reply["ts"], thread_ts=support_ts)
    back = world.sim.post_as_user("C0ACME", "U0CUST1", text[:39_000], thread_ts=msg["ts"])
    world.slack.message(back["text"], user_id="U0CUST1", channel_id="C0ACME", ts=back["ts"], thread_ts=msg["ts"],
                        user_team=CUSTOMER_TEAM)
    # 6. /golive issues lists them all
    listing = world.slack.slash_command("issues", user_id="U0CSM", channel_id="C0ACME").json()
    # 7. escalation of the unacknowledged ones (one step), then a resolution with a note
    world.tick(T0 + timedelta(hours=5))
    resolve = world.slack.block_action("issue_resolve", user_id="U0SUP", channel_id="C0SUP", message_ts=support_ts,
                                       value=str(issues(world)[0].id))
    assert resolve.status == 200
    view = world.sim.views_for("U0SUP")
    world.slack.view_submission("issue_resolve_modal", user_id="U0SUP", private_metadata=view["private_metadata"],
                                values={"note": {"note": text[:3000]}})
    world.clock.advance(seconds=10)
    world.deliver()
    return {"slash_issue": slash_issue, "listing": listing, "mention_ts": msg["ts"], "support_ts": support_ts}


def test_hostile_text_is_echoed_inert_through_every_path(world):
    answers = run_every_echo(world, HOSTILE)
    everything = assert_inert(world, extra=[json.dumps(answers["slash_issue"]), json.dumps(answers["listing"])])
    assert_within_limits(world)
    # …and it was echoed (escaped) on each path, so the checks above saw real echoes:
    def shown(messages: list) -> list[str]:  # noqa: ANN001
        return [m["text"] + json.dumps(m.blocks or []) for m in messages]

    cards = [t for t in shown(world.sim.messages("C0SUP")) if "*Issue #" in t]
    assert len([t for t in cards if escaped_count(t)]) >= 4, "support cards"
    assert any(escaped_count(t) and "sev1" in t for t in shown(world.sim.messages("C0URG"))), "urgent post"
    assert any("Escalation" in t and escaped_count(t) for t in shown(world.sim.messages("C0URG"))), "escalation"
    assert any("Escalation" in t and escaped_count(t) for t in shown(world.sim.dm_messages("U0CSM"))), "CSM DM"
    customer_thread = shown(world.sim.thread("C0ACME", answers["mention_ts"]))
    assert any("from support" in t and escaped_count(t) for t in customer_thread), "relay to the customer"
    assert any("is resolved" in t and escaped_count(t) for t in customer_thread), "resolution to the reporter"
    support_thread = shown(world.sim.thread("C0SUP", answers["support_ts"]))
    assert any("(customer)" in t and escaped_count(t) for t in support_thread), "relay to support"
    assert any("Resolution:" in t and escaped_count(t) for t in cards), "resolution on the card"
    assert escaped_count(answers["listing"]["text"]), "/golive issues"
    assert "&amp;lt;!here&amp;gt;" in everything  # already-escaped text stays literal, not decoded
    with world.runtime.db.session() as s:
        stored = s.exec(select(Issue.text).where(Issue.source == "slash command")).one()
    assert stored == HOSTILE  # stored as typed; escaping happens on the way out


def test_text_over_slacks_limits_is_clipped_inside_them_on_every_echo(world):
    """Worst case for clipping: every character expands when escaped (& → &amp;) and lines are many."""
    huge = ("<!channel>&" * 4_000 + "\n") * 2 + "🚀" * 1_000 + HOSTILE
    answers = run_every_echo(world, huge)
    assert_inert(world, extra=[json.dumps(answers["slash_issue"]), json.dumps(answers["listing"])])
    assert_within_limits(world)
    cards = [m for m in world.sim.messages("C0SUP") if not m.is_reply]
    assert len(cards) == 4
    for card in cards:
        body = [b for b in card.blocks if b.get("block_id") == "issue_text"][0]["text"]["text"]
        assert body.endswith("…") and not re.search(r"&[a-z]*…$", body), body[-30:]  # no entity cut in half
    listing = answers["listing"]["text"]
    assert len(listing) <= TEXT_LIMIT and listing.count("\n") == 4
    relays = [m for m in world.sim.thread("C0ACME", answers["mention_ts"]) if "from support" in m["text"]]
    assert len(relays) == 1 and relays[0]["text"].endswith("…")
