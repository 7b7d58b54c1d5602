"""The outbox and its sender against the simulator: nothing queued is lost, nothing posted twice."""

from __future__ import annotations

import collections
import random
import time
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import update
from sqlmodel import select

from bot.outbox.queue import post_message
from bot.outbox.sender import Sender
from bot.slack.gateway import GatewayClient, RateBook
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Launch, LaunchMember, OutboxMessage, OutboxStatus

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def make_sender(sim, db_url, **kwargs):  # noqa: ANN001, ANN201
    db = Database(db_url)
    upgrade(db)
    client = WebClient(token=sim.bot_token, base_url=sim.url, retry_handlers=[], timeout=5)
    return db, Sender(db, client, worker_id="test-worker", rng=random.Random(7), **kwargs)


def queue(db, key, channel="C0ACME", text="hello", launch_id=None):  # noqa: ANN001, ANN201
    with db.session() as s:
        return post_message(s, key=key, channel=channel, text=text, now=NOW, launch_id=launch_id)


def rows(db) -> dict[str, OutboxMessage]:  # noqa: ANN001
    with db.session() as s:
        return {r.dedupe_key: r for r in s.exec(select(OutboxMessage))}


def test_same_key_is_queued_once_and_posted_once(sim, db_url):
    db, sender = make_sender(sim, db_url)
    assert queue(db, "k1") is True
    assert queue(db, "k1") is False
    clock = Clock()
    assert sender.deliver_due(clock).sent == 1
    assert sender.deliver_due(clock).sent == 0
    posted = sim.messages("C0ACME")
    assert [m.plain_text() for m in posted] == ["hello"]
    row = rows(db)["k1"]
    assert row.status == OutboxStatus.SENT and row.result_ts == posted[0]["ts"]
    assert posted[0]["metadata"]["event_payload"]["key"] == "k1"
    sender.close()


def test_429_is_retried_after_exactly_retry_after(sim, db_url):
    db, sender = make_sender(sim, db_url)
    queue(db, "k429")
    sim.inject("chat.postMessage", "429", times=1, retry_after=7)
    clock = Clock()
    stats = sender.deliver_due(clock)
    assert stats.rate_limited == 1 and sim.messages("C0ACME") == []
    row = rows(db)["k429"]
    assert row.next_attempt_at == NOW + timedelta(seconds=7) and row.attempts == 0
    clock.now = NOW + timedelta(seconds=6)
    assert sender.deliver_due(clock).sent == 0
    clock.now = NOW + timedelta(seconds=7)
    assert sender.deliver_due(clock).sent == 1
    assert len(sim.messages("C0ACME")) == 1
    sender.close()


def test_5xx_and_dropped_connections_back_off_then_deliver_once(sim, db_url):
    db, sender = make_sender(sim, db_url)
    queue(db, "kflaky")
    sim.inject("chat.postMessage", "500", times=1)
    sim.inject("chat.postMessage", "drop", times=1)
    sim.inject("chat.postMessage", "503", times=1)
    clock = Clock()
    delays = []
    for _ in range(3):
        assert sender.deliver_due(clock).retried == 1
        row = rows(db)["kflaky"]
        delays.append((row.next_attempt_at - clock.now).total_seconds())
        clock.now = row.next_attempt_at
    assert delays[0] < delays[1] < delays[2]  # exponential, with jitter inside each step
    assert 1 <= delays[0] <= 2 and 4 <= delays[2] <= 8
    assert sender.deliver_due(clock).sent == 1
    assert len(sim.messages("C0ACME")) == 1
    assert rows(db)["kflaky"].attempts == 4
    sender.close()


