"""Receipt codes we issue: distinct and sequential under concurrent creation; supplied codes are skipped."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from tests.conftest import local


@pytest.mark.django_db
def test_an_issued_code_never_reuses_a_code_supplied_by_other_software(make_dossier):
    make_dossier(code="0162600002")  # a vendor happened to print what would be our second serial
    first = make_dossier()
    second = make_dossier()
    assert (first.code, second.code) == ("0162600001", "0162600003")
    assert make_dossier(received=local(2027, 1, 4, 9, 0)).code == "0162700001"  # a new year restarts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_creations_get_distinct_sequential_serials(province):
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://..."
    procedure = province["guide"]
    barrier = threading.Barrier(20)
    codes: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def create() -> None:
        try:
            barrier.wait(timeout=30)
            dossier = services.create_dossier(
                services.NewDossier(agency=procedure.agency, procedure=procedure,
                                    received_at=local(2026, 11, 23, 9, 0), phone="0912345678"),
                actor="thread",
            )
            with lock:
                codes.append(dossier.code)
        except BaseException as e:  # reported below: a thread must not die silently
            with lock:
                failures.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures, failures
    assert sorted(codes) == [f"01626{n:05d}" for n in range(1, 21)]
    assert Dossier.objects.count() == 20
