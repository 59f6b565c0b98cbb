"""Structured logs: one ``key=value`` line per record, with ids from ``extra`` as their own keys.

``log.info("sent", extra={"message_id": m.pk, "connection": name})`` becomes
``ts=2026-11-23T17:30:00.123+07:00 level=INFO logger=motcua.messaging.worker msg=sent message_id=42 connection=vtl``
so an operator can ``grep message_id=42`` across web and worker logs, and a log shipper can parse the
line without a schema. Ids only: callers must never put a phone number, a name or an SMS text in
``extra`` (tests/integration/test_privacy_logs.py checks the whole flow).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

# Attributes every LogRecord has; anything else on a record came from ``extra``.
STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
# Printed first, in this order, when present: the keys one greps by.
FIRST_KEYS = ("message_id", "dossier_id", "mo_id", "connection", "worker")
BARE = re.compile(r"[^\s\"=\\]+")


def format_value(value: Any) -> str:
    """A value that needs no quoting stays bare; otherwise a double-quoted string with escapes, on one line."""
    text = value if isinstance(value, str) else str(value)
    if text and BARE.fullmatch(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = {k: v for k, v in vars(record).items() if k not in STANDARD_ATTRS and not k.startswith("_")}
    ordered = {k: fields.pop(k) for k in FIRST_KEYS if k in fields}
    return {**ordered, **dict(sorted(fields.items()))}


class KeyValueFormatter(logging.Formatter):
    """``logfmt``-style lines. Use in ``LOGGING["formatters"]`` as ``{"()": "motcua.ops.logs.KeyValueFormatter"}``."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # the stdlib's name
        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        pairs: list[tuple[str, Any]] = [
            ("ts", self.formatTime(record)),
            ("level", record.levelname),
            ("logger", record.name),
            ("msg", record.getMessage()),
            *extra_fields(record).items(),
        ]
        if record.exc_info:
            pairs.append(("exc", self.formatException(record.exc_info)))
        elif record.exc_text:
            pairs.append(("exc", record.exc_text))
        if record.stack_info:
            pairs.append(("stack", self.formatStack(record.stack_info)))
        return " ".join(f"{key}={format_value(value)}" for key, value in pairs)


def without_query(request_line: str) -> str:
    """``GET /sms/mo?token=…&from=… HTTP/1.1`` → ``GET /sms/mo?... HTTP/1.1``: the path stays for the
    operator, the query (gateway token, phone numbers, access codes) never reaches a log."""
    method, sep, rest = request_line.partition(" ")
    target, sep2, protocol = rest.partition(" ")
    path, question, _ = target.partition("?")
    shown = f"{method}{sep}{path}{'?...' if question else ''}{sep2}{protocol}"
    return shown.encode("unicode_escape", "backslashreplace").decode("ascii")


class NoQueryStringFilter(logging.Filter):
    """Removes query strings from request lines (runserver's ``django.server`` access log) and turns the
    ``request`` Django attaches to request log records into method and path only: its repr carries the
    full query string, which a key=value formatter would print with every 4xx/5xx line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.server" and isinstance(record.args, tuple) and record.args:
            first = record.args[0]
            if isinstance(first, str):
                record.args = (without_query(first), *record.args[1:])
        request = getattr(record, "request", None)
        if request is not None:
            method, path = getattr(request, "method", None), getattr(request, "path", None)
            record.request = (
                f"{method} {path}".encode("unicode_escape", "backslashreplace").decode("ascii")
                if isinstance(method, str) and isinstance(path, str)
                else "-"
            )
        return True
