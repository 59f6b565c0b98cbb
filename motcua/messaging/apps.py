from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "motcua.messaging"
    label = "messaging"
    verbose_name = "Tin nhắn"
