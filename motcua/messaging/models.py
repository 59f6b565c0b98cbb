"""Outgoing messages (MT), their SMSC ids, incoming messages (MO), templates and the daily batch record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.domain.smstext import TemplateError, validate_template
from motcua.dossiers.models import Agency, Dossier, DossierEvent


class Status(models.TextChoices):
    QUEUED = "queued", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    SENT = "sent", _("Đã gửi tới nhà mạng")
    DELIVERED = "delivered", _("Đã đến máy")
    UNDELIVERED = "undelivered", _("Không đến máy")
    EXPIRED = "expired", _("Không rõ (hết hạn báo cáo)")
    FAILED = "failed", _("Lỗi gửi")
    SKIPPED = "skipped", _("Không gửi")
    # A lookup reply Kannel took in its HTTP response (sms-service get-url): Kannel sends it, and no
    # delivery report is asked for, so none will come. Final from the start, rather than "sent" until
    # the receipt timeout turns it "expired": that cost an UPDATE per paid lookup and told staff a
    # report had been missed.
    TO_GATEWAY = "to_gateway", _("Đã giao cổng SMS (không có báo cáo)")


FINAL_STATUSES = (
    Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED, Status.FAILED, Status.SKIPPED, Status.TO_GATEWAY
)


class Kind(models.TextChoices):
    RESULT = "result", _("Có kết quả")
    SUPPLEMENT = "supplement", _("Cần bổ sung")
    APOLOGY = "apology", _("Xin lỗi trễ hẹn")
    LOOKUP_REPLY = "lookup_reply", _("Trả lời tra cứu")


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    ZNS = "zns", _("Zalo ZNS")


class Message(models.Model):
    """One SMS to one phone. ``cause`` is unique, which is what makes "at most once per cause" hold.

    A message outlives everything it was about: a dossier, its event or its agency cannot be deleted
    while a message points at it (PROTECT), because the SMS history is what staff, reports and the
    monthly reconciliation with the telco read.
    """

    kind = models.CharField(max_length=16, choices=Kind.choices)
    cause = models.CharField(max_length=120)  # unique: see Meta.constraints
    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    event = models.ForeignKey(DossierEvent, null=True, blank=True, on_delete=models.PROTECT)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT)
    to = models.CharField(max_length=16, blank=True)  # gateway form, 84xxxxxxxxx
    text = models.TextField(blank=True)
    encoding = models.CharField(max_length=4, blank=True)
    parts = models.PositiveSmallIntegerField(default=0)
    cost = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    skip_reason = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=255, blank=True)
    not_before = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=40, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    connection = models.CharField(max_length=64, blank=True)
    preferred_connection = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    final_at = models.DateTimeField(null=True, blank=True)
    # A notice first tried through Zalo ZNS is a ``zns`` message (its SMS text kept for the fallback); when
    # ZNS cannot reach the person the SMS is a second message, ``fallback_of`` the first, cause + ":sms".
    channel = models.CharField(max_length=4, choices=Channel.choices, default=Channel.SMS)
    template_id = models.CharField(max_length=40, blank=True)
    template_data = models.JSONField(default=dict, blank=True)
    fallback_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="fallback"
    )

    class Meta:
        ordering = ["id"]
        # What the worker looks up, each index holding only the rows in that status: the queue in the
        # order it is served, the messages waiting for a receipt (expiry), those in a worker's hands
        # (requeued when the worker died).
        indexes = [
            models.Index(fields=["not_before", "id"], name="msg_queued", condition=models.Q(status="queued")),
            models.Index(fields=["sent_at"], name="msg_sent_waiting", condition=models.Q(status="sent")),
            models.Index(fields=["claimed_at"], name="msg_in_flight", condition=models.Q(status="sending")),
        ]
        constraints = [models.UniqueConstraint(fields=["cause"], name="one_message_per_cause")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.status}"


class MessagePart(models.Model):
    """One SMSC id: each part of a concatenated SMS has its own id and its own receipt."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="remote_parts")
    connection = models.CharField(max_length=64)
    remote_id = models.CharField(max_length=80)  # normalised, see transports.smpp.normalise_remote_id
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SENT)
    reported_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "remote_id"], name="one_message_per_remote_id")
        ]


class GatewayReport(models.Model):
    """A delivery report a gateway posted to ``/sms/dlr``, kept until the worker applies it.

    The web request only checks and stores it, so a report never waits for anything and never holds a
    web thread; the worker applies it like a report from its own binds. A report may come before the
    worker has stored its message's id (a fast gateway reports within milliseconds): the row then
    waits here, tried again every few seconds, until the id is known or ``INBOX_GRACE`` has passed.
    """

    connection = models.CharField(max_length=64)
    remote_id = models.CharField(max_length=80)
    status = models.CharField(max_length=12)  # delivered / undelivered / expired
    error = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    tried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class ConnectionStatus(models.Model):
    """What one worker last saw of one connection (``Transport.state()``), written every housekeeping pass,
    so that the web processes can report binds they do not hold themselves.

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


class Template(models.Model):
    """An agency's own text for a message kind. Validated on save, so a bad one never reaches a citizen."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="templates")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "kind"], name="one_template_per_kind")]

    def clean(self) -> None:
        try:
            validate_template(self.kind, self.text)
        except TemplateError as e:
            # One entry per problem, so the admin form lists each thing to fix on its own line.
            raise ValidationError({"text": e.messages}) from e

    def save(self, *args, **kwargs):
        self.clean()
        return super().save(*args, **kwargs)


class BatchRun(models.Model):
    """One row per day: the apology batch runs once however many workers race for it."""

    day = models.DateField(unique=True)
    status = models.CharField(max_length=12, default="running")  # running / done / missed
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    queued = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=64, blank=True)


class IncomingMessage(models.Model):
    """An MO message. Charged by the telco (``price``), so kept for monthly reconciliation."""

    connection = models.CharField(max_length=64)
    remote_id = models.CharField(max_length=80, blank=True)
    sender = models.CharField(max_length=16)
    recipient = models.CharField(max_length=16)
    text = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    price = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, blank=True)  # answered / unknown_code / bad_syntax / ...
    reply = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "remote_id"],
                condition=~models.Q(remote_id=""),
                name="mo_once_per_telco_id",
            )
        ]
        indexes = [models.Index(fields=["received_at"])]


class ZnsToken(models.Model):
    """The OA's token pair. A refresh token can be used once: the row is locked while it is spent and the new
    pair saved in that transaction, so two workers never spend the same one, and a worker that was down
    reads the pair another one rotated. ``seed`` is a digest of the refresh token the settings gave: a new
    one pasted there (after the pair was lost) replaces the row's; the same one never does."""

    name = models.CharField(max_length=64, unique=True)
    access_token = models.TextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = models.TextField(blank=True)
    seed = models.CharField(max_length=64, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    refreshes = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)


class ZnsAgency(models.Model):
    """An agency's choice to send its notices through Zalo ZNS first (its OA's approved templates)."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="zns")
    enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)


class ZnsTemplate(models.Model):
    """For one notice kind, the approved ZNS template and which of our fields fills each of its parameters
    (``{"code": "ma_ho_so", ...}``, see ``domain.zns.FIELDS``)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="zns_templates")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    template_id = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "kind"], name="one_zns_template_per_kind")]
