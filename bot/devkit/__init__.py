"""Tooling for rehearsals and tests, never imported by runtime code: the Slack Web API simulator, signed
requests sent the way Slack sends them, and `golive demo`.

May import: bot.runtime and everything below it."""
