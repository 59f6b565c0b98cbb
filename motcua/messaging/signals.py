"""What messaging tells the apps above it, without importing them (the callbacks to one-stop software).

Both signals are sent INSIDE the transaction that makes the change, so a receiver that writes rows writes
them with the change or not at all: a committed status change always has its rows, and the rows of one
message are written in the order of its changes (each change holds the message row's lock until commit).

``message_status_changed`` — one or more messages now have a new status that one-stop software sees
(queued, skipped, sent, delivered, undelivered, expired, failed; ``sending`` and the return to the queue
after a temporary failure are internal and not sent). Keyword arguments:

- ``ids``: the messages changed, or ``causes``: their causes, for rows inserted without their ids coming
  back (a bulk insert that ignores conflicts);
- ``status``: the new status; ``None`` for newly inserted rows, each then as inserted (queued or skipped);
- ``at``: the time written with the status (``sent_at`` for sent, ``final_at`` for a final status);
  ``None`` for newly inserted rows. A row that has the status but another time was changed by somebody
  else (another worker), and that change told its own story.

``mo_answered`` — an incoming message (MO) and its reply were recorded: ``incoming`` and ``reply``.
"""

from __future__ import annotations

from django.dispatch import Signal

message_status_changed = Signal()
mo_answered = Signal()
