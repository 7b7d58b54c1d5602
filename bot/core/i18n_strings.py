"""The starter set of customer-facing strings, in one place so extraction puts them in the catalogs before
the code that posts them is wired to the translator.

`starter_messages(t)` renders every one of them through `t` with sample values: the tests check that no
locale falls back to English or leaves a `{placeholder}`, and `python -m bot.core.i18n_tools preview de`
shows a translator the whole set. Once a string is wired where it is posted (`t.pgettext("button",
"All good")`), extraction finds it there and its line here can go.
"""

from __future__ import annotations

from datetime import date

from bot.core.i18n import Translator

SAMPLE_NAME = "Ana"


def starter_messages(t: Translator) -> list[str]:
    """Every starter string in `t`'s locale, filled with sample values (plurals for 0, 1, 2 and 5)."""
    out = [
        # The daily check-in.
        # TRANSLATORS: the question of the daily check-in posted in the shared channel.
        t.gettext("How is it going today?"),
        # TRANSLATORS: header block of the daily check-in; {day} is a number (1, 2, 3…).
        t.pgettext("header", "Day {day} check-in", day=2),
        # TRANSLATORS: where the launch week stands, e.g. "Day 2 of 5".
        t.gettext("Day {day} of {total}", day=2, total=5),
        # TRANSLATORS: check-in answer buttons: the customer's own state, at most 75 characters.
        t.pgettext("button", "All good"),
        t.pgettext("button", "Some friction"),
        t.pgettext("button", "Blocked"),
        t.pgettext("button", "Add a note"),
        t.pgettext("button", "Report a problem"),
        t.gettext("Thanks, {name}! Your answer is recorded.", name=SAMPLE_NAME),
        t.gettext("Answers so far: {summary}", summary="3 × :white_check_mark:"),
        # TRANSLATORS: {answer} is one of the check-in button texts.
        t.gettext("{name} answered: {answer}", name=SAMPLE_NAME, answer=t.pgettext("button", "All good")),
        t.gettext("One click on the check-in above is all it takes."),
        t.gettext("That answer is not valid. Nothing was recorded."),
        # The reminder nudge.
        t.pgettext("button", "Don't remind me this week"),
        t.gettext("Got it. We will not remind you again this week."),
        # The note and problem modals.
        t.pgettext("modal-title", "Add a note"),
        t.pgettext("modal-title", "Report a problem"),
        t.pgettext("modal-title", "Tell us more"),
        t.pgettext("modal-button", "Send"),
        t.pgettext("modal-button", "Send to support"),
        t.pgettext("modal-button", "Cancel"),
        t.gettext("What happened?"),
        t.gettext("What were you doing, and what went wrong?"),
        t.gettext("How bad is it?"),
        # TRANSLATORS: severity options of a problem report, in the reporter's words.
        t.pgettext("option", "Blocking me"),
        t.pgettext("option", "Slowing me down"),
        t.pgettext("option", "A question"),
        t.gettext("Please describe what happened."),
        t.gettext("This form has expired; please open it again."),
        t.gettext("Only members of this channel can report a problem here."),
        # Problem reports after sending.
        t.gettext("Thanks for telling us!"),
        # TRANSLATORS: {number} is the report's number; keep the # before it.
        t.gettext("Your report is with support as #{number}.", number=42),
        t.gettext("Support has picked up your report #{number}.", number=42),
        t.gettext("Our support team has it and will follow up in this thread."),
        # TRANSLATORS: {resolution} is the support engineer's text, shown as written.
        t.gettext("Issue #{number} is resolved: {resolution}", number=42, resolution="Cache cleared."),
        # Go-live.
        t.gettext("We are live!"),
        # TRANSLATORS: {customer} is the customer's company name.
        t.gettext("We are live, {customer}! Here is how to get help.", customer="Acme"),
        # TRANSLATORS: {day} is a weekday, day and month such as "Monday 3 March".
        t.gettext("Go-live is on {day}.", day=t.format_day(date.today())),
        # The retrospective.
        t.gettext("How did we do? One click tells us."),
    ]
    for n in (0, 1, 2, 5):
        out.append(t.ngettext("{count} answer", "{count} answers", n))
        out.append(t.ngettext("{count} open issue", "{count} open issues", n))
        out.append(t.ngettext("Go-live in {count} day", "Go-live in {count} days", n))
    return out
