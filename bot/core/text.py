"""Making people's text safe to echo into Slack, and keeping it inside Slack's limits."""

from __future__ import annotations

SECTION_LIMIT = 3000
MESSAGE_TEXT_LIMIT = 4000  # well under Slack's 40,000 so fallbacks and notifications stay readable
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control (`&`, `<`, `>`), so user text never
    becomes a mention, a broadcast (`<!channel>`), a channel link or a hyperlink."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS


def user_text(text: str, limit: int = SECTION_LIMIT) -> str:
    """A person's text made inert and clipped so the escaped result fits `limit`."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    # Clip character by character so an entity such as &amp; is never cut in half.
    out: list[str] = []
    size = 0
    for ch in text:
        piece = escape(ch)
        if size + len(piece) > limit - len(ELLIPSIS):
            break
        out.append(piece)
        size += len(piece)
    return "".join(out) + ELLIPSIS


def quote(text: str, limit: int = SECTION_LIMIT) -> str:
    """A person's text as a mrkdwn quote block, inert and clipped."""
    body = user_text(text, limit - 200)
    return "\n".join("&gt; " + line for line in body.splitlines() or [""])


def mention(user_or_group: str) -> str:
    """A deliberate mention of a known id (never built from free text)."""
    if user_or_group.startswith("S"):
        return f"<!subteam^{user_or_group}>"
    return f"<@{user_or_group}>"
