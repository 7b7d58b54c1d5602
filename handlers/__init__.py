"""Slack surfaces: one module per surface (check-in buttons, issue intake and triage, the `/golive`
command, milestones, App Home, adoption, quiet events), each translating payloads into calls on the
features and flows below, with a `register(app)`. This package is the one place they are wired into
the Bolt app; surfaces never import each other (what they share lives in handlers.deps).

May import: bot.flows, bot.features, bot.outbox, bot.slack, bot.core, storage, schedules machinery."""

from slack_bolt import App

from handlers import adoption, checkins, commands, events, home, issues, milestones


def register_all(app: App) -> None:
    # Bolt tries listeners in the order they were added, running each one's matchers until one fits: the
    # busiest doors of a launch morning (the /golive command, check-in answers) come first. No two listeners
    # match the same request, so the order changes nothing else.
    commands.register(app, {**commands.SUBCOMMANDS, **issues.SUBCOMMANDS, **milestones.SUBCOMMANDS})
    checkins.register(app)
    issues.register(app)
    events.register(app)
    milestones.register(app)
    home.register(app)
    adoption.register(app)
