from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "motcua.messaging"
    label = "messaging"
    verbose_name = "Tin nhắn"

    def ready(self) -> None:
        # Imported here, not at the top: Django loads app configs before models.
        from motcua.dossiers.signals import dossier_changed
        from motcua.messaging import outbox

        dossier_changed.connect(outbox.on_dossier_changed, dispatch_uid="messaging.outbox")
