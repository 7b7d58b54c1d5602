"""Slack text as a person reading it would see it, for the terminal: mrkdwn and Block Kit turned into Rich
markup. `*bold*` is bold, `<@U123>` is @display-name, `<#C123>` is #channel-name, `<!subteam^S1>` is
@group-handle, `<url|label>` is the label, `:emoji_code:` is the emoji, `&lt;` `&gt;` `&amp;` are unescaped,
and whatever a person typed is shown as typed — never read as Rich markup (every text run is escaped).

Used by `golive demo`; the simulator's own `plain_text()` (what tests assert on) is left as it is."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import emoji
from rich.markup import escape
from rich.text import Text

Lookup = Callable[[str], str | None]

# Slack's names for a few emoji that the emoji package knows under another name (Slack says "large_…").
SLACK_EMOJI = {
    "large_green_circle": "🟢", "large_yellow_circle": "🟡", "large_orange_circle": "🟠",
    "large_blue_circle": "🔵", "large_red_circle": "🔴", "large_purple_circle": "🟣",
    "large_brown_circle": "🟤", "white_large_square": "⬜", "black_large_square": "⬛",
    "simple_smile": "🙂", "slightly_smiling_face": "🙂", "thumbsup": "👍", "thumbsdown": "👎",
}

_TOKEN = re.compile(
    r"(?P<pre>```.+?```)"
    r"|(?P<code>`[^`\n]+`)"
    r"|(?P<link><[^<>\n]+>)"
    r"|(?P<emoji>:[a-z0-9_+'-]+:)"
    r"|(?P<bold>(?<![\w*])\*(?!\s)[^*\n]+?(?<!\s)\*(?![\w*]))"
    r"|(?P<italic>(?<![\w_])_(?!\s)[^_\n]+?(?<!\s)_(?![\w_]))"
    r"|(?P<strike>(?<![\w~])~(?!\s)[^~\n]+?(?<!\s)~(?![\w~]))",
    re.S,
)
_STYLES = {"bold": "bold", "italic": "italic", "strike": "strike"}


@dataclass(frozen=True)
class Names:
    """How ids become names: a person's display name, a channel's name, a user group's handle.
    A lookup that answers None leaves the id visible (better than a wrong name)."""

    user: Lookup | None = None
    channel: Lookup | None = None
    group: Lookup | None = None

    def of_user(self, uid: str) -> str:
        return (self.user(uid) if self.user else None) or uid

    def of_channel(self, cid: str) -> str:
        return (self.channel(cid) if self.channel else None) or cid

    def of_group(self, sid: str) -> str:
        return ((self.group(sid) if self.group else None) or sid).lstrip("@")


NO_NAMES = Names()


def emoji_for(code: str) -> str | None:
    """The character for a Slack emoji code (without colons), or None when it is not one we know."""
    if code in SLACK_EMOJI:
        return SLACK_EMOJI[code]
    found = emoji.emojize(f":{code}:", language="alias")
    return None if found == f":{code}:" else found


def _plain(text: str) -> str:
    """A run of plain text: Slack's entities unescaped, Rich's markup escaped."""
    return escape(html.unescape(text))


def _link(target: str, label: str | None, names: Names) -> str:
    label_markup = _plain(label) if label else None
    if target.startswith("@"):
        return f"[bold]@{label_markup or escape(names.of_user(target[1:]))}[/bold]"
    if target.startswith("#"):
        return f"[bold]#{label_markup or escape(names.of_channel(target[1:]))}[/bold]"
    if target.startswith("!subteam^"):
        handle = label.lstrip("@") if label else names.of_group(target.split("^", 1)[1])
        return f"[bold]@{_plain(handle)}[/bold]"
    if target.startswith("!"):
        if label:  # <!date^…|fallback>
            return label_markup or ""
        return f"[bold]@{escape(target[1:])}[/bold]"  # <!here>, <!channel>, <!everyone>
    url = html.unescape(target)
    shown = label_markup or escape(url)
    if url.startswith(("http://", "https://")) and "]" not in url and " " not in url:
        return f"[link={url}]{shown}[/link]"
    return shown


def _inline(text: str, names: Names) -> str:
    out: list[str] = []
    at = 0
    for match in _TOKEN.finditer(text):
        out.append(_plain(text[at:match.start()]))
        at = match.end()
        kind, token = match.lastgroup, match.group()
        if kind == "pre":
            out.append(f"[dim]{_plain(token[3:-3])}[/dim]")
        elif kind == "code":
            out.append(f"[cyan]{_plain(token[1:-1])}[/cyan]")
        elif kind == "link":
            target, _, label = token[1:-1].partition("|")
            out.append(_link(target, label or None, names))
        elif kind == "emoji":
            char = emoji_for(token[1:-1])
            out.append(char if char is not None else _plain(token))
        else:
            style = _STYLES[kind]
            out.append(f"[{style}]{_inline(token[1:-1], names)}[/{style}]")
    out.append(_plain(text[at:]))
    return "".join(out)


def mrkdwn(text: str | None, names: Names = NO_NAMES) -> str:
    """Slack mrkdwn as Rich markup (quote lines, `> …`, get a bar)."""
    lines = []
    for line in (text or "").split("\n"):
        quoted = re.match(r"^(?:&gt;|>)\s?", line)
        if quoted:
            lines.append("[dim]▎[/dim] " + _inline(line[quoted.end():], names))
        else:
            lines.append(_inline(line, names))
    return "\n".join(lines)


def plain_text(text: str | None) -> str:
    """A Block Kit plain_text object's text: emoji codes become emoji, nothing else is interpreted."""
    out: list[str] = []
    at = 0
    for match in re.finditer(r":[a-z0-9_+'-]+:", text or ""):
        char = emoji_for(match.group()[1:-1])
        if char is not None:
            out.append(escape(text[at:match.start()]) + char)
            at = match.end()
    out.append(escape((text or "")[at:]))
    return "".join(out)


