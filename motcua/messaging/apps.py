from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "motcua.messaging"
    label = "messaging"
    verbose_name = _("Tin nhắn")

    def ready(self) -> None:
        # Imported here, not at the top: Django loads app configs before models.
        from motcua.dossiers.signals import dossier_changed
        from motcua.messaging import outbox, wakeup
        from motcua.messaging.models import Message

        dossier_changed.connect(outbox.on_dossier_changed, dispatch_uid="messaging.outbox")
        post_save.connect(wakeup.on_message_saved, sender=Message, dispatch_uid="messaging.wakeup")
