"""The PostgreSQL connection the web processes keep (``motcua.db``): checked without a query, replaced
when the server has closed it."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from motcua.lookup.replies import find_dossier

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _server_closes_our_connection() -> None:
    pid = connection.connection.info.backend_pid
    with psycopg.connect(
        host=connection.settings_dict["HOST"], port=connection.settings_dict["PORT"] or 5432,
        user=connection.settings_dict["USER"], dbname=connection.settings_dict["NAME"], autocommit=True,
    ) as other:
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]


def test_an_idle_healthy_connection_is_checked_without_a_round_trip(monkeypatch):
    connection.ensure_connection()

    def no_query(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("the health check sent a query")

    monkeypatch.setattr(connection.connection, "cursor", no_query)
    assert connection.is_usable()


def test_a_connection_the_server_closed_is_replaced_before_the_next_request_queries(make_dossier):
    make_dossier(code="000.00.01.H01-261123-0001")
    connection.ensure_connection()
    first_pid = connection.connection.info.backend_pid
    _server_closes_our_connection()

    connection.health_check_done = False  # what request_started does for a new request
    connection.close_if_health_check_failed()

    assert find_dossier("000.00.01.H01-261123-0001") is not None  # no OperationalError
    assert connection.connection.info.backend_pid != first_pid
