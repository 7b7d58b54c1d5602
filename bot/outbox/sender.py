"""Delivers outbox rows to Slack: Retry-After on 429, backoff with jitter on 5xx and dropped
connections, a dead letter (and an alert to the launch's CSMs) after the last attempt, and the
returned ts written back onto the row that asked for it."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, exists, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from bot.core import metrics
from bot.core.i18n import DEFAULT_LOCALE, Translator, person_locale, translator
from bot.core.ids import EventType
from bot.core.retry import retry_after_seconds
from bot.outbox.compose import CONNECTION_ERRORS, ComposeContext, ComposeLater, Composers
from bot.outbox.queue import WRITE_BACK_TARGETS, post_message
from storage.db import Database
from storage.models import LaunchMember, MemberRole, OutboxMessage, OutboxStatus, SlackPerson

log = logging.getLogger("golive.sender")

# Errors that will not go away by trying again: the row is dead at once.
PERMANENT_ERRORS = frozenset({
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "invalid_arguments",
    "invalid_metadata_format", "invalid_metadata_schema", "message_not_found", "cant_update_message",
    "user_not_found", "account_inactive", "cannot_dm_bot", "is_archived", "too_many_attachments",
    "unknown_method", "no_permission",
})
# Errors that mean the call's effect is already there (a retried pin): success.
ALREADY_DONE_ERRORS = frozenset({"already_pinned", "already_reacted"})
# Errors a person can fix (invite the bot, fix the channel id): keep the row waiting, tell the CSMs once.
FIXABLE_ERRORS = frozenset({"not_in_channel", "channel_not_found"})
ALERT_AFTER_FIXABLE = 2
# A workspace-wide pause shorter than this is waited out in place; a longer one hands the rows back.
MAX_INLINE_PAUSE = 10.0
RECOVERY_PAGES = 3
# claimed_by of a pending row whose last attempt got no clear answer (timeout, dropped connection, 5xx):
# Slack may have posted it, so the next attempt looks for its key in the channel's history first.
UNCONFIRMED = "unconfirmed"


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    rate_limited: int = 0
    dead: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryStats) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.rate_limited += other.rate_limited
        self.dead += other.dead
        self.deferred += other.deferred
        self.errors.extend(other.errors)


@dataclass(frozen=True)
class _Outcome:
    kind: str  # sent | rate_limited | retry | fixable | dead | deferred | lost (the row is another sender's now)
    error: str | None = None
    retry_after: float = 0.0
    channel: str | None = None
    ts: str | None = None
    uncertain: bool = False  # no clear answer: Slack may have posted it
    method: str | None = None  # the Slack method called (a composer decides it at send time)


def alert_text(kind: str, *, channel: str, error: str, attempts: int, row_id: int | None,
               t: Translator | None = None) -> str:
    """The DM to a CSM about a post golive cannot deliver: `fixable` (it waits) or dead (it gave up)."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    if kind == "fixable":
        return t.gettext(":warning: golive cannot post in <#{channel}> yet ({error}). Invite the bot there "
                         "(`/invite @golive`) or fix the channel id; the message is waiting and will go out once.",
                         channel=channel, error=error)
    return t.ngettext(":x: golive gave up delivering a message to <#{channel}> after {count} attempt: `{error}`. It is "
                      "kept as a dead letter (outbox id {id}).",
                      ":x: golive gave up delivering a message to <#{channel}> after {count} attempts: `{error}`. It "
                      "is kept as a dead letter (outbox id {id}).", attempts, channel=channel, error=error, id=row_id)


