"""Who may use the desk, and for which agency; what administrators did; every version of a template.

A Django user is one-stop staff or an agency administrator through a ``StaffProfile``; the province
administrator is a Django superuser or a profile with that role (and no agency). A user without either
sees nothing, so creating an account never leaks data before somebody decides which agency it belongs to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import Agency
from motcua.messaging.models import Kind


class Role(models.TextChoices):
    STAFF = "staff", _("Cán bộ một cửa")
    AGENCY_ADMIN = "agency_admin", _("Quản trị cơ quan")
    PROVINCE_ADMIN = "province_admin", _("Quản trị tỉnh")


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("tài khoản")
    )
    # Empty only for the province administrator role, who answers for every agency.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="staff", verbose_name=_("cơ quan"),
                               null=True, blank=True)
    role = models.CharField(_("vai trò"), max_length=16, choices=Role.choices, default=Role.STAFF)
    # The staff member's own mobile, where "send yourself a test" goes; national form (0912345678).
    phone = models.CharField(_("số điện thoại của tôi"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("cán bộ")
        verbose_name_plural = _("cán bộ")

    def __str__(self) -> str:
        where = self.agency.code if self.agency else "—"
        return f"{self.user.get_username()} ({where}, {self.get_role_display()})"


class AuditAction(models.TextChoices):
    STAFF_CREATED = "staff_created", _("Tạo tài khoản cán bộ")
    STAFF_DEACTIVATED = "staff_deactivated", _("Khóa tài khoản cán bộ")
    STAFF_REACTIVATED = "staff_reactivated", _("Mở lại tài khoản cán bộ")
    PASSWORD_RESET = "password_reset", _("Đặt lại mật khẩu")
    KEY_CREATED = "key_created", _("Tạo khóa API")
    KEY_REVOKED = "key_revoked", _("Thu hồi khóa API")
    TEMPLATE_SAVED = "template_saved", _("Lưu mẫu tin nhắn")
    TEMPLATE_REVERTED = "template_reverted", _("Khôi phục phiên bản mẫu tin nhắn")
    TEMPLATE_RESET = "template_reset", _("Dùng lại mẫu mặc định")
    TEST_SENT = "test_sent", _("Gửi thử tin nhắn")
    PROFILE_CHANGED = "profile_changed", _("Cập nhật hồ sơ cá nhân")
    TELCO_UPLOADED = "telco_uploaded", _("Tải lên bảng kê nhà mạng")


class AuditEntry(models.Model):
    """Append-only record of an administrative action in the desk: who, when, what, for which agency.

    ``details`` never holds a phone number or a secret: it names what changed, not the values."""

    at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)
    actor = models.CharField(_("người thực hiện"), max_length=150)
    action = models.CharField(_("thao tác"), max_length=32, choices=AuditAction.choices)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("cơ quan"))
    target = models.CharField(_("đối tượng"), max_length=200, blank=True)
    details = models.JSONField(_("chi tiết"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("nhật ký quản trị")
        verbose_name_plural = _("nhật ký quản trị")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("AuditEntry is append-only")
        return super().save(*args, **kwargs)


class TemplateVersion(models.Model):
    """One saved state of an agency's template for a kind. ``text`` empty: the default template was in
    force from then on. Numbered per (agency, kind) from 1; never changed or deleted."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="template_versions",
                               verbose_name=_("cơ quan"))
    kind = models.CharField(_("loại tin"), max_length=16, choices=Kind.choices)
    number = models.PositiveIntegerField(_("phiên bản"))
    text = models.TextField(_("nội dung"), blank=True)
    author = models.CharField(_("người sửa"), max_length=150)
    created_at = models.DateTimeField(_("thời điểm"), default=timezone.now)
    reverted_from = models.PositiveIntegerField(_("khôi phục từ phiên bản"), null=True, blank=True)

    class Meta:
        ordering = ["agency", "kind", "-number"]
        constraints = [models.UniqueConstraint(fields=["agency", "kind", "number"], name="one_template_version_number")]
        verbose_name = _("phiên bản mẫu tin nhắn")
        verbose_name_plural = _("phiên bản mẫu tin nhắn")

    def __str__(self) -> str:
        return f"{self.agency.code} {self.kind} v{self.number}"
