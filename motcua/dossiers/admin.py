from django.contrib import admin

from motcua.dossiers.models import Agency, ApiKey, CalendarDay, Dossier, DossierEvent, Procedure


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here: dossiers and their history change only through
    ``motcua.dossiers.services``, which records an event for every change (who, when, what); an edit in
    the admin would leave none, and a deletion would take the SMS history with it."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "sms_name", "parent", "valid_from", "valid_to", "successor", "encoding_policy")
    search_fields = ("code", "name", "sms_name")


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "agency", "processing_days")
    list_filter = ("agency",)
    search_fields = ("code", "name")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("day", "kind", "note")


class EventInline(admin.TabularInline):
    model = DossierEvent
    extra = 0
    can_delete = False
    readonly_fields = ("type", "occurred_at", "recorded_at", "actor", "state_before", "state_after", "step", "data")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = ("code", "agency", "procedure", "current_step", "state", "appointment_at")
    list_filter = ("state", "agency")
    search_fields = ("code",)
    inlines = [EventInline]
    readonly_fields = ("waits", "access_code", "source")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "agency", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "hashed", "created_at", "last_used_at")


@admin.register(DossierEvent)
class DossierEventAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "type", "occurred_at", "recorded_at", "actor")
    list_filter = ("type",)
    search_fields = ("dossier__code",)
