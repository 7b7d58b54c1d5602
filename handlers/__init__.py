"""Slack surfaces: each module translates payloads into domain calls and has a `register(app)`."""

from slack_bolt import App


def register_all(app: App) -> None:
    from handlers import checkins, commands, events, issues

    checkins.register(app)
    issues.register(app)
    commands.register(app)
    events.register(app)

    from handlers import milestones

    milestones.register(app)

    from handlers import adoption, home

    home.register(app)
    adoption.register(app)
