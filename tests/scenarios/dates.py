"""Dates relative to today, for tests where the product reads the wall clock: the CLI refuses a go-live date
in the past, `golive purge` compares with the real now, `golive launch live` stamps it. (A fixed date on the
fake clock of a `world` is fine wherever the product only ever compares it with that clock.)"""

from __future__ import annotations

from datetime import date, timedelta


def monday_ahead(weeks: int = 2, today: date | None = None) -> date:
    """The Monday `weeks` weeks after this week's: at least (7 × weeks − 6) days after today."""
    today = today or date.today()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)


def monday_ago(weeks: int, today: date | None = None) -> date:
    """The Monday `weeks` weeks before this week's."""
    today = today or date.today()
    return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks)


def slack_day(day: date) -> str:
    """A date as `golive launch show` writes it: `Fri 5 Mar`."""
    return f"{day:%a} {day.day} {day:%b}"