class Sender:
    def __init__(
        self,
        db: Database,
        client: WebClient,
        *,
        worker_id: str,
        max_attempts: int = 8,
        base_backoff: float = 2.0,
        max_backoff: float = 900.0,
        lease: timedelta = timedelta(seconds=120),
        concurrency: int = 8,
        batch_size: int = 200,
        rng: random.Random | None = None,
        context: dict[str, Any] | None = None,
        composers: Composers | None = None,
        admins: tuple[str, ...] = (),
        lease_clock: Callable[[], datetime] | None = None,
    ):
        self.db = db
        self.client = client
        self.worker_id = worker_id
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.lease = lease
        # Leases are measured on the database's clock (several workers, several machines), not on the clock
        # that says what is due (which `golive tick --at` and tests set).
        self.lease_clock = lease_clock or db.clock
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.rng = rng or random.Random()
        self.context = context or {}
        self.composers = composers or Composers()
        # Users who hear about dead letters when a launch has no CSMs (GOLIVE_ADMINS).
        self.admins = tuple(admins)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="golive-send")
        self._lock = threading.Lock()
        self._paused_until: dict[str, float] = {}  # method -> monotonic time its Retry-After ends
        self._last_sent: dict[str, float] = {}
        # (channel, thread) -> (batch, outbox keys found -> ts): one recovery read serves a whole batch.
        self._recovery_reads: dict[tuple[str, str | None], tuple[int, dict[str, str]]] = {}
        self._batch = 0

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    # -- claiming ---------------------------------------------------------------------------------

    def claim_due(self, now: datetime, limit: int | None = None) -> list[OutboxMessage]:
        """Take due rows (and rows whose sender died mid-send) with one conditional UPDATE each."""
        limit = limit or self.batch_size
        held_at = self.lease_clock()
        stale = held_at - self.lease
        due = or_(
            and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < stale),
        )
        # A row waits while an earlier row of its channel or thread is still pending or being sent, so
        # posts and replies keep their order, also across workers and after a failed attempt.
        # Here: none whose earlier row is being sent or waits to be tried again; below: none whose earlier row
        # is not taken in this same batch. (A row merely scheduled for later, never tried, holds nobody back.)
        earlier = aliased(OutboxMessage)
        in_order = or_(OutboxMessage.order_key.is_(None), ~exists().where(
            earlier.order_key == OutboxMessage.order_key, earlier.id < OutboxMessage.id,
            or_(and_(earlier.status == OutboxStatus.SENDING, earlier.claimed_at >= stale),  # a live sender has it
                and_(earlier.status == OutboxStatus.PENDING, earlier.next_attempt_at > now,
                     or_(earlier.attempts > 0, earlier.rate_limited > 0)))))
        spent = self._spent_methods()
        if spent:
            # Rows whose Slack method has no budget left stay where they are, untouched: composing them only to
            # be refused would cost two writes each and fill the batch ahead of work that can go.
            due = and_(due, OutboxMessage.method.notin_(sorted(spent)))
        claimed: list[OutboxMessage] = []
        with self.db.session() as s:
            query = select(OutboxMessage).where(due, in_order).order_by(
                OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
            query = query.limit(limit)
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            found = s.exec(query).all()
            candidates = _in_order(s, found)
            if len(candidates) < len(found):
                # Some rows wait for an earlier row of their channel that fell outside this window (a lower
                # priority): take those earlier rows too, or urgent rows would wait behind them forever.
                keys = sorted({r.order_key for r in found if r.order_key} - {r.order_key for r in candidates})
                earlier_rows = s.exec(select(OutboxMessage).where(due, in_order, OutboxMessage.order_key.in_(keys))
                                      .order_by(OutboxMessage.id).limit(limit)).all()
                candidates = _in_order(s, list({r.id: r for r in [*found, *earlier_rows]}.values()))
            candidates = self._within_budget(candidates)
            for row in candidates:
                was_sending = row.status == OutboxStatus.SENDING or row.claimed_by == UNCONFIRMED
                result = s.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id, OutboxMessage.status == row.status)
                    .where(or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at == row.claimed_at))
                    .values(status=OutboxStatus.SENDING, claimed_by=self.worker_id, claimed_at=held_at)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:
                    s.expunge(row)
                    row.status = "recovering" if was_sending else OutboxStatus.SENDING
                    row.claimed_at = held_at
                    claimed.append(row)
        return claimed

    def _slack_wait(self, slack_method: str) -> float:
        """Seconds until `slack_method` may be called: a 429's Retry-After seen here, or the gateway's budget."""
        ratebook = getattr(self.client, "ratebook", None)
        waits = [self._method_pause(slack_method)]
        if ratebook is not None:
            waits.append(ratebook.wait_for(slack_method))
        return max(waits)

    def _spent_methods(self) -> set[str]:
        """Outbox methods whose Slack method cannot be called for a while (no budget, or a long Retry-After)."""
        ratebook = getattr(self.client, "ratebook", None)
        known = {*self.composers.calls, *self.composers.calls.values(), *self._paused_methods()}
        spent: set[str] = set()
        for method in known:
            slack = self.composers.slack_method(method)
            if self._method_pause(slack) > MAX_INLINE_PAUSE or (
                    ratebook is not None and ratebook.allowance(slack) == 0 and ratebook.wait_for(slack) > 1.0):
                spent.add(method)
        return spent

    def _paused_methods(self) -> list[str]:
        now = time.monotonic()
        with self._lock:
            return [m for m, until in self._paused_until.items() if until > now]

    def _within_budget(self, rows: list[OutboxMessage]) -> list[OutboxMessage]:
        """No more rows of a budgeted Slack method than its budget lets go now (the rest stay unclaimed);
        rows of one order key are cut at the first one left out, so order holds."""
        ratebook = getattr(self.client, "ratebook", None)
        if ratebook is None:
            return rows
        left: dict[str, int | None] = {}
        cut: set[str] = set()
        kept: list[OutboxMessage] = []
        for row in rows:
            slack = self.composers.slack_method(row.method)
            if slack not in left:
                left[slack] = ratebook.allowance(slack)
            allowed = left[slack]
            if row.order_key and row.order_key in cut:
                continue
            if allowed is not None:
                if allowed <= 0:
                    if row.order_key:
                        cut.add(row.order_key)
                    continue
                left[slack] = allowed - 1
            kept.append(row)
        return kept

    # -- delivering -------------------------------------------------------------------------------

    def deliver_due(self, now: datetime | Callable[[], datetime]) -> DeliveryStats:
        """Deliver one batch of due rows: channels in parallel, each channel's rows in order."""
        clock = now if callable(now) else (lambda: now)
        rows = self.claim_due(clock())
        with self._lock:
            self._batch += 1
            self._recovery_reads.clear()
        stats = DeliveryStats()
        if not rows:
            return stats
        by_channel: dict[str, list[OutboxMessage]] = defaultdict(list)
        for row in _keys_in_id_order(rows):
            by_channel[str(row.payload.get("channel", ""))].append(row)
        futures = [self._pool.submit(self._deliver_channel, batch, clock) for batch in by_channel.values()]
        for future in futures:
            stats.add(future.result())
        return stats

    def _deliver_channel(self, rows: list[OutboxMessage], clock: Callable[[], datetime]) -> DeliveryStats:
        stats = DeliveryStats()
        blocked: dict[str, datetime] = {}  # method -> until: rate limited in this batch
        held: set[str] = set()  # order keys whose earlier row did not go out: later rows of it wait
        channel = str(rows[0].payload.get("channel", "")) if rows else ""
        for row in rows:
            method = self.composers.slack_method(row.method)
            if row.order_key and row.order_key in held:
                self._finish(row, _Outcome("deferred", error="after an earlier post of its thread"), clock(), stats)
                continue
            if method not in blocked:
                pause = self._method_pause(method)
                if pause > MAX_INLINE_PAUSE:
                    blocked[method] = clock() + timedelta(seconds=pause)
                elif pause > 0:
                    time.sleep(pause)
            if method in blocked:
                # Rate limited: the rest of this method's rows wait without spending an attempt; other
                # methods go on (a 429 on pins.add never delays chat.postMessage).
                self._finish(row, _Outcome("rate_limited", retry_after=0), clock(), stats, until=blocked[method])
                if row.order_key:
                    held.add(row.order_key)
                continue
            if not self._keep_claim(row):
                continue  # our lease ran out while the row waited its turn and another sender took it
            outcome = self._attempt(row, clock(), clock)
            if outcome.kind == "lost":
                continue  # composing outlasted our lease and another sender took the row: it is theirs now
            now = clock()
            self._finish(row, outcome, now, stats)
            if outcome.kind != "sent" and row.order_key:
                held.add(row.order_key)
            if outcome.kind == "sent":
                with self._lock:
                    self._last_sent[channel] = time.monotonic()
            elif outcome.kind == "rate_limited":
                limited = outcome.method or method
                if limited != "chat.postMessage" or self._is_workspace_limit(channel):
                    # A method's budget (or, for posts to a channel that saw none lately, the workspace's)
                    # is spent: every thread waits for that method instead of spending calls on more 429s.
                    self._pause(limited, outcome.retry_after)
                blocked[method] = now + timedelta(seconds=outcome.retry_after)
        return stats

    def _keep_claim(self, row: OutboxMessage) -> bool:
        """Renew the lease of a row that has waited in this batch for half of it; False when the lease
        ran out and another sender has claimed the row since (it is theirs now: do not send it)."""
        now = self.lease_clock()
        if row.claimed_at is not None and now - row.claimed_at < self.lease / 2:
            return True
        with self.db.session() as s:
            result = s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == self.worker_id,
                       OutboxMessage.status == OutboxStatus.SENDING)
                .values(claimed_at=now)
                .execution_options(synchronize_session=False)
            )
        row.claimed_at = now
        return result.rowcount == 1

    def _method_pause(self, method: str) -> float:
        with self._lock:
            return max(0.0, self._paused_until.get(method, 0.0) - time.monotonic())

    def _pause(self, method: str, seconds: float) -> None:
        with self._lock:
            self._paused_until[method] = max(self._paused_until.get(method, 0.0), time.monotonic() + seconds)

    def _is_workspace_limit(self, channel: str) -> bool:
        with self._lock:
            return time.monotonic() - self._last_sent.get(channel, float("-inf")) > 1.0

    def _attempt(self, row: OutboxMessage, now: datetime,
                 clock: Callable[[], datetime] | None = None) -> _Outcome:
        payload = dict(row.payload)
        try:
            payload = self._resolve_references(payload)
        except _NotYet as waiting:
            return _Outcome("deferred", error=f"waiting for {waiting}")
        method = row.method
        if method in self.composers.table:
            try:
                # Composers read and write in short sessions of their own: nothing is held across Slack.
                compose = self.composers.table[method]
                composed = compose(ComposeContext(self.db, self.client, payload, row, self.context, now))
            except ComposeLater as later:
                return _Outcome("deferred", error=f"composing: {later}")
            except SlackApiError as err:
                if err.response is not None and err.response.status_code == 429:
                    # A read the composer needed is rate limited: a wait, not a failed attempt.
                    return _Outcome("rate_limited", error="composing: ratelimited",
                                    retry_after=retry_after_seconds(err.response.headers))
                return _Outcome("retry", error=f"composing: {type(err).__name__}")
            except CONNECTION_ERRORS as err:
                return _Outcome("retry", error=f"composing: {type(err).__name__}")
            # Composing may take long (reads, a chart upload): renew the lease before the call it prepared.
            if clock is not None and not self._keep_claim(row):
                return _Outcome("lost")
            if composed is None:
                return _Outcome("sent", channel=payload.get("channel"), ts=None)
            method, payload = composed
        if method == "chat.postMessage":
            payload["metadata"] = {"event_type": EventType.OUTBOX, "event_payload": {"key": row.dedupe_key}}
            if row.status == "recovering":
                try:
                    found = self._find_posted(payload.get("channel"), row.dedupe_key, payload.get("thread_ts"))
                except _NotYet as waiting:
                    return _Outcome("deferred", error=str(waiting))
                if found is not None:
                    return _Outcome("sent", channel=found[0], ts=found[1])
        waiting = self._method_pause(method)
        if waiting > 0:
            return _Outcome("rate_limited", error=f"{method} is rate limited", retry_after=waiting, method=method)
        try:
            response = self.client.api_call(method, json=payload)
        except SlackApiError as err:
            status = err.response.status_code
            error = str(err.response.get("error", "")) if err.response is not None else ""
            if error in ALREADY_DONE_ERRORS:
                return _Outcome("sent", channel=payload.get("channel"), ts=payload.get("timestamp"))
            if status == 429:
                retry_after = retry_after_seconds(err.response.headers)
                metrics.SLACK_RATE_LIMITED.inc()
                return _Outcome("rate_limited", error="ratelimited", retry_after=retry_after, method=method)
            if status >= 500:
                return _Outcome("retry", error=f"HTTP {status}", uncertain=method == "chat.postMessage")
            if error in PERMANENT_ERRORS:
                return _Outcome("dead", error=error)
            if error in FIXABLE_ERRORS:
                return _Outcome("fixable", error=error)
            return _Outcome("retry", error=error or f"HTTP {status}")
        except CONNECTION_ERRORS as err:
            return _Outcome("retry", error=f"connection: {type(err).__name__}",
                            uncertain=method == "chat.postMessage")
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        return _Outcome("sent", channel=data.get("channel") or payload.get("channel"), ts=data.get("ts"))

    def _find_posted(self, channel: str | None, key: str, thread_ts: str | None = None) -> tuple[str, str] | None:
        """After a crash mid-send: was this post already accepted by Slack? Look for its key: in the channel's
        history for a top-level post, in its thread (conversations.replies) for a reply, since history never
        lists thread replies. One read serves every unconfirmed row of that channel or thread in this batch
        (history is Tier 3, or 1/min for commercial apps: never one read per row), and a 429 is a wait. The
        read comes after the batch claimed its rows, so it sees whatever their earlier attempts posted."""
        if not channel:
            return None
        try:
            if channel.startswith(("U", "W")):
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
            posted = self._posted_keys(channel, thread_ts)
        except SlackApiError as err:
            if err.response.status_code == 429 or err.response.status_code >= 500:
                raise _NotYet("recovery read was refused for now") from None
            return None  # cannot verify (no permission to read history here): sending is all that is left
        except CONNECTION_ERRORS:
            raise _NotYet("recovery read failed") from None
        ts = posted.get(key)
        return (channel, ts) if ts else None

    def _posted_keys(self, channel: str, thread_ts: str | None) -> dict[str, str]:
        """Outbox keys (from message metadata) -> ts of the newest messages of a channel or thread."""
        where = (channel, thread_ts)
        with self._lock:
            batch = self._batch
            cached = self._recovery_reads.get(where)
            if cached is not None and cached[0] == batch:
                return cached[1]
        posted: dict[str, str] = {}
        # The newest messages first, a few pages at most: a lost send is recent. (No `oldest` bound: a tick
        # run with --at works on a clock that need not match Slack's.)
        cursor = None
        for _ in range(RECOVERY_PAGES):
            if thread_ts:
                page = self.client.conversations_replies(channel=channel, ts=thread_ts, limit=200,
                                                         include_all_metadata=True, cursor=cursor)
            else:
                page = self.client.conversations_history(channel=channel, limit=200, include_all_metadata=True,
                                                         cursor=cursor)
            for message in page.get("messages", []):
                meta = message.get("metadata") or {}
                found = (meta.get("event_payload") or {}).get("key")
                if meta.get("event_type") == EventType.OUTBOX and found:
                    posted.setdefault(str(found), message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        with self._lock:
            self._recovery_reads[where] = (batch, posted)
        return posted

    def _resolve_references(self, payload: dict[str, Any]) -> dict[str, Any]:
        for ref, target in (("thread_ts_from", "thread_ts"), ("ts_from", "ts")):
            key = payload.pop(ref, None)
            if key is None:
                continue
            with self.db.read() as s:
                parent = s.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).first()
            if parent is None or parent.status == OutboxStatus.DEAD:
                raise _NotYet(f"{key} (missing or dead)")
            if not parent.result_ts:
                raise _NotYet(key)
            payload[target] = parent.result_ts
            if target == "ts" or payload.get("channel", "").startswith(("U", "W")):
                payload["channel"] = parent.result_channel
        return payload

    def _finish(
        self, row: OutboxMessage, outcome: _Outcome, now: datetime, stats: DeliveryStats,
        until: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {"claimed_by": None, "claimed_at": None}
        alert: str | None = None
        if outcome.kind == "sent":
            values.update(status=OutboxStatus.SENT, sent_at=now, result_channel=outcome.channel,
                          result_ts=outcome.ts, last_error=None, attempts=row.attempts + 1)
            stats.sent += 1
            metrics.OUTBOX_DELIVERED.inc()
        elif outcome.kind in ("rate_limited", "deferred"):
            wait = until or now + timedelta(seconds=outcome.retry_after if outcome.kind == "rate_limited" else 2)
            values.update(status=OutboxStatus.PENDING, next_attempt_at=wait, last_error=outcome.error,
                          rate_limited=row.rate_limited + (outcome.kind == "rate_limited"))
            if row.status == "recovering":
                # Still unknown whether Slack has this post: keep it a stale "sending" row, so whoever
                # takes it next checks Slack first (it becomes stale again at `wait`).
                values.update(status=OutboxStatus.SENDING,
                              claimed_at=self.lease_clock() + (wait - now) - self.lease,
                              claimed_by=f"recovering:{self.worker_id}")
            if outcome.kind == "rate_limited":
                stats.rate_limited += 1
            else:
                stats.deferred += 1
        else:
            attempts = row.attempts + 1
            values.update(attempts=attempts, last_error=outcome.error)
            if outcome.kind == "dead" or (outcome.kind == "retry" and attempts >= self.max_attempts):
                values.update(status=OutboxStatus.DEAD)
                stats.dead += 1
                metrics.OUTBOX_DEAD.inc()
                alert = "dead"
                log.warning("outbox row %s (%s) is dead after %d attempt(s): %s",
                            row.id, row.dedupe_key, attempts, outcome.error)
            else:
                values.update(status=OutboxStatus.PENDING, next_attempt_at=now + self._backoff(attempts))
                if outcome.uncertain or row.status == "recovering":
                    values.update(claimed_by=UNCONFIRMED)
                stats.retried += 1
                metrics.OUTBOX_RETRIED.inc()
                if outcome.kind == "fixable" and attempts == ALERT_AFTER_FIXABLE:
                    alert = "fixable"
            stats.errors.append(f"{row.dedupe_key}: {outcome.error}")
        with self.db.session() as s:
            s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == self.worker_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if outcome.kind == "sent" and row.write_back:
                self._write_back(s, row.write_back, outcome)
            if alert and not row.dedupe_key.startswith("alert:"):
                self._alert_csms(s, row, outcome.error or "", alert, now)

    def _backoff(self, attempts: int) -> timedelta:
        ceiling = min(self.max_backoff, self.base_backoff * 2 ** (attempts - 1))
        return timedelta(seconds=self.rng.uniform(ceiling / 2, ceiling))

    @staticmethod
    def _write_back(s: Any, target: dict[str, Any], outcome: _Outcome) -> None:
        model = WRITE_BACK_TARGETS[target["model"]]
        obj = s.get(model, target["id"])
        if obj is None:
            return
        setattr(obj, target.get("ts_field", "message_ts"), outcome.ts)
        if target.get("channel_field"):
            setattr(obj, target["channel_field"], outcome.channel)
        s.add(obj)

    def _alert_csms(self, s: Any, row: OutboxMessage, error: str, kind: str, now: datetime) -> None:
        """A delivery that waits for a fix, or gave up: the launch's CSMs hear (else the admins), each in their
        stored Slack locale, else GOLIVE_LOCALE (the sender's context `locale`)."""
        channel = row.payload.get("channel", "?")
        recipients: list[str] = []
        if row.launch_id is not None:
            recipients = list(s.exec(select(LaunchMember.user_id).where(
                LaunchMember.launch_id == row.launch_id, LaunchMember.role == MemberRole.CSM)).all())
        recipients = [user for user in recipients or list(self.admins) if user != channel]
        if not recipients:
            return
        default = self.context.get("locale") or DEFAULT_LOCALE
        stored = dict(s.exec(select(SlackPerson.user_id, SlackPerson.locale)
                             .where(col(SlackPerson.user_id).in_(recipients))).all())
        for user in recipients:
            text = alert_text(kind, channel=channel, error=error, attempts=row.attempts + 1, row_id=row.id,
                              t=translator(person_locale(stored.get(user), default)))
            post_message(s, key=f"alert:{kind}:{row.id}:{user}", channel=user, text=text, now=now,
                         launch_id=row.launch_id)

    # -- draining (golive tick) -------------------------------------------------------------------

    def drain(self, clock: Callable[[], datetime], *, max_wait: float, sleep=time.sleep) -> DeliveryStats:
        """Deliver everything due, waiting up to `max_wait` seconds for retries that fall due."""
        deadline = time.monotonic() + max_wait
        total = DeliveryStats()
        while True:
            stats = self.deliver_due(clock)
            total.add(stats)
            if stats.sent or stats.retried or stats.rate_limited or stats.dead:
                continue
            spent = self._spent_methods()
            next_due = self.next_due_at(exclude=spent)
            held = self._budget_wait(spent, clock())
            if next_due is None and held is None:
                return total
            waits = [w for w in (held, None if next_due is None else (next_due - clock()).total_seconds())
                     if w is not None]
            wait = min(waits)
            remaining = deadline - time.monotonic()
            if wait > remaining:
                return total
            sleep(max(0.05, min(wait, remaining)))


    def next_due_at(self, exclude: set[str] | None = None) -> datetime | None:
        query = select(OutboxMessage.next_attempt_at).where(OutboxMessage.status == OutboxStatus.PENDING)
        if exclude:
            query = query.where(OutboxMessage.method.notin_(sorted(exclude)))
        with self.db.read() as s:
            return s.exec(query.order_by(OutboxMessage.next_attempt_at).limit(1)).first()

    def _budget_wait(self, spent: set[str], now: datetime) -> float | None:
        """Seconds until the first due row held back for its method's budget may go; None when none is due."""
        if not spent:
            return None
        with self.db.read() as s:
            held = s.exec(select(OutboxMessage.method).distinct().where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now,
                OutboxMessage.method.in_(sorted(spent)))).all()
        if not held:
            return None
        return min(self._slack_wait(self.composers.slack_method(m)) for m in held)


