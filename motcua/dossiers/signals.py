"""What the dossiers app tells the apps above it, without importing them.

``dossier_changed`` is sent by :mod:`motcua.dossiers.services` for every event it records (creation
included), inside the transaction that records it, with ``dossier`` (as saved), ``event`` (the new
``DossierEvent``) and ``before`` (the state before the event; ``None`` for a creation). A receiver that
writes rows writes them in that same transaction, and an exception in a receiver rolls the event back:
that is how the outbox keeps "an event and the SMS it causes are saved together, or neither is".
"""

from django.dispatch import Signal

dossier_changed = Signal()
