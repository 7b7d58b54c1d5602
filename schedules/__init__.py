"""The due-work machinery: kinds of work and sweepers (registry), a launch's stored plan (plan), and the
engine whose tick claims due rows atomically (engine). It knows no feature: features declare their
work as plain data and bot.wiring hands the engine the list.

May import: bot.core, storage."""
