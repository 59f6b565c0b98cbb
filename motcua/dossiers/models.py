"""Agencies, procedures (TTHC), dossiers (hồ sơ) and their append-only event log."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from motcua.domain.ontime import OnTime, status_at
from motcua.domain.states import DEFAULT_STEPS, DossierState

ENCODING_POLICIES = [("accented", "Có dấu (UCS-2)"), ("unaccented", "Không dấu (GSM)")]


class Agency(models.Model):
    """An agency with a one-stop desk (Sở, UBND xã/phường…).

    Agencies are never deleted: since 1 July 2025 provinces merged and districts were abolished, so an agency
    gets ``valid_to`` and a ``successor``, and its dossiers and receipt codes keep resolving.
    """

    code = models.CharField("mã cơ quan", max_length=3, unique=True)
    name = models.CharField("tên đầy đủ", max_length=255)
    sms_name = models.CharField("tên trong tin nhắn", max_length=120, help_text="Ví dụ: Sở Du lịch")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    valid_from = models.DateField("hiệu lực từ", null=True, blank=True)
    valid_to = models.DateField("hiệu lực đến", null=True, blank=True)
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="predecessors"
    )
    encoding_policy = models.CharField(
        "kiểu tin nhắn", max_length=12, choices=ENCODING_POLICIES, blank=True, help_text="Trống: theo cấu hình chung"
    )
    sender = models.CharField("tên/đầu số gửi", max_length=11, blank=True)
    # Where and when citizens bring and collect dossiers: shown on the public front page, the lookup
    # answer and the printed receipt.
    address = models.CharField("địa chỉ Bộ phận Một cửa", max_length=255, blank=True)
    opening_hours = models.CharField(
        "giờ làm việc", max_length=255, blank=True, help_text="Ví dụ: Sáng 7h00–11h30, chiều 13h30–17h00, thứ Hai–thứ Sáu"
    )
    hotline = models.CharField("điện thoại / đường dây nóng", max_length=64, blank=True)
    # Receipt codes issued by the one-stop software in the national form <unit>-<date>-<serial>: codes
    # with these units are this agency's, whether or not they exist yet (see services.check_code_owner).
    dvcqg_units = models.CharField(
        "mã đơn vị trong mã hồ sơ quốc gia", max_length=255, blank=True,
        help_text="Phần đầu của mã hồ sơ dạng <mã đơn vị>-<ngày>-<số>, ví dụ 000.00.16.H31; nhiều mã cách nhau "
                  "bởi dấu phẩy. Chỉ khóa API của cơ quan này tạo được hồ sơ mang các mã đó.",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "cơ quan"
        verbose_name_plural = "cơ quan"

    def __str__(self) -> str:
        return f"{self.code} {self.sms_name}"

    def units(self) -> set[str]:
        return {u.strip().upper() for u in self.dvcqg_units.split(",") if u.strip()}

    def is_active(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)

    def with_predecessors(self) -> set[int]:
        """Ids of this agency and every agency merged into it, however many merges ago: whoever works for
        this agency also answers for those dossiers (bounded against a loop in the successor links)."""
        ids, frontier = {self.pk}, [self.pk]
        while frontier and len(ids) < 10_000:
            found = set(Agency.objects.filter(successor_id__in=frontier).values_list("pk", flat=True)) - ids
            ids |= found
            frontier = list(found)
        return ids

    def current(self) -> Agency:
        """Follow the successor chain (bounded, in case of a loop) to the agency that answers today."""
        agency, seen = self, set()
        while agency.successor_id and agency.pk not in seen:
            seen.add(agency.pk)
            agency = agency.successor
        return agency


class Procedure(models.Model):
    """A thủ tục hành chính (TTHC) as handled by one agency."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="procedures")
    code = models.CharField("mã TTHC", max_length=64)
    name = models.CharField("tên TTHC", max_length=500)
    processing_days = models.DecimalField(
        "thời hạn (ngày làm việc)", max_digits=6, decimal_places=2, default=0, help_text="0 = giải quyết trong ngày"
    )
    steps = models.JSONField("các bước", default=list)
    # A same-day procedure gets no SMS at all, so "same day" must be an administrator's decision: a procedure
    # registered on the fly from a vendor's record has a guessed duration and stays unconfirmed (its dossiers
    # get their SMS) until an administrator confirms it on the desk.
    duration_confirmed = models.BooleanField(
        "thời hạn đã được xác nhận", default=True, help_text="Chưa xác nhận: thủ tục tự đăng ký từ dữ liệu đồng bộ"
    )

    class Meta:
        ordering = ["agency__code", "code"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="procedure_code_per_agency")]
        verbose_name = "thủ tục hành chính"
        verbose_name_plural = "thủ tục hành chính"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def same_day(self) -> bool:
        """Same-day (no SMS) only when an administrator set it so, never from a guess."""
        return self.processing_days <= 0 and self.duration_confirmed

    def step_names(self) -> list[str]:
        return list(self.steps) or list(DEFAULT_STEPS)


