"""A cursor whose statements PostgreSQL plans once per connection, for the few that run all day.

Django's psycopg cursors bind parameters client-side (the values are spliced into the SQL text), so
PostgreSQL parses and plans every statement afresh. A plain psycopg cursor binds server-side and
psycopg prepares a statement after its fifth run on a connection: settings.py turns that back on
(``prepare_threshold``; Django turns it off), which only cursors from here use. Used for the worker's statements
(``messaging.ledger``) and the paid lookup's read and write, where planning was a large share of
PostgreSQL's CPU per message; it runs on Django's own connection, hence inside its transactions.
Elsewhere (SQLite) it is Django's cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper


@contextmanager
def prepared_cursor(connection: BaseDatabaseWrapper = default_connection) -> Iterator:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()  # as Django's cursor(): reconnect after a database restart
    connection.ensure_connection()
    # wrap_database_errors: psycopg's errors become Django's (a duplicate is an IntegrityError, which
    # callers catch) and a broken connection is marked unusable, as with Django's own cursors.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor
