"""``/metrics`` in the Prometheus text format, computed from the database at scrape time.

Every figure comes from the database rather than from in-process counters: N web processes and M workers
on several machines then all report the same numbers, and a restart loses nothing. Each query is one
aggregate (GROUP BY, MIN, conditional COUNT) answered from the indexes on ``messaging_message``
(status+not_before, status+sent_at) where it can be; the per-status totals are one GROUP BY over the table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Min, Q, Sum
from django.utils import timezone
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from motcua.messaging.models import BatchRun, ConnectionStatus, IncomingMessage, Kind, Message, Status
from motcua.ops.health import STALE_AFTER, configured_connections

log = logging.getLogger(__name__)

LATENCY_WINDOW = timedelta(hours=1)
# Seconds from queueing to the SMSC's acceptance. Quiet-hours holds land in the top buckets by design.
LATENCY_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
SENT_STATUSES = (Status.SENT, Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED, Status.TO_GATEWAY)


def _seconds(value: timedelta | int | float | None) -> float:
    """Duration aggregates come back as timedelta (PostgreSQL) or microseconds (SQLite)."""
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000


def message_counts() -> Iterator[Metric]:
    gauge = GaugeMetricFamily("motcua_messages", "Outgoing SMS (MT) by status and kind", labels=["status", "kind"])
    counts = {(s, k): 0 for s in Status.values for k in Kind.values}
    for row in Message.objects.order_by().values("status", "kind").annotate(n=Count("id")):
        counts[(row["status"], row["kind"])] = row["n"]
    for (status, kind), n in sorted(counts.items()):
        gauge.add_metric([status, kind], n)
    yield gauge
    parts = GaugeMetricFamily("motcua_message_parts", "SMS parts (segments) of MT by status", labels=["status"])
    for row in Message.objects.order_by().values("status").annotate(n=Sum("parts")):
        parts.add_metric([row["status"]], row["n"] or 0)
    yield parts


def queue_metrics(now: datetime) -> Iterator[Metric]:
    queued = Message.objects.filter(status=Status.QUEUED)
    agg = queued.aggregate(
        total=Count("id"), due=Count("id", filter=Q(not_before__lte=now)), oldest=Min("not_before", filter=Q(not_before__lte=now))
    )
    yield GaugeMetricFamily("motcua_queue_depth", "Messages queued, including those held for quiet hours or retry", value=agg["total"])
    yield GaugeMetricFamily("motcua_queue_due", "Messages queued and due now (should be near 0 when workers keep up)", value=agg["due"])
    oldest = (now - agg["oldest"]).total_seconds() if agg["oldest"] else 0.0
    yield GaugeMetricFamily(
        "motcua_queue_oldest_due_age_seconds", "How long the oldest due message has been waiting to be sent", value=max(oldest, 0.0)
    )
    sending = Message.objects.filter(status=Status.SENDING).count()
    yield GaugeMetricFamily("motcua_messages_sending", "Messages claimed by a worker and not yet answered", value=sending)


def latency_metric(now: datetime) -> Metric:
    """Sent_at - created_at of messages sent in the last hour, as a gauge histogram bucketed by the database."""
    latency = ExpressionWrapper(F("sent_at") - F("created_at"), output_field=DurationField())
    recent = Message.objects.filter(status__in=SENT_STATUSES, sent_at__gte=now - LATENCY_WINDOW).annotate(latency=latency)
    aggregates = {f"le{i}": Count("id", filter=Q(latency__lte=timedelta(seconds=b))) for i, b in enumerate(LATENCY_BUCKETS)}
    agg = recent.aggregate(total=Count("id"), sum=Sum("latency"), **aggregates)
    buckets = [(str(b), agg[f"le{i}"]) for i, b in enumerate(LATENCY_BUCKETS)] + [("+Inf", agg["total"])]
    return GaugeHistogramMetricFamily(
        "motcua_send_latency_seconds",
        "Seconds from queueing to acceptance by the SMSC, messages sent in the last hour",
        buckets=buckets,
        gsum_value=_seconds(agg["sum"]),
    )


def connection_metrics(now: datetime) -> Iterator[Metric]:
    binds_up = GaugeMetricFamily("motcua_binds_up", "Binds up per SMS connection (fresh worker heartbeats)", labels=["connection"])
    binds = GaugeMetricFamily("motcua_binds", "Workers reporting each SMS connection in the last minute", labels=["connection"])
    age = GaugeMetricFamily(
        "motcua_connection_heartbeat_age_seconds", "Age of the newest worker heartbeat per connection", labels=["connection"]
    )
    fresh_after = now - STALE_AFTER
    rows = ConnectionStatus.objects.order_by().values("name").annotate(
        up=Count("id", filter=Q(up=True, updated_at__gte=fresh_after)),
        fresh=Count("id", filter=Q(updated_at__gte=fresh_after)),
        newest=Max("updated_at"),
    )
    seen = set()
    for row in rows:
        seen.add(row["name"])
        binds_up.add_metric([row["name"]], row["up"])
        binds.add_metric([row["name"]], row["fresh"])
        age.add_metric([row["name"]], max((now - row["newest"]).total_seconds(), 0.0))
    for name in configured_names():
        if name not in seen:  # configured but no worker ever reported it: 0 binds, which is what to alert on
            binds_up.add_metric([name], 0)
            binds.add_metric([name], 0)
    yield binds_up
    yield binds
    yield age


def configured_names() -> list[str]:
    try:
        return [name for name, _ in configured_connections()]
    except Exception:  # /healthz reports a bad MOTCUA_SMS_URL; metrics carry on without it
        return []


def incoming_metrics() -> Iterator[Metric]:
    count = GaugeMetricFamily("motcua_mo_messages", "Incoming SMS (MO) by outcome", labels=["outcome"])
    revenue = GaugeMetricFamily("motcua_mo_charged_vnd", "Sum of MO prices billed by the telco, by outcome", labels=["outcome"])
    for row in IncomingMessage.objects.order_by().values("outcome").annotate(n=Count("id"), vnd=Sum("price")):
        count.add_metric([row["outcome"] or "none"], row["n"])
        revenue.add_metric([row["outcome"] or "none"], row["vnd"] or 0)
    yield count
    yield revenue


def batch_metrics() -> Iterator[Metric]:
    runs = GaugeMetricFamily("motcua_batch_runs", "Daily apology batch runs by status", labels=["status"])
    for row in BatchRun.objects.order_by().values("status").annotate(n=Count("id")):
        runs.add_metric([row["status"]], row["n"])
    yield runs
    last = BatchRun.objects.order_by("-day").values("day", "queued", "skipped", "started_at", "finished_at").first()
    queued = GaugeMetricFamily("motcua_batch_last_messages", "Messages of the latest batch run", labels=["outcome"])
    if last:
        queued.add_metric(["queued"], last["queued"])
        queued.add_metric(["skipped"], last["skipped"])
    yield queued
    if last and last["finished_at"]:
        yield GaugeMetricFamily(
            "motcua_batch_last_duration_seconds",
            "Duration of the latest batch run",
            value=(last["finished_at"] - last["started_at"]).total_seconds(),
        )


class MotcuaCollector(Collector):
    """Queries the database on every scrape. A database error yields ``motcua_database_up 0`` only."""

    def __init__(self, clock=timezone.now) -> None:
        self.clock = clock

    def describe(self) -> list[Metric]:
        return []  # no query at registration time

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        try:
            metrics = [
                *message_counts(),
                *queue_metrics(now),
                latency_metric(now),
                *connection_metrics(now),
                *incoming_metrics(),
                *batch_metrics(),
            ]
        except DatabaseError:
            log.warning("metrics: database query failed", exc_info=True)
            yield GaugeMetricFamily("motcua_database_up", "1 if the database answered the metrics queries", value=0)
            return
        yield GaugeMetricFamily("motcua_database_up", "1 if the database answered the metrics queries", value=1)
        yield from metrics


def registry(clock=timezone.now) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(MotcuaCollector(clock))
    return reg
