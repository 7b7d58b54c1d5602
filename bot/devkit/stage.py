"""What every chapter of `golive demo` shares: the simulated clock and the worker that runs on it, the stage
that shows what each person saw (Slack's text rendered for the terminal), and local times."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule
from sqlalchemy import func
from sqlmodel import select

from bot.devkit import terminal
from bot.devkit.simulator import SimMessage, SlackSimulator
from bot.features.status.service import KIND_LABELS
from bot.runtime import Runtime
from storage.models import Issue, IssueStatus, OutboxMessage, OutboxStatus, PlannedWork, WorkStatus

MINUTE = timedelta(minutes=1)
SWEEPER_LABELS = {"issue_escalation": "escalation of an unacknowledged issue",
                  "sev1_update_reminder": "reminder to update the customer on a sev1"}


class DemoClock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Stage:
    sim: SlackSimulator
    console: Console
    seen: dict[tuple[str, str], str] = field(default_factory=dict)
    responses_seen: int = 0

    @property
    def names(self) -> terminal.Names:
        def user(uid: str) -> str | None:
            found = self.sim.user(uid)
            return (found or {}).get("profile", {}).get("display_name") or (found or {}).get("name")

        def channel(cid: str) -> str | None:
            return (self.sim.channel(cid) or {}).get("name")

        return terminal.Names(user=user, channel=channel)

    def who(self, user: str | None) -> str:
        if user == self.sim.bot_user_id:
            return "golive"
        return PEOPLE.get(user or "", (user, user))[1]

    def where(self, message: SimMessage) -> str:
        if message.channel.startswith("D"):
            dm_user = message.channel[1:]
            return f"DM to {self.who(dm_user)}"
        name = CHANNEL_NAMES.get(message.channel, message.channel)
        return f"{name}, in a thread" if message.is_reply else name

    def render(self, text: str | None, blocks: list[dict] | None = None, files: list[dict] | None = None):  # noqa: ANN201
        """Slack text (mrkdwn or blocks) as the terminal shows it: bold, @names, #channels, emoji."""
        return terminal.to_text(terminal.message(text, blocks, files, self.names) or "(empty)")

    def panel(self, text: str | None, title: str, *, blocks: list[dict] | None = None,
              border_style: str = "magenta") -> None:
        """A Slack answer (mrkdwn text or blocks) in a panel, e.g. what only Carla sees."""
        self.console.print(Panel(self.render(text, blocks), title=title, title_align="left",
                                 border_style=border_style, expand=False))

    def show_new(self, heading: str) -> None:
        """Print every message that appeared or changed since last time, as the people there saw it."""
        fresh = []
        for message in self.sim.all_messages():
            key = (message.channel, message.ts)
            text = message.plain_text()
            if self.seen.get(key) != text:
                fresh.append((message, key in self.seen))
                self.seen[key] = text
        if not fresh:
            return
        self.console.print(Rule(heading, style="cyan"))
        for message, updated in fresh:
            title = f"{self.where(message)} — {'updated' if updated else 'new'}"
            self.console.print(Panel(self.render(message.text, message.blocks, message.files), title=title,
                                     title_align="left", border_style="yellow" if updated else "green",
                                     expand=False))

    def show_private(self, user: str) -> None:
        """What only `user` saw: the ephemeral answer to their own click."""
        while self.responses_seen < len(self.sim.responses):
            response = self.sim.responses[self.responses_seen]
            self.responses_seen += 1
            if response.get("text"):
                self.panel(response["text"], f"only {self.who(user)} sees")


