from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from motcua.desk.models import AuditEntry, StaffProfile, TemplateVersion
from motcua.dossiers.models import Agency, ApiKey, CalendarDay, Dossier, DossierEvent, Procedure
from motcua.messaging.models import (
    BatchRun,
    ConnectionStatus,
    IncomingMessage,
    Message,
    MessagePart,
    Template,
)

# The admin lists models by their verbose names; these follow the page's language. Set here, for display
# only (``_meta.original_attrs`` keeps what migrations read, so no migration follows from it).
ADMIN_NAMES = {
    Agency: _("cơ quan"),
    Procedure: _("thủ tục hành chính"),
    CalendarDay: _("ngày nghỉ / làm bù"),
    Dossier: _("hồ sơ"),
    DossierEvent: _("sự kiện của hồ sơ"),
    ApiKey: _("khóa API"),
    Message: _("tin nhắn gửi đi"),
    MessagePart: _("phần tin nhắn (báo cáo từng phần)"),
    IncomingMessage: _("tin nhắn tra cứu nhận được"),
    Template: _("mẫu tin nhắn của cơ quan"),
    BatchRun: _("lượt gửi tin xin lỗi hằng ngày"),
    ConnectionStatus: _("trạng thái kết nối SMS"),
}
for _model, _name in ADMIN_NAMES.items():
    _model._meta.verbose_name = _model._meta.verbose_name_plural = _name


def province_superuser_only(request) -> bool:
    """The Django admin edits every agency's data directly: it is for the province superuser alone.
    Agency administrators manage their own staff and keys in the desk, where every action is audited."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = province_superuser_only


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role")
    list_filter = ("role", "agency")
    search_fields = ("user__username", "agency__code", "agency__name")
    autocomplete_fields = ("user",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: shown, never edited or deleted."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "agency", "target")
    list_filter = ("action", "agency")


@admin.register(TemplateVersion)
class TemplateVersionAdmin(ReadOnlyAdmin):
    list_display = ("agency", "kind", "number", "author", "created_at")
    list_filter = ("kind", "agency")
