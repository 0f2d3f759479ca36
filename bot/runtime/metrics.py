"""Prometheus metrics of one app instance (own registry, so tests can build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Seconds: answers are computed in tens of milliseconds; deliveries can wait through an outage.
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


class Metrics:
    """Counters, histograms and gauges exposed at /metrics."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.updates_received = Counter(
            "lawbot_updates_received_total",
            "Platform updates stored in the inbox (webhook or polling).",
            ["channel"],
            registry=r,
        )
        self.updates_duplicate = Counter(
            "lawbot_updates_duplicate_total",
            "Updates delivered again by the platform and ignored.",
            ["channel"],
            registry=r,
        )
        self.webhook_rejected = Counter(
            "lawbot_webhook_rejected_total",
            "Webhook calls refused (reason: secret, too_large, malformed, unavailable).",
            ["channel", "reason"],
            registry=r,
        )
        self.webhook_seconds = Histogram(
            "lawbot_webhook_seconds",
            "Time to acknowledge a webhook call (read, check, store), by status code.",
            ["channel", "status"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=r,
        )
        self.messages_received = Counter(
            "lawbot_messages_received_total",
            "Citizen text messages handed to the assistant.",
            ["channel"],
            registry=r,
        )
        self.replies = Counter(
            "lawbot_replies_total", "Replies produced, by kind.", ["channel", "kind"], registry=r
        )
        self.escalations = Counter(
            "lawbot_escalations_total",
            "Replies that opened a ticket for staff.",
            ["channel"],
            registry=r,
        )
        self.handling_errors = Counter(
            "lawbot_handling_errors_total",
            "Inbox updates whose handling raised.",
            ["channel"],
            registry=r,
        )
        self.reply_latency = Histogram(
            "lawbot_reply_latency_seconds",
            "Time the assistant took to produce a reply.",
            ["channel"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.deliveries = Counter(
            "lawbot_deliveries_total",
            "Outbox send attempts by outcome (sent, retry, unknown: timed out, retried; failed).",
            ["channel", "outcome"],
            registry=r,
        )
        self.delivery_latency = Histogram(
            "lawbot_delivery_latency_seconds",
            "Time from queuing a message in the outbox to the platform accepting it.",
            ["channel"],
            buckets=_DELIVERY_BUCKETS,
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "lawbot_outbox_backlog", "Messages waiting in the outbox.", registry=r
        )
        self.inbox_backlog = Gauge(
            "lawbot_inbox_backlog", "Updates waiting in the inbox.", registry=r
        )
        self.index_built = Gauge(
            "lawbot_index_built_timestamp_seconds",
            "When the index build being served was made (Unix time; 0 if unknown): alert on its age.",
            registry=r,
        )
        self.index_reloads = Counter(
            "lawbot_index_reloads_total",
            "Index switch attempts (outcome: switched, refused, failed).",
            ["outcome"],
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


def build_timestamp(build_id: str | None) -> float:
    """Unix time a build was made, from its id ("20261206-213347-4b60cfd6", UTC); 0.0 if it has none."""
    import datetime as dt

    try:
        stamp = dt.datetime.strptime((build_id or "")[:15], "%Y%m%d-%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return 0.0
    return stamp.timestamp()