def _text_object(obj: object, names: Names) -> str:
    if not isinstance(obj, dict):
        return "" if obj is None else escape(str(obj))
    if obj.get("type") == "mrkdwn":
        return mrkdwn(str(obj.get("text", "")), names)
    return plain_text(str(obj.get("text", "")))


def _element(element: dict, names: Names) -> str:
    kind = element.get("type", "")
    if kind in ("plain_text", "mrkdwn"):
        return _text_object(element, names)
    if kind == "image":
        return escape(f"[image: {element.get('alt_text', '')}]")
    if kind == "button":
        style = {"primary": "green", "danger": "red"}.get(element.get("style", ""), "")
        label = "\\[" + _text_object(element.get("text"), names) + "]"
        return f"[{style}]{label}[/{style}]" if style else label
    if "placeholder" in element:
        return "\\[" + _text_object(element.get("placeholder"), names) + " ▾]"
    return escape(f"[{kind}]")


def _checkboxes(element: dict, names: Names) -> list[str]:
    ticked = {o["value"] for o in element.get("initial_options") or []}
    lines = []
    for option in element.get("options", []):
        mark = "☑" if option["value"] in ticked else "☐"
        detail = f"   [dim]({_text_object(option['description'], names)})[/dim]" if option.get("description") else ""
        lines.append(f"{mark} {_text_object(option.get('text'), names)}{detail}")
    return lines


def _rich_text(node: object, names: Names) -> str:
    if isinstance(node, list):
        return "".join(_rich_text(n, names) for n in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        text = escape(str(node.get("text", "")))
        styles = [s for s in ("bold", "italic", "strike") if (node.get("style") or {}).get(s)]
        return f"[{' '.join(styles)}]{text}[/]" if styles and text else text
    if kind == "link":
        return escape(str(node.get("text") or node.get("url", "")))
    if kind == "user":
        return f"[bold]@{escape(names.of_user(str(node.get('user_id', ''))))}[/bold]"
    if kind == "channel":
        return f"[bold]#{escape(names.of_channel(str(node.get('channel_id', ''))))}[/bold]"
    if kind == "usergroup":
        return f"[bold]@{escape(names.of_group(str(node.get('usergroup_id', ''))))}[/bold]"
    if kind == "emoji":
        name = str(node.get("name", ""))
        return emoji_for(name) or escape(f":{name}:")
    if kind == "rich_text_list":
        return "\n".join("• " + _rich_text(item, names) for item in node.get("elements", []))
    inner = _rich_text(node.get("elements", []), names)
    return inner + "\n" if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote") else inner


def blocks(items: Iterable[dict] | None, names: Names = NO_NAMES) -> str:
    """Block Kit blocks as Rich markup, one block after another, checkboxes as ☑/☐ lines."""
    lines: list[str] = []
    for block in items or ():
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "header":
            lines.append(f"[bold underline]{_text_object(block.get('text'), names)}[/bold underline]")
        elif kind == "section":
            parts = [_text_object(block.get("text"), names)] if block.get("text") else []
            parts += [_text_object(f, names) for f in block.get("fields", [])]
            if isinstance(block.get("accessory"), dict):
                parts.append(_element(block["accessory"], names))
            lines.append("\n".join(p for p in parts if p))
        elif kind == "context":
            lines.append("[dim]" + " · ".join(_element(e, names) for e in block.get("elements", [])) + "[/dim]")
        elif kind == "actions":
            elements = block.get("elements", [])
            if elements and all(e.get("type") == "checkboxes" for e in elements):
                for element in elements:
                    lines.extend(_checkboxes(element, names))
            else:
                lines.append(" ".join(_element(e, names) for e in elements))
        elif kind == "divider":
            lines.append("[dim]" + "─" * 24 + "[/dim]")
        elif kind == "image":
            lines.append(escape(f"[image: {block.get('alt_text', '')}]"))
        elif kind == "input":
            lines.append(f"{_text_object(block.get('label'), names)}: ____")
        elif kind == "rich_text":
            lines.append(_rich_text(block.get("elements", []), names).rstrip("\n"))
        else:
            lines.append(escape(f"[{kind}]"))
    return "\n".join(lines)


def message(text: str | None, items: list[dict] | None, files: list[dict] | None = None,
            names: Names = NO_NAMES) -> str:
    """A whole message: its blocks when it has them (the text is then only the notification fallback)."""
    body = blocks(items, names) if items else mrkdwn(text, names)
    for f in files or ():
        line = escape(f"[file: {f.get('title') or f.get('name')}]")
        body = f"{body}\n{line}" if body else line
    return body


def to_text(markup: str) -> Text:
    """Rich markup as a Text, with Rich's own `:emoji:` replacement off (ours already ran, and a code a
    person typed that Slack would not render must stay as typed)."""
    return Text.from_markup(markup, emoji=False)
