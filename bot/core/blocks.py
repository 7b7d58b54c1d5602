"""Small helpers for modals: state in private_metadata, and flattening view.state.values."""

from __future__ import annotations

import json
from typing import Any

from bot.core.errors import InvalidInput
from bot.core.i18n import N_

MAX_METADATA = 3000


def pack(state: dict[str, Any]) -> str:
    text = json.dumps(state, separators=(",", ":"))
    if len(text) > MAX_METADATA:
        raise ValueError("modal state too large for private_metadata")
    return text


def unpack(view: dict[str, Any]) -> dict[str, Any]:
    try:
        state = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        raise InvalidInput(N_("This form has expired; please open it again.")) from None
    if not isinstance(state, dict):
        raise InvalidInput(N_("This form has expired; please open it again."))
    return state


def values(view: dict[str, Any]) -> dict[str, Any]:
    """`{block_id: value}` from view.state.values: text inputs give their text, selects and radios their
    selected option's value, checkboxes a list of values."""
    out: dict[str, Any] = {}
    blocks = ((view.get("state") or {}).get("values")) or {}
    if not isinstance(blocks, dict):
        return out
    for block_id, actions in blocks.items():
        if not isinstance(actions, dict):
            continue
        for element in actions.values():
            if not isinstance(element, dict):
                continue
            if "selected_option" in element:
                option = element.get("selected_option") or {}
                out[block_id] = option.get("value") if isinstance(option, dict) else None
            elif "selected_options" in element:
                out[block_id] = [o.get("value") for o in element.get("selected_options") or [] if isinstance(o, dict)]
            else:
                value = element.get("value")
                out[block_id] = value if isinstance(value, str) else None
    return out


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:75], "emoji": True}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}
