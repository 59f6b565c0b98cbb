"""The worker's heartbeat per SMS connection, so the web process can report binds it does not hold itself."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ConnectionStatus(models.Model):
    """What one worker last saw of one connection (``Transport.state()``), written every housekeeping pass.

    Keyed by (connection, worker) rather than by connection alone: with several workers each holds its own
    bind to the same SMSC account, and "2 of 3 binds up" is exactly what an operator needs to see. A row
    that stops being refreshed means the worker is gone, which /healthz reports as "unknown", not "up".
    """

    name = models.CharField(max_length=64)
    worker = models.CharField(max_length=120)
    scheme = models.CharField(max_length=16, blank=True)
    up = models.BooleanField(default=False)
    last_error = models.CharField(max_length=255, blank=True)
    bound_since = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveBigIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)  # the rest of state(): tps, window, outstanding…
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "worker"], name="one_status_per_connection_worker")]
        ordering = ["name", "worker"]
        verbose_name = "trạng thái kết nối SMS"
        verbose_name_plural = "trạng thái kết nối SMS"

    def __str__(self) -> str:
        return f"{self.name}@{self.worker} {'up' if self.up else 'down'}"
