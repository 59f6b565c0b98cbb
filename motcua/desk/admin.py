from django.contrib import admin

from motcua.desk.models import StaffProfile


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role")
    list_filter = ("role", "agency")
    search_fields = ("user__username", "agency__code", "agency__name")
    autocomplete_fields = ("user",)
