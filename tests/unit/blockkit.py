"""Block Kit checks for unit tests: the project's own simulator checks plus a few more of Slack's documented
rules, and helpers to read blocks the way a person would see them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.devkit.simulator import validate_blocks, validate_view

# What a hostile person might type, and what must never reach mrkdwn unescaped.
RAW_MARKUP = ("<!channel>", "<!here>", "<!everyone>", "<@U0HOSTILE>", "<#C0HOSTILE>", "<https://evil.example")
HOSTILE = ("Tom & Jerry <!channel> <!here> <!everyone> ping <@U0HOSTILE> in <#C0HOSTILE> "
           "<https://evil.example/login|reset your password> a<b>c 🚀🔥 مرحبا بالعالم 你好世界 日本語テキスト")

TEXT_OBJECT_LIMIT = 3000  # Slack: any text object
OPTION_TEXT_LIMIT = 75
CHOICE_OPTIONS_LIMIT = 10  # checkboxes and radio buttons
SELECT_OPTIONS_LIMIT = 100


def long_hostile(size: int = 5000) -> str:
    """`size` characters of hostile text that starts recognisably."""
    return ("Start of the text. " + HOSTILE * (size // len(HOSTILE) + 1))[:size]


def walk(obj: Any) -> Iterator[dict[str, Any]]:
    """Every dict inside obj, depth first."""
    if isinstance(obj, dict):
        yield obj
        for value in obj.values():
            yield from walk(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from walk(value)


def text_objects(obj: Any) -> list[dict[str, Any]]:
    return [d for d in walk(obj) if d.get("type") in ("mrkdwn", "plain_text") and "text" in d]


def mrkdwn(obj: Any) -> str:
    """All mrkdwn text in obj, one text object a line."""
    return "\n".join(d["text"] for d in text_objects(obj) if d["type"] == "mrkdwn")


def all_text(obj: Any) -> str:
    return "\n".join(d["text"] for d in text_objects(obj))


def elements(obj: Any, kind: str | None = None) -> list[dict[str, Any]]:
    """Interactive elements (they carry an action_id), optionally of one type."""
    return [d for d in walk(obj) if "action_id" in d and (kind is None or d.get("type") == kind)]


def action_ids(obj: Any) -> list[str]:
    return [str(e["action_id"]) for e in elements(obj)]


def button(obj: Any, action_id: str) -> dict[str, Any]:
    found = [e for e in elements(obj, "button") if e["action_id"] == action_id]
    assert len(found) == 1, f"expected one {action_id} button, found {len(found)}"
    return found[0]


def _extra_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """Slack rules the simulator does not check: unique block ids, action ids unique within a block, text objects
    1..3000 characters, option limits, initial options that are among the options."""
    problems = []
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append(f"duplicate block_id in {block_ids}")
    for i, block in enumerate(blocks):
        ids = [str(e["action_id"]) for e in elements(block)]
        if len(ids) != len(set(ids)):
            problems.append(f"blocks[{i}]: duplicate action_id in {ids}")
        for obj in text_objects(block):
            if not obj["text"] or len(obj["text"]) > TEXT_OBJECT_LIMIT:
                problems.append(f"blocks[{i}]: text object of {len(obj['text'])} characters")
        for el in elements(block):
            options = el.get("options") or []
            top = CHOICE_OPTIONS_LIMIT if el.get("type") in ("checkboxes", "radio_buttons") else SELECT_OPTIONS_LIMIT
            if len(options) > top:
                problems.append(f"blocks[{i}]: {el['type']} has {len(options)} options, over {top}")
            for option in options:
                for part in ("text", "description"):
                    text = (option.get(part) or {}).get("text", "")
                    if len(text) > OPTION_TEXT_LIMIT:
                        problems.append(f"blocks[{i}]: option {part} of {len(text)} characters")
            initial = el.get("initial_options") or ([el["initial_option"]] if "initial_option" in el else [])
            if any(o not in options for o in initial):
                problems.append(f"blocks[{i}]: an initial option is not among the options")
    return problems


def assert_message_ok(blocks: list[dict[str, Any]]) -> None:
    """Slack would accept these blocks in chat.postMessage / chat.update."""
    assert validate_blocks(blocks) is None, validate_blocks(blocks)
    assert _extra_problems(blocks) == []


def assert_view_ok(view: dict[str, Any]) -> None:
    """Slack would accept this view in views.open / views.publish."""
    error = validate_view(view)
    assert error is None, f"{error.code}: {error.detail}"
    assert _extra_problems(view["blocks"]) == []


def assert_inert(obj: Any) -> None:
    """No mention, broadcast, channel link or hyperlink typed by a person reaches mrkdwn unescaped."""
    text = mrkdwn(obj)
    leaked = [m for m in RAW_MARKUP if m in text]
    assert leaked == [], f"raw markup in mrkdwn: {leaked}"
