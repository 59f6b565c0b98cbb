from django.apps import AppConfig
from django.db.models.signals import post_save


class MessagingConfig(AppConfig):
    name = "motcua.messaging"
    label = "messaging"
    verbose_name = "Tin nhắn"

    def ready(self) -> None:
        from motcua.messaging import wakeup
        from motcua.messaging.models import Message

        post_save.connect(wakeup.on_message_saved, sender=Message, dispatch_uid="motcua-wake-worker")
