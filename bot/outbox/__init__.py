"""The one door out: outbox rows queued in the caller's transaction (queue), composers rendered at send
time (compose), and the sender that delivers them with Retry-After, backoff and dead letters (sender).

May import: bot.core, storage. Features give it their composers through bot.wiring."""
