"""Several workers at once on PostgreSQL: every message sent exactly once, the batch run once a day.

Real threads with their own database connections (``transaction=True``: nothing is hidden in a test
transaction), each worker with its own simulator so sends can be counted per message id.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection

from motcua.messaging.batch import maybe_run_daily_batch, run_apology_batch
from motcua.messaging.connections import Router
from motcua.messaging.models import BatchRun, Message
from motcua.messaging.worker import Worker
from tests.conftest import local
from tests.integration.test_worker import RecordingSim

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = local(2026, 11, 24, 10, 0)


def bulk_queue(n: int) -> list[int]:
    Message.objects.bulk_create(
        [
            Message(kind="lookup_reply", cause=f"load:{i}", to=f"849{i:08d}", text="Xin chao", encoding="gsm",
                    parts=1, not_before=T0, created_at=T0)
            for i in range(n)
        ],
        batch_size=2000,
    )
    return list(Message.objects.values_list("id", flat=True))


def in_threads(*jobs: Callable[[], object]) -> list[object]:
    """Run the jobs at the same moment, each in its own thread with its own connection; re-raise failures."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = job()
        except BaseException as e:  # reported to the test below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    if errors:
        raise errors[0]
    return results


def drain(worker: Worker) -> Callable[[], int]:
    def job() -> int:
        worker.start()
        worker.housekeeping()
        ticks = 0
        while worker.tick():
            ticks += 1
        return ticks

    return job


def make_worker(name: str, now=T0, batch_size: int = 200) -> tuple[Worker, RecordingSim]:
    sim = RecordingSim(name="sim")
    sim.batch_size = batch_size
    return Worker(router=Router([sim]), name=name, clock=lambda: now, run_batch=False), sim


def test_two_workers_drain_5000_messages_each_sent_exactly_once():
    ids = bulk_queue(5000)
    (a, sim_a), (b, sim_b) = make_worker("a"), make_worker("b")
    in_threads(drain(a), drain(b))
    sends = sim_a.sends + sim_b.sends
    assert sends == Counter({pk: 1 for pk in ids})  # every message once, none twice
    assert sum(sim_a.sends.values()) > 0 and sum(sim_b.sends.values()) > 0  # both did some of the work
    assert Counter(Message.objects.values_list("status", flat=True)) == Counter({"delivered": 5000})


def test_worker_killed_mid_batch_then_two_new_workers_lose_nothing():
    ids = bulk_queue(2000)
    dead, dead_sim = make_worker("dead", batch_size=500)
    assert len(dead.claim()) == 500  # kill -9 right after the claim: nothing sent, nothing recorded
    del dead
    later = T0 + timedelta(seconds=settings.MOTCUA["STUCK_AFTER"] + 1)
    (a, sim_a), (b, sim_b) = make_worker("a", later), make_worker("b", later)
    in_threads(drain(a), drain(b))
    assert dead_sim.sends == Counter()
    assert sim_a.sends + sim_b.sends == Counter({pk: 1 for pk in ids})
    assert Counter(Message.objects.values_list("status", flat=True)) == Counter({"delivered": 2000})


def test_batch_run_by_two_workers_at_1730_queues_once(make_dossier):
    dossiers = [
        make_dossier(code=f"01626{i:05d}", received=local(2026, 11, 20, 9, 0), appointment=local(2026, 11, 24, 16, 0))
        for i in range(30)
    ]
    at = local(2026, 11, 23, 17, 30)
    reports = in_threads(lambda: maybe_run_daily_batch(at, worker="a"), lambda: maybe_run_daily_batch(at, worker="b"))
    statuses = sorted(r.status if r else "none" for r in reports)
    assert statuses in (["already", "done"], ["done", "none"])
    apologies = Counter(Message.objects.filter(kind="apology").values_list("dossier_id", flat=True))
    assert apologies == Counter({d.pk: 1 for d in dossiers})
    run = BatchRun.objects.get()
    assert (run.status, run.queued) == ("done", 30)


def test_explicit_batch_runs_racing_queue_once(make_dossier):
    dossier = make_dossier(received=local(2026, 11, 20, 9, 0), appointment=local(2026, 11, 24, 8, 0))
    at = local(2026, 11, 23, 17, 30)
    reports = in_threads(*[lambda: run_apology_batch(at)] * 4)
    assert sorted(r.status for r in reports) == ["already", "already", "already", "done"]
    assert Message.objects.filter(kind="apology", dossier=dossier).count() == 1