class CalendarDay(models.Model):
    """An administrator's correction to the calendar: a decision the holidays package does not know yet."""

    OFF, WORKING = "off", "working"
    day = models.DateField("ngày", unique=True)
    kind = models.CharField(
        "loại", max_length=8, choices=[(OFF, "Ngày nghỉ"), (WORKING, "Ngày làm việc bù")], default=OFF
    )
    note = models.CharField("ghi chú", max_length=255, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = "ngày nghỉ / làm bù"
        verbose_name_plural = "ngày nghỉ / làm bù"

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.get_kind_display()}"


class Dossier(models.Model):
    """A hồ sơ. ``code`` is the mã số biên nhận printed on the receipt, kept exactly as issued."""

    code = models.CharField("mã số biên nhận", max_length=64, unique=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="dossiers")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="dossiers")
    applicant = models.CharField("chủ hồ sơ", max_length=255, blank=True)
    phone = models.CharField("số điện thoại", max_length=16, blank=True, help_text="Dạng 0912345678")
    phone_raw = models.CharField("số điện thoại như nhận được", max_length=64, blank=True)
    received_at = models.DateTimeField("ngày tiếp nhận")
    appointment_at = models.DateTimeField("ngày hẹn trả", db_index=True)
    current_step = models.CharField("bước hiện tại", max_length=255)
    state = models.CharField(
        "trạng thái", max_length=24, choices=[(s.value, pgettext_lazy("dossier state", s.label)) for s in DossierState], db_index=True
    )
    finished_at = models.DateTimeField("ngày kết thúc xử lý", null=True, blank=True)
    returned_at = models.DateTimeField("ngày trả kết quả", null=True, blank=True)
    # Intervals spent waiting for the citizen's supplement: [[start_iso, end_iso_or_null], ...]
    waits = models.JSONField(default=list, blank=True)
    # domain.ontime.late_after of the appointment, finish and waits, kept by services on every change:
    # the dossier is late exactly when now > late_after (NULL: it cannot become late any more).
    late_after = models.DateTimeField("trễ hạn sau", null=True, blank=True, db_index=True)
    access_code = models.CharField("mã tra cứu", max_length=12)
    # Giấy tờ the desk received, as printed on the receipt: [{"name": "Đơn đề nghị", "copies": 1}, ...]
    documents = models.JSONField("thành phần hồ sơ", default=list, blank=True)
    source = models.CharField(max_length=16, default="api")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["agency", "state"]), models.Index(fields=["state", "appointment_at"])]
        verbose_name = "hồ sơ"
        verbose_name_plural = "hồ sơ"

    def __str__(self) -> str:
        return self.code

    @property
    def state_enum(self) -> DossierState:
        return DossierState(self.state)

    def wait_intervals(self) -> list[tuple[datetime, datetime | None]]:
        """The supplement waits as intervals. A wait whose end a vendor's record puts before its start (a
        request dated in the future, answered today) counts as no wait at all rather than failing."""
        intervals = []
        for a, b in self.waits or []:
            start, end = datetime.fromisoformat(a), datetime.fromisoformat(b) if b else None
            intervals.append((start, max(start, end) if end is not None else None))
        return intervals

    def on_time(self, now: datetime | None = None) -> OnTime:
        """Đúng hạn / Trễ hạn at ``now`` (default: this instant)."""
        return status_at(self.late_after, now or timezone.now())


