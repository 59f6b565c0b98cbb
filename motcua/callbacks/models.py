"""A key's callback address (``Subscription``) and the events waiting to be posted to it (``Event``)."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.dossiers.models import ApiKey

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """The callback URL as stored, or a ValidationError in Vietnamese.

    HTTPS, because the events name dossiers and the secret signs them: plain HTTP over a network would hand
    both to anyone on the path. Plain HTTP only to this machine (a receiver behind a local proxy, the tests)
    or when ``MOTCUA_CALLBACK_ALLOW_HTTP`` is set for a closed network."""
    url = (url or "").strip()
    if len(url) > 500:
        raise ValidationError(_("Địa chỉ callback quá dài (tối đa 500 ký tự)."))
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise ValidationError(_("Địa chỉ callback không được chứa dấu cách hay ký tự điều khiển."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a port that is not a number
    except ValueError as e:
        raise ValidationError(_("Địa chỉ callback không hợp lệ.")) from e
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError(_("Địa chỉ callback phải có dạng https://máy-chủ/đường-dẫn."))
    if parts.username or parts.password:
        raise ValidationError(_("Không đặt tên đăng nhập hay mật khẩu trong địa chỉ callback; dùng khóa bí mật."))
    if parts.fragment:
        raise ValidationError(_("Địa chỉ callback không được có phần #."))
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not settings.MOTCUA["CALLBACK_ALLOW_HTTP"]:
        raise ValidationError(_(
            "Callback phải dùng https:// (http:// chỉ được dùng cho 127.0.0.1/localhost, "
            "hoặc khi quản trị bật MOTCUA_CALLBACK_ALLOW_HTTP)."
        ))
    return url


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Subscription(models.Model):
    """Where one API key's events go, and the secret that signs them.

    The secret is kept as it is (an HMAC needs it to sign), is shown once when it is made, and appears in
    no log, page, ``repr`` or error message.
    """

    api_key = models.OneToOneField(ApiKey, on_delete=models.CASCADE, related_name="callback", verbose_name="khóa API")
    url = models.CharField("địa chỉ callback", max_length=500)
    secret = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "callback của khóa API"
        verbose_name_plural = "callback của khóa API"

    def __str__(self) -> str:
        return f"callback of key {self.api_key_id}"

    __repr__ = __str__

    def save(self, *args, **kwargs):
        self.url = check_url(self.url)
        if not self.secret:
            raise ValidationError(_("Thiếu khóa bí mật."))
        super().save(*args, **kwargs)
        _forget_audience()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        _forget_audience()
        return result


def _forget_audience() -> None:
    from motcua.callbacks.recorder import forget

    forget()


class EventState(models.TextChoices):
    PENDING = "pending", "Chờ gửi"
    SENDING = "sending", "Đang gửi"
    DONE = "done", "Đã gửi"
    FAILED = "failed", "Đã bỏ cuộc"


OPEN_STATES = (EventState.PENDING, EventState.SENDING)


def give_up_time(now=None):
    return (now or timezone.now()) + timedelta(seconds=settings.MOTCUA["CALLBACK_GIVE_UP_AFTER"])


class Event(models.Model):
    """One JSON body to POST to one subscription, written in the transaction of the change it tells.

    ``body`` is kept byte for byte, so every attempt sends the same bytes (and the same ``event_id``).
    Events of one (subscription, message) go in ``id`` order, which is the order of the changes: each
    change held the message row's lock until it committed, so a later change's events got later ids.

    The subscription is a foreign key without a database constraint on purpose: processes cache who
    listens for a few seconds, and an event written for a subscription deleted meanwhile must not roll
    back the status change it belongs to (an SMS outcome). The sender deletes such orphans.
    """

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, db_constraint=False, related_name="events"
    )
    message_id = models.BigIntegerField()  # the stream an event is ordered in; a lookup's is its reply
    type = models.CharField(max_length=16)  # message_status / lookup
    status = models.CharField(max_length=12)  # the message's status the event tells
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=8, choices=EventState.choices, default=EventState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_at = models.DateTimeField(default=timezone.now)
    give_up_at = models.DateTimeField(default=give_up_time)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The due events, earliest first; the open events of a stream (is there an earlier one?);
            # those a sender holds (requeued after a crash); a key's failures for the desk.
            models.Index(fields=["next_at", "id"], name="cb_event_due", condition=models.Q(state="pending")),
            models.Index(
                fields=["subscription", "message_id", "id"],
                name="cb_event_stream",
                condition=models.Q(state__in=["pending", "sending"]),
            ),
            models.Index(fields=["claimed_at"], name="cb_event_in_flight", condition=models.Q(state="sending")),
            models.Index(fields=["subscription", "state", "id"], name="cb_event_by_state"),
            models.Index(fields=["created_at"], name="cb_event_created"),
        ]

    def __str__(self) -> str:
        return f"event {self.pk} {self.type} {self.status} ({self.state})"
