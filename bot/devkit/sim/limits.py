"""Slack's per-method rate limits: tiers, chat.postMessage's special limits, token buckets.

Slack applies a budget "per API method per workspace per app": a 429 on ``pins.add`` says nothing about
``chat.postMessage``. The published tiers are floors ("Tier 2: 20+ per minute"); the simulator uses the
floor, so anything that passes here passes at Slack. Each budget is a token bucket that holds a minute's
worth of calls (bursts pass) and refills at budget/60 per second.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Calls per minute for each tier (the floor of Slack's "N+ per minute"); "special" stands for methods
# documented as "hundreds per minute" (auth.test, chat.getPermalink).
TIER_BUDGETS: dict[int | str, float] = {1: 1, 2: 20, 3: 50, 4: 100, "special": 300}

# The tier of every Web API method the simulator implements (docs.slack.dev method pages; SLACK_FACTS.md).
METHOD_TIERS: dict[str, int | str] = {
    "api.test": 4,
    "auth.test": "special",
    "apps.connections.open": 1,
    "chat.postMessage": "post",  # its own rules: see POST_MESSAGE_DEFAULTS
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "chat.getPermalink": "special",
    "conversations.members": 4,
    "conversations.info": 3,
    "conversations.list": 2,
    "conversations.open": 3,
    "conversations.join": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "users.getPresence": 3,
    "users.profile.get": 4,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
    "pins.add": 2,
    "pins.remove": 2,
    "reactions.add": 3,
    "reactions.remove": 2,
    "team.info": 3,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "files.info": 4,
}

# "Tier 1: access infrequently; a small amount of burst behavior is tolerated": a few calls at once
# (apps.connections.open right after a refresh_requested must not be refused).
TIER_MIN_BURST: dict[int | str, float] = {1: 3}

# chat.postMessage: about one message per second per channel with short bursts, plus a workspace-wide
# limit ("several hundred per minute"). Thread replies and DMs count against their channel. A post Slack
# refuses (not_in_channel...) is no message: it does not use the channel's second.
# Opt-in for now (``post_message_limits=True``): golive's scenario tests burst more than three posts a
# second into one conversation and do not let time pass for the outbox's Retry-After.
POST_MESSAGE_DEFAULTS = {"per_channel_per_sec": 1.0, "channel_burst": 3.0, "workspace_per_min": 300.0}

# Commercially distributed non-Marketplace apps (since 2025): history and replies at 1 request/minute.
HISTORY_LIMITED_METHODS = ("conversations.history", "conversations.replies")
HISTORY_LIMIT_PER_MIN = 1.0
HISTORY_LIMIT_RESULTS = 15


class Bucket:
    """Token bucket: ``rate`` tokens per second, at most ``capacity`` banked; starts full."""

    def __init__(self, rate: float, capacity: float, now: float):
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = self.capacity
        self.at = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0: one is available now)."""
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = max(self.at, now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


@dataclass
class _PostPolicy:
    per_channel_per_sec: float | None
    channel_burst: float | None
    workspace_per_sec: float | None
    workspace_burst: float | None


class RateLimiter:
    """Per-method budgets. ``check(method, key)`` answers 0 (allowed, counted) or seconds to wait.

    ``budgets`` overrides per-minute budgets by tier (1-4, "special") or by method name; None means
    unlimited. ``time_scale`` > 1 makes simulated minutes pass faster (budgets refill sooner).
    Not thread-safe on its own: the simulator calls it under its lock.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        enabled: bool = True,
        budgets: Mapping[int | str, float | None] | None = None,
        time_scale: float = 1.0,
        history_limit: bool = False,
        post_message_limits: bool = False,
    ):
        self._clock = clock
        self.enabled = enabled
        self.post_message_limits = post_message_limits
        self.time_scale = float(time_scale) if time_scale and time_scale > 0 else 1.0
        self.history_limit = history_limit
        self._budgets: dict[int | str, float | None] = dict(TIER_BUDGETS)
        self._budgets.update(budgets or {})
        self._post: _PostPolicy | None = None  # None: follow `enabled` with POST_MESSAGE_DEFAULTS
        self._buckets: dict[str, Bucket] = {}

    # ------------------------------------------------------------------ configuration

    def set_budget(self, key: int | str, per_minute: float | None) -> None:
        """Per-minute budget of a tier (1-4, "special") or of one method ("pins.add"); None: unlimited."""
        self._budgets[key] = per_minute
        self._buckets.clear()

    def set_post_message(
        self,
        per_channel_per_sec: float | None,
        workspace_per_sec: float | None,
        burst: float | None = None,
    ) -> None:
        """Explicit chat.postMessage limits (the old ``set_rate_limit``); None turns a limit off.

        Each bucket then holds ``burst`` tokens (default: one second's worth, at least 1).
        """
        self._post = _PostPolicy(per_channel_per_sec, burst, workspace_per_sec, burst)
        self._buckets = {k: v for k, v in self._buckets.items() if not k.startswith("post:")}

    def budget_of(self, method: str) -> float | None:
        """Per-minute budget that applies to ``method`` (None: unlimited)."""
        if self.history_limit and method in HISTORY_LIMITED_METHODS and method not in self._budgets:
            return HISTORY_LIMIT_PER_MIN
        if method in self._budgets:
            return self._budgets[method]
        if not self.enabled:
            return None
        tier = METHOD_TIERS.get(method)
        if tier is None or tier == "post":
            return None
        return self._budgets.get(tier)

    def describe(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "post_message_limits": self.post_message_limits or self._post is not None,
            "time_scale": self.time_scale,
            "history_limit": self.history_limit,
            "methods": {m: self.budget_of(m) for m in METHOD_TIERS if m != "chat.postMessage"},
        }

    # ------------------------------------------------------------------ checking

    def _bucket(self, key: str, per_sec: float, capacity: float, now: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != per_sec or bucket.capacity != max(1.0, capacity):
            bucket = self._buckets[key] = Bucket(per_sec, capacity, now)
        return bucket

    def _post_buckets(self, channel_key: str, now: float) -> list[Bucket]:
        policy = self._post
        if policy is None:
            if not (self.enabled and self.post_message_limits):
                return []
            d = POST_MESSAGE_DEFAULTS
            policy = _PostPolicy(
                d["per_channel_per_sec"], d["channel_burst"], d["workspace_per_min"] / 60, d["workspace_per_min"]
            )
        buckets = []
        if policy.per_channel_per_sec:
            rate = float(policy.per_channel_per_sec)
            buckets.append(
                self._bucket(f"post:channel:{channel_key}", rate, policy.channel_burst or max(1.0, rate), now)
            )
        if policy.workspace_per_sec:
            rate = float(policy.workspace_per_sec)
            buckets.append(self._bucket("post:workspace", rate, policy.workspace_burst or max(1.0, rate), now))
        return buckets

    def check(self, method: str, channel_key: str = "") -> float:
        """0 if the call may go ahead (and counts it), else seconds until it may (in real seconds)."""
        now = self._clock() * self.time_scale
        if method == "chat.postMessage" and "chat.postMessage" not in self._budgets:
            buckets = self._post_buckets(channel_key, now)
        else:
            budget = self.budget_of(method)
            burst = budget if budget is None else max(budget, TIER_MIN_BURST.get(METHOD_TIERS.get(method, 0), 0))
            buckets = [] if budget is None else [self._bucket(f"method:{method}", budget / 60.0, burst, now)]
        if not buckets:
            return 0.0
        wait = max(b.wait(now) for b in buckets)
        if wait <= 0:
            for b in buckets:
                b.take()
            return 0.0
        return wait / self.time_scale

    def refund(self, method: str, channel_key: str = "") -> None:
        """Give back a channel's token for a post Slack refused (no message went into the channel)."""
        if method == "chat.postMessage":
            bucket = self._buckets.get(f"post:channel:{channel_key}")
            if bucket is not None:
                bucket.tokens = min(bucket.capacity, bucket.tokens + 1)


def retry_after_header(wait: float) -> str:
    """Slack's Retry-After: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait - 1e-9)))