def test_dead_letter_after_the_last_attempt_alerts_the_launch_csms(sim, db_url):
    db, sender = make_sender(sim, db_url, max_attempts=3)
    with db.session() as s:
        launch = Launch(customer="Acme", channel="C0ACME", go_live_date=NOW.date(), timezone="UTC",
                        created_at=NOW, updated_at=NOW)
        s.add(launch)
        s.flush()
        s.add(LaunchMember(launch_id=launch.id, user_id="U0CSM", role="csm"))
        launch_id = launch.id
    queue(db, "kdead", launch_id=launch_id)
    sim.inject("chat.postMessage", "500", times=3)
    clock = Clock()
    for _ in range(3):
        sender.deliver_due(clock)
        clock.now = rows(db)["kdead"].next_attempt_at if rows(db)["kdead"].status == "pending" else clock.now
    assert rows(db)["kdead"].status == OutboxStatus.DEAD
    sender.deliver_due(clock)
    alerts = [m.plain_text() for m in sim.dm_messages("U0CSM")]
    assert len(alerts) == 1 and "gave up" in alerts[0] and "HTTP 500" in alerts[0]
    assert sim.messages("C0ACME") == []
    sender.close()


def test_invalid_blocks_are_dead_at_once_without_retrying(sim, db_url):
    db, sender = make_sender(sim, db_url)
    with db.session() as s:
        from bot.outbox.queue import enqueue

        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
        enqueue(s, key="kblocks", method="chat.postMessage", payload={"channel": "C0ACME", "text": "x",
                                                                      "blocks": blocks}, now=NOW)
    stats = sender.deliver_due(Clock())
    assert stats.dead == 1 and rows(db)["kblocks"].last_error == "invalid_blocks"
    assert len(sim.calls_to("chat.postMessage")) == 1
    sender.close()


def test_bot_not_in_channel_waits_and_goes_out_once_after_it_is_invited(sim, db_url):
    db, sender = make_sender(sim, db_url, max_attempts=3)
    sim.add_channel("C0NEW", "new-channel", members=["U0CSM"], bot_member=False)
    queue(db, "knew", channel="C0NEW")
    clock = Clock()
    for _ in range(5):  # more failures than max_attempts: a fixable error never kills the row
        sender.deliver_due(clock)
        clock.now = rows(db)["knew"].next_attempt_at
    assert rows(db)["knew"].status == OutboxStatus.PENDING
    assert rows(db)["knew"].last_error == "not_in_channel"
    sim.add_member("C0NEW", sim.bot_user_id)
    sender.deliver_due(clock)
    sender.deliver_due(clock)
    assert len(sim.messages("C0NEW")) == 1 and rows(db)["knew"].status == OutboxStatus.SENT
    sender.close()


def test_a_thread_reply_waits_for_its_parent_post(sim, db_url):
    db, sender = make_sender(sim, db_url)
    with db.session() as s:
        post_message(s, key="reply", channel="C0ACME", text="in the thread", now=NOW, thread_ts_from="parent")
        post_message(s, key="parent", channel="C0ACME", text="parent", now=NOW + timedelta(seconds=1))
    clock = Clock()
    stats = sender.deliver_due(clock)
    assert stats.deferred == 1 and sim.messages("C0ACME") == []
    clock.now = NOW + timedelta(seconds=5)
    sender.deliver_due(clock)
    sender.deliver_due(clock)
    parent, reply = sim.messages("C0ACME")
    assert parent.plain_text() == "parent" and reply["thread_ts"] == parent["ts"]
    sender.close()


def test_a_post_that_slack_accepted_before_a_crash_is_not_posted_again(sim, db_url):
    clock = Clock()  # the shared database clock the leases run on, too
    db, sender = make_sender(sim, db_url, lease=timedelta(seconds=60), lease_clock=clock)
    queue(db, "kcrash")
    sender.deliver_due(clock)
    # Simulate the crash window: Slack has the post, but the database still says "sending".
    with db.session() as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == "kcrash").values(
            status=OutboxStatus.SENDING, claimed_by="dead-worker", claimed_at=NOW, result_ts=None))
    clock.now = NOW + timedelta(seconds=30)
    assert sender.deliver_due(clock).sent == 0  # lease not yet expired: the other worker may be alive
    clock.now = NOW + timedelta(seconds=61)
    assert sender.deliver_due(clock).sent == 1
    assert len(sim.messages("C0ACME")) == 1
    assert rows(db)["kcrash"].result_ts == sim.messages("C0ACME")[0]["ts"]
    sender.close()


