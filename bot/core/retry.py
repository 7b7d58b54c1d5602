"""Reading Slack's `Retry-After` the same way everywhere (gateway, outbox, usage matching)."""

from __future__ import annotations

from typing import Any


def retry_after_seconds(headers: Any) -> float:
    """Seconds to wait from a `Retry-After` header (any case; a list value takes its first), at least 1."""
    for name, raw in (headers or {}).items():
        if name.lower() == "retry-after":
            value = raw[0] if isinstance(raw, list) else raw
            try:
                return max(1.0, float(value))
            except (TypeError, ValueError):
                return 1.0
    return 1.0
