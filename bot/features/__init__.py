"""One package per feature: launches, checkins, issues, milestones, retro, lessons, digest, adoption,
home, usage, status, help_post, heads_up. Inside each, only the files it needs: service.py (rules over
a session), model.py (its types and constants), views.py (pure Block Kit: data in, blocks out),
compose.py (what the sender renders at send time), plan.py (its scheduled work), export.py (its
`golive export` section). Each exposes plain data (KINDS, PLANNERS, SWEEPERS, COMPOSERS, SECTIONS);
nothing registers itself on import.

May import: bot.outbox, bot.slack, schedules (machinery), bot.core, storage, and other features'
service/model modules in one direction only (no cycles between features)."""
