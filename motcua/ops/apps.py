from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "motcua.ops"
    label = "ops"
    verbose_name = "Vận hành"
