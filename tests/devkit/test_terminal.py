"""The demo's terminal rendering of Slack text: what a person would read, never raw mrkdwn, and never a
customer's words read as Rich markup."""

from __future__ import annotations

from rich.console import Console

from bot.devkit import terminal

NAMES = terminal.Names(user={"U0CARLA": "carla"}.get, channel={"C0SUPPORT": "support"}.get,
                       group={"S0ONCALL": "oncall"}.get)


def shown(markup: str) -> str:
    """What the terminal prints for some Rich markup (plain: no colours in a captured console)."""
    console = Console(width=200, color_system=None, record=True)
    console.print(terminal.to_text(markup))
    return console.export_text().rstrip("\n")


def test_bold_becomes_bold_and_loses_its_asterisks():
    markup = terminal.mrkdwn("*Acme Corp* is *at risk*: 2*3*4 stays, snake_case_name stays", NAMES)
    assert markup.startswith("[bold]Acme Corp[/bold] is [bold]at risk[/bold]")
    assert shown(markup) == "Acme Corp is at risk: 2*3*4 stays, snake_case_name stays"
    styled = terminal.to_text(markup)
    assert any("bold" in str(span.style) for span in styled.spans)


def test_italic_strike_code_and_quotes():
    assert shown(terminal.mrkdwn("_soon_ ~never~ `golive launch show 1`", NAMES)) == "soon never golive launch show 1"
    assert shown(terminal.mrkdwn("&gt; quoted *words*", NAMES)) == "▎ quoted words"


def test_mentions_channels_groups_and_broadcasts_become_names():
    text = "<@U0CARLA> and <@U0UNKNOWN> in <#C0SUPPORT>, <#C0X|general>, <!subteam^S0ONCALL>, " \
           "<!subteam^S0OTHER|@ops>, <!here>"
    assert shown(terminal.mrkdwn(text, NAMES)) == "@carla and @U0UNKNOWN in #support, #general, @oncall, @ops, @here"


def test_links_show_their_label_and_bare_links_their_address():
    text = "<https://learn.example.com/a?x=1&amp;y=2|the training> or <https://example.com>"
    assert shown(terminal.mrkdwn(text, NAMES)) == "the training or https://example.com"
    assert "[link=https://learn.example.com/a?x=1&y=2]" in terminal.mrkdwn(text, NAMES)


def test_emoji_codes_become_emoji_and_unknown_codes_stay():
    text = ":large_green_circle: :large_yellow_circle: :rotating_light: :palm_tree: :tada: :no_such_code: 10:00:30"
    assert shown(terminal.mrkdwn(text, NAMES)) == "🟢 🟡 🚨 🌴 🎉 :no_such_code: 10:00:30"
    assert terminal.emoji_for("white_check_mark") == "✅"
    assert terminal.emoji_for("not_an_emoji_at_all") is None


def test_slack_escapes_are_undone():
    assert shown(terminal.mrkdwn("a &lt;b&gt; &amp; c", NAMES)) == "a <b> & c"


def test_what_a_customer_typed_is_shown_not_interpreted_as_rich_markup():
    typed = "[bold red]urgent[/bold red] [link=https://evil.example]x[/link] \\[ok] [/] :smile: [dim]"
    assert shown(terminal.mrkdwn(typed.replace("&", "&amp;"), NAMES)).replace("😄", ":smile:") == typed
    assert shown(terminal.plain_text("[Export] [/bold]")) == "[Export] [/bold]"  # a plain_text button label


def test_blocks_render_header_sections_context_buttons_and_checkboxes():
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": ":dart: Review"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Owner <@U0CARLA>"},
         "fields": [{"type": "mrkdwn", "text": "*Status:* open"}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "in <#C0SUPPORT>"},
                                         {"type": "plain_text", "text": "[typed]"}]},
        {"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": ":large_green_circle: All good"},
             "style": "primary", "action_id": "a"},
            {"type": "static_select", "placeholder": {"type": "plain_text", "text": "Severity"}, "action_id": "b"}]},
        {"type": "actions", "elements": [{"type": "checkboxes", "action_id": "c", "options": [
            {"text": {"type": "plain_text", "text": "Trained"}, "value": "t",
             "description": {"type": "mrkdwn", "text": "owner <@U0CARLA>"}},
            {"text": {"type": "plain_text", "text": "Migrated"}, "value": "m"}],
            "initial_options": [{"text": {"type": "plain_text", "text": "Trained"}, "value": "t"}]}]},
        {"type": "divider"},
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "text", "text": "hi ", "style": {"bold": True}}, {"type": "user", "user_id": "U0CARLA"},
            {"type": "emoji", "name": "wave"}]}]},
    ]
    assert shown(terminal.blocks(blocks, NAMES)).splitlines() == [
        "🎯 Review", "Owner @carla", "Status: open", "in #support · [typed]", "[🟢 All good] [Severity ▾]",
        "☑ Trained   (owner @carla)", "☐ Migrated", "─" * 24, "hi @carla👋"]


def test_a_message_uses_its_blocks_and_lists_its_files():
    text = terminal.message("*fallback*", [{"type": "section", "text": {"type": "mrkdwn", "text": "body"}}],
                            [{"title": "chart [1]"}], NAMES)
    assert shown(text) == "body\n[file: chart [1]]"
    assert shown(terminal.message("*only text*", None)) == "only text"
