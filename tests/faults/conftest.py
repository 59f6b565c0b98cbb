"""Fixtures for the fault suite: a node SMSC peer and the URL of the (committed) test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults import database_url
from tests.peers.smsc import NodeSMSC


@pytest.fixture
def smsc() -> Iterator[NodeSMSC]:
    with NodeSMSC() as peer:
        yield peer


@pytest.fixture
def db_url(transactional_db) -> str:
    """The PostgreSQL test database, for worker processes started by the test (data is committed)."""
    from django.db import connection

    return database_url(connection.settings_dict)


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": ""}