def test_drain_waits_a_bounded_time_for_retries(sim, db_url):
    db, sender = make_sender(sim, db_url)
    queue(db, "kslow")
    sim.inject("chat.postMessage", "429", times=1, retry_after=1)
    start = time.monotonic()

    def running_clock() -> datetime:
        return NOW + timedelta(seconds=time.monotonic() - start)

    stats = sender.drain(running_clock, max_wait=5)
    assert stats.sent == 1 and len(sim.messages("C0ACME")) == 1
    queue(db, "kslower")
    sim.inject("chat.postMessage", "429", times=1, retry_after=30)
    stats = sender.drain(running_clock, max_wait=1)
    assert stats.sent == 0 and rows(db)["kslower"].status == OutboxStatus.PENDING
    sender.close()


def test_recovery_waits_when_slack_history_cannot_be_read_rather_than_risking_a_second_post(sim, db_url):
    clock = Clock()  # the shared database clock the leases run on, too
    db, sender = make_sender(sim, db_url, lease=timedelta(seconds=60), lease_clock=clock)
    queue(db, "kcrash2")
    sender.deliver_due(clock)
    with db.session() as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == "kcrash2").values(
            status=OutboxStatus.SENDING, claimed_by="dead-worker", claimed_at=NOW, result_ts=None))
    sim.inject("conversations.history", "500", times=1)
    clock.now = NOW + timedelta(seconds=61)
    assert sender.deliver_due(clock).sent == 0
    assert rows(db)["kcrash2"].status == OutboxStatus.SENDING  # still to be checked, not blindly re-sent
    clock.now = NOW + timedelta(seconds=64)
    assert sender.deliver_due(clock).sent == 1
    assert len(sim.messages("C0ACME")) == 1
    sender.close()


# -- leases in a long batch ------------------------------------------------------------------------


