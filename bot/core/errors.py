"""Domain errors: each carries a message fit to show a person as is."""


class GoliveError(Exception):
    """Base for errors whose message is safe to show to the person who caused them."""


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
