"""The one gateway to Slack's Web API: every call golive makes passes here.

It knows each method's rate-limit tier, keeps a budget per method shared by every thread (and every
client) of the process, and honours `Retry-After` per method: a 429 on `pins.add` pauses `pins.add`,
never `chat.postMessage`. A call whose method is paused, or whose budget is spent, waits a little in
place or is refused at once with a 429 of golive's own (same shape as Slack's, so callers handle both
alike): the outbox turns it into a wait without spending an attempt; a request answers from what it has.

Tiers (SLACK_FACTS.md): Tier 1 ≈ 1/min, Tier 2 ≈ 20/min, Tier 3 ≈ 50/min, Tier 4 ≈ 100/min, per method,
workspace and app. `chat.postMessage` is special (about 1 per second per channel, plus a workspace limit):
it is paced per channel by the outbox, and paused here per channel after a 429.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.core.retry import retry_after_seconds

PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS: dict[str, int] = {
    # Tier 4
    "conversations.members": 4, "users.info": 4, "views.open": 4, "views.publish": 4, "views.update": 4,
    "views.push": 4, "chat.postEphemeral": 4, "files.getUploadURLExternal": 4, "files.completeUploadExternal": 4,
    "files.info": 4,
    "users.profile.get": 4,
    # Tier 3
    "users.lookupByEmail": 3, "chat.update": 3, "chat.delete": 3, "conversations.history": 3,
    "conversations.replies": 3, "conversations.info": 3, "conversations.open": 3, "chat.getPermalink": 3,
    "reactions.add": 3, "auth.test": 3,
    # Tier 2
    "conversations.list": 2, "users.list": 2, "pins.add": 2, "pins.remove": 2, "pins.list": 2,
    "apps.connections.open": 1,
}
DEFAULT_TIER = 3
SPECIAL = frozenset({"chat.postMessage"})  # paced per channel by the outbox
BURST_SECONDS = 60.0  # a budget holds a minute's worth of calls: bursts pass, sustained load is paced


class RateBook:
    """Per-method budgets (token buckets at the tier's rate) and Retry-After pauses, shared by threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, tiers: dict[str, int] | None = None):
        self.clock = clock
        self.tiers = {**METHOD_TIERS, **(tiers or {})}
        self._lock = threading.Lock()
        self._paused_until: dict[str, float] = {}
        self._tokens: dict[str, tuple[float, float]] = {}  # method -> (tokens, as of)

    def _rate(self, method: str) -> float:
        return PER_MINUTE[self.tiers.get(method, DEFAULT_TIER)] / 60.0

    def _capacity(self, method: str) -> float:
        return max(1.0, self._rate(method) * BURST_SECONDS)

    def wait_for(self, method: str, key: str | None = None) -> float:
        """Seconds until `method` (for `key`, e.g. a channel) may be called: a Retry-After still running, or
        the time until its budget has a call again."""
        now = self.clock()
        with self._lock:
            pause = max(self._paused_until.get(method, 0.0), self._paused_until.get(f"{method}:{key}", 0.0)) - now
            if method in SPECIAL:
                return max(0.0, pause)
            tokens, _ = self._refilled(method, now)
            budget = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self._rate(method)
            return max(0.0, pause, budget)

    def allowance(self, method: str) -> int | None:
        """How many calls of `method` may go right now (None: not budgeted here, e.g. chat.postMessage, paced
        per channel). 0 while a Retry-After runs."""
        if method in SPECIAL:
            return None
        now = self.clock()
        with self._lock:
            if self._paused_until.get(method, 0.0) > now:
                return 0
            tokens, _ = self._refilled(method, now)
            return int(tokens)

    def spend(self, method: str) -> None:
        if method in SPECIAL:
            return
        now = self.clock()
        with self._lock:
            tokens, _ = self._refilled(method, now)
            self._tokens[method] = (tokens - 1.0, now)

    def limited(self, method: str, retry_after: float, key: str | None = None) -> None:
        """Slack said 429 (or golive decided the budget is spent): pause this method (for `key`) that long."""
        name = f"{method}:{key}" if key else method
        with self._lock:
            self._paused_until[name] = max(self._paused_until.get(name, 0.0), self.clock() + retry_after)
            if method not in SPECIAL:
                self._tokens[method] = (0.0, self.clock())

    def _refilled(self, method: str, now: float) -> tuple[float, float]:
        tokens, since = self._tokens.get(method, (self._capacity(method), now))
        return min(self._capacity(method), tokens + (now - since) * self._rate(method)), now




class GatewayClient(WebClient):
    """A WebClient whose every call passes the process's RateBook. `max_wait`: how long a call may wait in
    place for its method; past that it is refused with a 429 at once (the caller decides what waiting means)."""

    def __init__(self, *args: Any, ratebook: RateBook | None = None, max_wait: float = 1.0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.ratebook = ratebook or RateBook()
        self.max_wait = max_wait

    def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        key = _channel_of(kwargs) if api_method in SPECIAL else None
        wait = self.ratebook.wait_for(api_method, key)
        if wait > self.max_wait:
            raise SlackApiError(f"{api_method} is rate limited for {wait:.1f} s (golive's budget)",
                                self._refusal(api_method, wait))
        if wait > 0:
            time.sleep(wait)
        self.ratebook.spend(api_method)
        try:
            return super().api_call(api_method, *args, **kwargs)
        except SlackApiError as err:
            if err.response is not None and err.response.status_code == 429:
                self.ratebook.limited(api_method, retry_after_seconds(getattr(err.response, "headers", None)), key)
            raise

    def _refusal(self, method: str, wait: float) -> SlackResponse:
        return SlackResponse(client=self, http_verb="POST", api_url=f"{self.base_url}{method}", req_args={},
                             data={"ok": False, "error": "ratelimited"},
                             headers={"Retry-After": str(max(1, math.ceil(wait)))}, status_code=429)


def _channel_of(kwargs: dict[str, Any]) -> str | None:
    for source in (kwargs, kwargs.get("json") or {}, kwargs.get("params") or {}, kwargs.get("data") or {}):
        if isinstance(source, dict) and source.get("channel"):
            return str(source["channel"])
    return None
