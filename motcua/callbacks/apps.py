from django.apps import AppConfig


class CallbacksConfig(AppConfig):
    name = "motcua.callbacks"
    label = "callbacks"
    verbose_name = "Callback"

    def ready(self) -> None:
        # Imported here, not at the top: Django loads app configs before models.
        from motcua.callbacks import recorder
        from motcua.messaging import signals

        signals.message_status_changed.connect(recorder.on_status_changed, dispatch_uid="callbacks.status")
        signals.mo_answered.connect(recorder.on_mo_answered, dispatch_uid="callbacks.lookup")