class _NotYet(Exception):
    pass


def _keys_in_id_order(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Rows in their claim order (priority, due time), except that the rows of one order key take that key's
    places in the order they were queued."""
    by_key: dict[str, list[OutboxMessage]] = defaultdict(list)
    for row in rows:
        if row.order_key:
            by_key[row.order_key].append(row)
    queues = {key: iter(sorted(group, key=lambda r: r.id)) for key, group in by_key.items()}
    return [next(queues[row.order_key]) if row.order_key else row for row in rows]


def _in_order(session: Any, candidates: list[OutboxMessage]) -> list[OutboxMessage]:
    """Candidates whose every earlier pending row of the same order key is a candidate too (so a batch cut
    by its limit never sends a later post of a channel or thread before an earlier one)."""
    keys = {row.order_key for row in candidates if row.order_key}
    if not keys:
        return candidates
    pending = session.exec(select(OutboxMessage.id, OutboxMessage.order_key).where(
        OutboxMessage.order_key.in_(sorted(keys)),
        OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))).all()
    taken = {row.id for row in candidates}
    first_missing: dict[str, int] = {}
    for row_id, key in sorted(pending):
        if row_id not in taken and key not in first_missing:
            first_missing[key] = row_id
    return [row for row in candidates
            if not row.order_key or row.order_key not in first_missing or row.id < first_missing[row.order_key]]


