from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "motcua.ops"
    label = "ops"
    verbose_name = "Vận hành"

    def ready(self) -> None:
        from motcua.ops import checks  # noqa: F401 - registers the start-up checks
