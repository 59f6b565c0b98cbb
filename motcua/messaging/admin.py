from django.contrib import admin

from motcua.dossiers.admin import ReadOnlyAdmin
from motcua.messaging.models import BatchRun, IncomingMessage, Message, MessagePart, Template


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ("agency", "kind", "updated_at")
    list_filter = ("kind",)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "dossier", "status", "encoding", "parts", "cost", "connection", "created_at")
    list_filter = ("status", "kind", "connection")
    search_fields = ("dossier__code", "cause")
    readonly_fields = [f.name for f in Message._meta.fields]


@admin.register(BatchRun)
class BatchRunAdmin(admin.ModelAdmin):
    list_display = ("day", "status", "queued", "skipped", "started_at", "finished_at", "worker")


@admin.register(IncomingMessage)
class IncomingMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "connection", "recipient", "outcome", "price", "received_at")
    list_filter = ("outcome", "connection", "recipient")
    readonly_fields = [f.name for f in IncomingMessage._meta.fields]


@admin.register(MessagePart)
class MessagePartAdmin(ReadOnlyAdmin):
    list_display = ("message", "connection", "remote_id", "status", "reported_at")
    list_filter = ("status", "connection")
