"""Domain errors: each carries a message fit to show a person as is.

An error a customer may see is raised with its English text marked for the catalogs and its values as
named parameters, so the error handler can say it in the launch's language::

    raise NotAllowed(N_("Issue #{number} is already resolved. Nothing was changed."), number=issue.number)

`str(error)` is always the English text; `error.text(t)` is the text in `t`'s locale when the catalogs know
the message (an unmarked message, e.g. one only the vendor's staff see, stays English without a warning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.i18n import Translator


class GoliveError(Exception):
    """Base for errors whose message is safe to show to the person who caused them."""

    def __init__(self, message: str = "", /, **params: object):
        self.msgid = message
        self.params = params
        super().__init__(message.format(**params) if params else message)

    def text(self, t: Translator | None) -> str:
        """The message in `t`'s locale (English when `t` is None or the catalogs do not have it)."""
        if t is None or not t.knows(self.msgid):
            return str(self)
        return t.gettext(self.msgid, **self.params)


class InvalidInput(GoliveError):
    """The person gave something we cannot accept; nothing was changed."""


class NotFound(GoliveError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class NotAllowed(GoliveError):
    """The person may not do this; nothing was changed."""


MAX_ID = 2**31 - 1


def parse_id(ref: object) -> int | None:
    """A database id from a Slack value (button value, metadata): None unless a positive integer that fits."""
    try:
        number = int(str(ref).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None