class SlowSlack(WebClient):
    """Slack answering each post slowly on the test's clock: `during(key)` runs as the post for `key` is
    made (before Slack has it); by default each post takes `seconds` of fake time."""

    def __init__(self, sim, clock: Clock, seconds: float, during) -> None:  # noqa: ANN001
        super().__init__(token=sim.bot_token, base_url=sim.url, retry_handlers=[], timeout=5)
        self.clock, self.seconds, self.during = clock, seconds, during

    def api_call(self, api_method: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        if api_method == "chat.postMessage":
            key = kwargs["json"]["metadata"]["event_payload"]["key"]
            if not self.during(key):
                self.clock.now += timedelta(seconds=self.seconds)
        return super().api_call(api_method, *args, **kwargs)


def second_sender_runs_during(sim, db, clock: Clock, key: str, at: datetime):  # noqa: ANN001, ANN201
    """A `during` hook: when the first sender posts `key`, a second sender (another worker) runs one
    delivery round at `at`, while the first is still waiting for Slack. Returns (hook, what it saw)."""
    second = Sender(db, WebClient(token=sim.bot_token, base_url=sim.url, retry_handlers=[], timeout=5),
                    worker_id="second-worker", rng=random.Random(8), lease_clock=clock)
    seen: dict = {}

    def during(posting: str) -> bool:
        if posting != key:
            return False
        clock.now = at
        seen["rows"] = {k: (r.status, r.claimed_by, r.claimed_at) for k, r in rows(db).items()}
        seen["stats"] = second.deliver_due(clock)
        second.close()
        return True

    return during, seen


def posted_keys(sim, channel: str) -> list[str]:  # noqa: ANN001
    return [m["metadata"]["event_payload"]["key"] for m in sim.messages(channel)]


def test_a_row_whose_turn_comes_late_in_a_long_batch_renews_its_lease_so_no_other_sender_takes_it(sim, db_url):
    db = Database(db_url)
    upgrade(db)
    for n in range(5):
        queue(db, f"slow:{n}", text=f"post {n}")
    clock = Clock()
    # Each post takes 25 s: slow:3 gets its turn 75 s into the 120 s lease (past half of it) and is
    # renewed then; while Slack takes its time with it, 130 s after the claim, a second worker looks.
    during, seen = second_sender_runs_during(sim, db, clock, "slow:3", NOW + timedelta(seconds=130))
    first = Sender(db, SlowSlack(sim, clock, 25, during), worker_id="first-worker", rng=random.Random(7),
                   lease=timedelta(seconds=120), lease_clock=clock)

    stats = first.deliver_due(clock)

    renewed = seen["rows"]["slow:3"]
    assert renewed == (OutboxStatus.SENDING, "first-worker", NOW + timedelta(seconds=75))
    second = seen["stats"]
    assert (second.sent, second.retried, second.deferred) == (0, 0, 0)  # it took nothing over
    assert stats.sent == 5
    assert posted_keys(sim, "C0ACME") == [f"slow:{n}" for n in range(5)]  # each once, in order
    assert {r.status for r in rows(db).values()} == {OutboxStatus.SENT}
    first.close()


def test_a_row_left_waiting_past_its_lease_is_posted_once_by_the_sender_that_took_it_over(sim, db_url):
    db = Database(db_url)
    upgrade(db)
    sim.add_channel("C0SECOND", "second", members=["U0CSM"])
    for n in range(4):
        queue(db, f"busy:{n}", text=f"post {n}")
    queue(db, "waiting", channel="C0SECOND", text="the post that waited")
    clock = Clock()
    # One sending thread: C0SECOND's row waits behind four 40 s posts to C0ACME, past its 120 s lease;
    # at 130 s a second worker takes it over and posts it.
    during, seen = second_sender_runs_during(sim, db, clock, "busy:3", NOW + timedelta(seconds=130))
    first = Sender(db, SlowSlack(sim, clock, 40, during), worker_id="first-worker", rng=random.Random(7),
                   lease=timedelta(seconds=120), concurrency=1, lease_clock=clock)

    stats = first.deliver_due(clock)

    assert seen["rows"]["waiting"] == (OutboxStatus.SENDING, "first-worker", NOW)  # never renewed while waiting
    assert seen["stats"].sent == 1
    assert stats.sent == 4  # the first worker saw it was taken and left it alone
    assert posted_keys(sim, "C0SECOND") == ["waiting"]
    assert posted_keys(sim, "C0ACME") == [f"busy:{n}" for n in range(4)]
    assert rows(db)["waiting"].status == OutboxStatus.SENT
    assert rows(db)["waiting"].result_ts == sim.messages("C0SECOND")[0]["ts"]
    first.close()


def test_a_crashed_batch_is_recovered_without_waiting_on_a_history_read_per_row(sim, db_url):
    db = Database(db_url)
    upgrade(db)
    channels = [f"C0REC{i:02d}" for i in range(12)]
    for channel in channels:
        sim.add_channel(channel, channel.lower(), members=["U0CSM"])
    for i in range(120):
        queue(db, f"rec:{i}", channel=channels[i % 12], text=f"update {i}")
    lease = timedelta(seconds=120)
    crashed = Sender(db, WebClient(token=sim.bot_token, base_url=sim.url), worker_id="crashed", lease=lease,
                     lease_clock=lambda: NOW)
    assert len(crashed.claim_due(NOW)) == 120  # claimed its batch, then died before posting anything
    crashed.close()
    # The restarted worker, with the production client (every call passes golive's per-method budget),
    # delivering round after round as `golive run` does, once the dead worker's lease has run out.
    client = GatewayClient(token=sim.bot_token, base_url=sim.url, retry_handlers=[], ratebook=RateBook(),
                           max_wait=0.0, timeout=5)
    clock = Clock()
    restarted = Sender(db, client, worker_id="restarted", lease=lease, rng=random.Random(7), lease_clock=clock)
    clock.now = NOW + lease + timedelta(seconds=1)
    sent = 0
    for _ in range(40):
        stats = restarted.deliver_due(clock)
        sent += stats.sent
        if not stats.sent:
            break

    waiting = collections.Counter(r.last_error for r in rows(db).values() if r.status != OutboxStatus.SENT)
    assert sent == 120 and len(sim.messages(channels[0])) == 10, (sent, dict(waiting))
    restarted.close()


def test_urgent_posts_queued_behind_a_normal_post_of_their_channel_are_all_sent(sim, db_url):
    """200 urgent rows behind one normal row in one channel: the claim window (200, by priority) holds only
    the urgent rows, which must wait for the normal one; the sender takes that earlier row too."""
    from bot.outbox.queue import URGENT

    db, sender = make_sender(sim, db_url)
    with db.session() as s:
        post_message(s, key="normal", channel="C0ACME", text="normal", now=NOW)
        for n in range(200):
            post_message(s, key=f"urgent:{n}", channel="C0ACME", text=f"urgent {n}", now=NOW, priority=URGENT)
    clock = Clock()
    for _ in range(5):
        if not sender.deliver_due(clock).sent:
            break
    texts = [m.plain_text() for m in sim.messages("C0ACME")]
    assert texts[0] == "normal" and len(texts) == 201 and texts[1:] == [f"urgent {n}" for n in range(200)]
    sender.close()


def test_pins_past_their_budget_stay_unclaimed_and_posts_go_out_ahead_of_them(sim, db_url):
    """A go-live morning's pins: golive's own pins.add budget (Tier 2, 20 a minute) lets twenty go; the
    other pins are left in the outbox untouched (no attempt, no composing, no refusal to write back) and the
    posts queued after them go out in the same batch."""
    from bot.outbox.queue import BACKGROUND, enqueue
    from bot.wiring import COMPOSERS

    db = Database(db_url)
    upgrade(db)
    channels = [f"C0PIN{i:02d}" for i in range(30)]
    for channel in channels:
        sim.add_channel(channel, channel.lower(), members=["U0CSM"])
    client = GatewayClient(token=sim.bot_token, base_url=sim.url, retry_handlers=[], ratebook=RateBook(),
                           max_wait=0.0, timeout=5)
    sender = Sender(db, client, worker_id="w", rng=random.Random(7), composers=COMPOSERS)
    for channel in channels:
        queue(db, f"help:{channel}", channel=channel, text="how to get help")
    clock = Clock()
    assert sender.deliver_due(clock).sent == 30
    with db.session() as s:
        for channel in channels:
            help_ts = s.exec(select(OutboxMessage.result_ts).where(
                OutboxMessage.dedupe_key == f"help:{channel}")).one()
            enqueue(s, key=f"pin:{channel}", method="golive.pin", payload={"channel": channel, "ts": help_ts},
                    now=NOW, priority=BACKGROUND)
        for channel in channels:
            post_message(s, key=f"checkin:{channel}", channel=channel, text="check-in", now=NOW)

    stats = sender.deliver_due(clock)

    pins = sim.calls_to("pins.add")
    assert len(pins) == 20 and all(c.status == 200 for c in pins)
    assert all([m.plain_text() for m in sim.messages(c)][-1] == "check-in" for c in channels)
    left = [r for r in rows(db).values() if r.method == "golive.pin" and r.status != OutboxStatus.SENT]
    assert len(left) == 10 and stats.rate_limited == 0
    assert all(r.status == OutboxStatus.PENDING and r.attempts == 0 and r.rate_limited == 0 for r in left)
    # Another batch right away claims none of them (no budget yet): nothing is composed or written.
    assert sender.deliver_due(clock).sent == 0 and len(sim.calls_to("pins.add")) == 20
    sender.close()


def test_a_worker_whose_clock_runs_ahead_does_not_take_rows_another_worker_holds(sim, db_url):
    """Leases are measured on the database's clock: a second machine whose clock is ten minutes fast (past
    the two-minute lease) sees the first worker's row as held, not abandoned, and leaves it alone."""
    db = Database(db_url)
    upgrade(db)
    queue(db, "held", text="only once")
    first = Sender(db, WebClient(token=sim.bot_token, base_url=sim.url), worker_id="first", rng=random.Random(7))
    [claimed] = first.claim_due(NOW)
    fast = Sender(db, WebClient(token=sim.bot_token, base_url=sim.url), worker_id="fast", rng=random.Random(8))

    assert fast.claim_due(NOW + timedelta(minutes=10)) == []
    assert fast.deliver_due(NOW + timedelta(minutes=10)).sent == 0 and sim.messages("C0ACME") == []
    row = rows(db)["held"]
    assert (row.status, row.claimed_by) == (OutboxStatus.SENDING, "first") and claimed.dedupe_key == "held"
    first.close()
    fast.close()