class Worker:
    """`golive worker` on the demo's fast clock. The real worker ticks the scheduler every minute and
    delivers the outbox every second; here every simulated minute is ticked, in order, but only the minutes
    in which something is due (a planned step, an escalation, a reminder) cost anything, and the outbox is
    delivered at each instant one of its rows falls due. Equivalent to ticking every minute, in seconds of
    real time — so nothing is found late or skipped unless the story makes it so."""

    def __init__(self, runtime: Runtime, clock: DemoClock, stage: Stage):
        self.runtime, self.clock, self.stage = runtime, clock, stage
        self.ticks = 0

    def run_until(self, until: datetime, heading: str | None = None, *, quiet: bool = False) -> None:
        """Let simulated time run to `until`, showing what appeared at each minute the scheduler had work (with
        `heading` at `until` itself). What the story's own actions caused, and deliveries between ticks, show
        at the next of those; `quiet` keeps everything for the next heading."""
        if until < self.clock.now:
            raise ValueError(f"the story went back in time: {until:%a %d %b %H:%M} is before "
                             f"{self.clock.now:%a %d %b %H:%M}; chapters must be in time order")
        self.deliver()
        while True:
            at, due = self._next_instant()
            if at is None or at > until:
                break
            self.clock.now = at
            if due:
                what = self._tick(at)
            self.deliver()
            if due and not quiet and at != until:
                self.stage.show_new(self._heading(at, what))
        self.clock.now = until
        self.deliver()
        if not quiet:
            self.stage.show_new(heading or self._heading(until, "what happened"))

    def deliver(self) -> None:
        """Deliver what is due now (the real worker does it within a second)."""
        for _ in range(20):
            if not self._outbox_due():
                return  # a cheap look first: claiming finds nothing, dearly, most of the time
            stats = self.runtime.sender.deliver_due(self.clock)
            if not (stats.sent or stats.retried or stats.dead):
                return

    def _outbox_due(self) -> bool:
        with self.runtime.db.read() as s:
            return s.exec(select(OutboxMessage.id).where(
                OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                OutboxMessage.next_attempt_at <= self.clock.now).limit(1)).first() is not None

    def _tick(self, at: datetime) -> str:
        with self.runtime.db.read() as s:
            kinds = s.exec(select(PlannedWork.kind).distinct().where(
                PlannedWork.status == WorkStatus.PENDING, PlannedWork.due_at <= at)).all()
        result = self.runtime.tick_once(at)
        self.ticks += 1
        labels = [KIND_LABELS.get(k, k.replace("_", " ")) for k in sorted(kinds)]
        labels += [SWEEPER_LABELS.get(name, name) for name, count in result.swept.items() if count]
        return ", ".join(labels) or "the worker's tick"

    def _next_instant(self) -> tuple[datetime | None, bool]:
        """The next instant after now at which the worker has something to do, and whether it is a tick
        (a minute with due work) rather than only a delivery."""
        now = self.clock.now
        with self.runtime.db.read() as s:
            due = [s.exec(select(func.min(PlannedWork.due_at)).where(PlannedWork.status == WorkStatus.PENDING)).one(),
                   s.exec(select(func.min(Issue.next_escalation_at)).where(Issue.status == IssueStatus.OPEN)).one(),
                   s.exec(select(func.min(Issue.next_update_reminder_at))).one()]
            send = s.exec(select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at > now)).one()
        first_due = min((_utc(d) for d in due if d is not None), default=None)
        tick_at = max(_next_minute(now), _ceil_minute(first_due)) if first_due else None
        send_at = _utc(send) if send else None
        if tick_at is None and send_at is None:
            return None, False
        if send_at is None or (tick_at is not None and tick_at <= send_at):
            return tick_at, True
        return send_at, False

    @staticmethod
    def _heading(at: datetime, what: str) -> str:
        return f"{at.astimezone(ZoneInfo(ZONE)):%a %d %b %H:%M} — {what}"


@dataclass
class Demo:
    """Everything a chapter of the story needs: the running app, the signed-request sender (a person's
    clicks and messages), the stage, the clock and its worker, and what chapters hand on to later ones."""

    runtime: Runtime
    slack: Any  # bot.devkit.slack_requests.SlackRequestSender
    stage: Stage
    clock: DemoClock
    worker: Worker
    go_live: date
    rng: random.Random
    out_dir: Path
    launch_id: int = 0
    facts: dict[str, Any] = field(default_factory=dict)  # what a chapter learnt, for later ones and the summary

    @property
    def console(self) -> Console:
        return self.stage.console

    @property
    def sim(self) -> SlackSimulator:
        return self.stage.sim

    def at(self, instant: datetime, heading: str | None = None, *, quiet: bool = False) -> datetime:
        """Let the worker run until `instant` (see Worker.run_until), then the story acts at that instant."""
        self.worker.run_until(instant, heading, quiet=quiet)
        return instant

    def say(self, instant: datetime, line: str) -> None:
        """A line of narration, stamped with the local time."""
        self.console.print(f"[dim]{instant.astimezone(ZoneInfo(ZONE)):%a %H:%M}[/dim] {line}")


# A chapter is one part of the story, run in order on one clock: a function of the Demo that may return
# facts for the summary. The story (bot/devkit/demo.py) is a list of them, so a new part is one function
# and one line in that list, placed where its time falls.
Chapter = Callable[[Demo], "dict[str, Any] | None"]


def _utc(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _ceil_minute(instant: datetime) -> datetime:
    floor = instant.replace(second=0, microsecond=0)
    return floor if floor == instant else floor + MINUTE


def _next_minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0) + MINUTE


def next_monday(today: date) -> date:
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


ZONE = "Europe/Berlin"


PEOPLE = {
    "U0CARLA": ("carla", "Carla (CSM)"),
    "U0SAM": ("sam", "Sam (support engineer)"),
    "U0ADA": ("ada", "Ada (admin)"),
    "U0CORA": ("cora", "Cora (Acme, ops lead)"),
    "U0CYRIL": ("cyril", "Cyril (Acme, analyst)"),
    "U0CLEO": ("cleo", "Cleo (Acme, finance)"),
    "U0CARL": ("carl", "Carl (Acme, sales)"),
}


CHANNEL_NAMES = {"C0ACME": "#acme-golive (shared with Acme)", "C0SUPPORT": "#support",
                 "C0URGENT": "#support-urgent", "C0LEADERS": "#acme-leadership"}
