"""Events golive subscribes to but has nothing to do for (yet): acknowledged quietly, not 404."""

from slack_bolt import App


def ignore(ack=None) -> None:  # noqa: ANN001
    if ack is not None:
        ack()


def register(app: App) -> None:
    for name in ("member_joined_channel", "channel_id_changed", "reaction_removed"):
        app.event(name)(ignore)
