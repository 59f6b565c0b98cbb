from django.apps import AppConfig


class LookupConfig(AppConfig):
    name = "motcua.lookup"
    label = "lookup"
    verbose_name = "Tra cứu"

    def ready(self) -> None:
        """Answer every MO: messaging records and sends, lookup says what (messaging never imports lookup)."""
        from motcua.lookup.replies import answer_text
        from motcua.messaging.inbound import set_mo_handler

        set_mo_handler(answer_text)
