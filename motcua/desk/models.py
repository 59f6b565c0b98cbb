"""Who may use the desk, and for which agency.

A Django user is one-stop staff or an agency administrator through a ``StaffProfile``; a Django
superuser is the province administrator and sees every agency. A user without either sees nothing,
so creating an account never leaks data before somebody decides which agency it belongs to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from motcua.dossiers.models import Agency


class Role(models.TextChoices):
    STAFF = "staff", "Cán bộ một cửa"
    AGENCY_ADMIN = "agency_admin", "Quản trị cơ quan"


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name="tài khoản"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="staff", verbose_name="cơ quan")
    role = models.CharField("vai trò", max_length=16, choices=Role.choices, default=Role.STAFF)

    class Meta:
        verbose_name = "cán bộ"
        verbose_name_plural = "cán bộ"

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.agency.code}, {self.get_role_display()})"
