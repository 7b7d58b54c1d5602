"""What every chapter of `golive demo` shares: the simulated clock, the stage that shows what each person
saw, local times, and the one delivery step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule

from bot.devkit.simulator import SimMessage, SlackSimulator
from bot.runtime import Runtime


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
            self.console.print(Panel(message.plain_text() or "(empty)", title=title, title_align="left",
                                     border_style="yellow" if updated else "green", expand=False))

    def show_private(self, user: str) -> None:
        """What only `user` saw: the ephemeral answer to their own click."""
        while self.responses_seen < len(self.sim.responses):
            response = self.sim.responses[self.responses_seen]
            self.responses_seen += 1
            if response.get("text"):
                self.console.print(Panel(response["text"], title=f"only {self.who(user)} sees", title_align="left",
                                         border_style="magenta", expand=False))


def next_monday(today: date) -> date:
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def deliver(runtime: Runtime, clock: DemoClock) -> None:
    """Deliver the outbox on the demo's clock, letting a few simulated seconds pass for batched updates."""
    start = clock.now
    for step in range(6):
        clock.now = start + timedelta(seconds=step * 2)
        runtime.sender.deliver_due(clock)
    clock.now = start


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