class DossierEvent(models.Model):
    """Append-only: every change of a dossier, when it happened, when we learned it and who said so."""

    CREATED = "created"
    STEP_CHANGED = "step_changed"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENT_RECEIVED = "supplement_received"
    RESCHEDULED = "rescheduled"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    REJECTED = "rejected"
    PAYMENT_REQUESTED = "payment_requested"
    PROCESSING = "processing"
    DETAILS_CHANGED = "details_changed"
    TYPES = [
        (CREATED, pgettext_lazy("dossier event", "Tiếp nhận hồ sơ")),
        (STEP_CHANGED, pgettext_lazy("dossier event", "Chuyển bước")),
        (SUPPLEMENT_REQUESTED, pgettext_lazy("dossier event", "Yêu cầu bổ sung")),
        (SUPPLEMENT_RECEIVED, pgettext_lazy("dossier event", "Nhận hồ sơ bổ sung")),
        (RESCHEDULED, pgettext_lazy("dossier event", "Hẹn lại ngày trả")),
        (RESULT_READY, pgettext_lazy("dossier event", "Có kết quả (Trả kết quả)")),
        (RETURNED, pgettext_lazy("dossier event", "Đã trả kết quả")),
        (WITHDRAWN, pgettext_lazy("dossier event", "Công dân rút hồ sơ")),
        (STOPPED, pgettext_lazy("dossier event", "Dừng xử lý")),
        (REJECTED, pgettext_lazy("dossier event", "Không tiếp nhận")),
        (PAYMENT_REQUESTED, pgettext_lazy("dossier event", "Yêu cầu nghĩa vụ tài chính")),
        (PROCESSING, pgettext_lazy("dossier event", "Đang xử lý")),
        (DETAILS_CHANGED, pgettext_lazy("dossier event", "Sửa thông tin người nộp")),
    ]

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=24, choices=TYPES)
    occurred_at = models.DateTimeField("thời điểm xảy ra")
    recorded_at = models.DateTimeField("thời điểm ghi nhận", default=timezone.now)
    actor = models.CharField("người/khóa thực hiện", max_length=120)
    state_before = models.CharField(max_length=24, blank=True)
    state_after = models.CharField(max_length=24)
    step = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.type} {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("DossierEvent is append-only")
        return super().save(*args, **kwargs)


class ReceiptSerial(models.Model):
    """Last serial issued per (agency, year); incremented with a conditional UPDATE (row lock on PostgreSQL)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="one_serial_per_agency_year")]


class ApiKey(models.Model):
    """A key for other software. Only a SHA-256 of it is stored; the key itself is shown once."""

    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=12, unique=True)
    hashed = models.CharField(max_length=64)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, help_text="Trống: toàn tỉnh"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "khóa API"
        verbose_name_plural = "khóa API"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.agency.code if self.agency else 'toàn tỉnh'})"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, name: str, agency: Agency | None) -> tuple[ApiKey, str]:
        prefix = secrets.token_hex(4)
        key = f"mc_{prefix}_{secrets.token_urlsafe(24)}"
        return cls.objects.create(name=name, prefix=prefix, hashed=cls.hash(key), agency=agency), key

    @classmethod
    def authenticate(cls, key: str) -> ApiKey | None:
        if len(key) > 200 or any(ord(c) < 33 or ord(c) > 126 for c in key):
            return None  # never a key we issued; a NUL or surrogate would make the database driver raise
        parts = key.split("_")
        if len(parts) < 3 or parts[0] != "mc":
            return None
        found = cls.objects.select_related("agency").filter(prefix=parts[1], revoked_at__isnull=True).first()
        if found is None or not secrets.compare_digest(found.hashed, cls.hash(key)):
            return None
        return found

    @property
    def actor(self) -> str:
        return f"key:{self.prefix}"

    def agency_ids(self) -> list[int] | None:
        """The agencies this key may see: its own and, transitively, the retired ones it replaced.
        None = all (a province key)."""
        return None if self.agency is None else sorted(self.agency.with_predecessors())
