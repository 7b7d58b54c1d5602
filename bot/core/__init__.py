"""Machinery every room uses: clock (time is a parameter), errors, ids (every Slack id), text (escaping
and clipping people's text), roles, settings, logs, metrics and blocks (Block Kit primitives).

May import: storage only."""
