"""Prometheus metrics (served on the web role at /metrics)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

OUTBOX_DELIVERED = Counter("golive_outbox_delivered_total", "Slack posts delivered", registry=REGISTRY)
OUTBOX_RETRIED = Counter("golive_outbox_retries_total", "Deliveries rescheduled after an error", registry=REGISTRY)
OUTBOX_DEAD = Counter("golive_outbox_dead_letters_total", "Deliveries given up", registry=REGISTRY)
SLACK_RATE_LIMITED = Counter("golive_slack_rate_limited_total", "429 answers from Slack", registry=REGISTRY)
WORK_DONE = Counter("golive_work_done_total", "Scheduled work done", ["kind", "result"], registry=REGISTRY)
TICK_SECONDS = Histogram("golive_tick_seconds", "Duration of one tick", registry=REGISTRY)
OUTBOX_DEPTH = Gauge("golive_outbox_depth", "Outbox rows waiting", registry=REGISTRY)
OUTBOX_OLDEST_AGE = Gauge("golive_outbox_oldest_age_seconds", "Age of the oldest waiting row", registry=REGISTRY)
SLA_BREACHES = Counter("golive_sla_breaches_total", "Issues escalated past their time to acknowledge",
                       ["severity"], registry=REGISTRY)
EVENTS_DUPLICATE = Counter("golive_events_duplicate_total", "Slack retries recognised", registry=REGISTRY)
