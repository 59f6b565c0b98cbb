"""Threat: a forged /sms/dlr marks a citizen's SMS undelivered, holds a web thread, or undoes the genuine
report. Reports are only stored by the web (never waited for), applied by the worker, never move a final
message, and name ids nobody can guess."""

from __future__ import annotations

import re
import time

import pytest
from django.utils import timezone

from motcua.messaging import outbox
from motcua.messaging.connections import Router
from motcua.messaging.models import GatewayReport, Kind, Message, MessagePart
from motcua.messaging.transports.kannel import KannelTransport, dlr_callback_url, make_remote_id
from motcua.messaging.worker import Worker
from tests.integration.test_worker import Clock
from tests.security.conftest import TOKEN


def sent_message(cause: str) -> tuple[Message, str]:
    message = outbox.build_message(kind=Kind.RESULT, cause=cause, agency=None, to="84912345678", text="TB: xong")
    message.save()
    remote_id = make_remote_id(message.pk)
    Message.objects.filter(pk=message.pk).update(status="sent", connection="kannel")
    MessagePart.objects.create(message=message, connection="kannel", remote_id=remote_id)
    return message, remote_id


def worker(clock: Clock | None = None) -> Worker:
    return Worker(router=Router([KannelTransport.from_url("kannel://u:p@127.0.0.1:9")]), run_batch=False,
                  clock=clock or Clock(timezone.now()))


def status(message: Message) -> str:
    return Message.objects.get(pk=message.pk).status


def dlr(client, remote_id: str, kannel_type: int):
    return client.get("/sms/dlr", {"id": remote_id, "status": str(kannel_type), "conn": "kannel", "token": TOKEN})


@pytest.mark.django_db
def test_a_report_never_waits_in_the_request_even_for_a_message_not_stored_yet(client, gateway, province, monkeypatch):
    def no_waiting(seconds):
        raise AssertionError("the request waited")

    monkeypatch.setattr(time, "sleep", no_waiting)
    early_id = "k999-" + "a" * 32
    response = dlr(client, early_id, 1)
    assert response.status_code == 200 and GatewayReport.objects.count() == 1
    # the message is stored afterwards; the worker applies the report it kept
    message = outbox.build_message(kind=Kind.RESULT, cause="late", agency=None, to="84912345678", text="TB")
    message.save()
    Message.objects.filter(pk=message.pk).update(status="sent", connection="kannel")
    MessagePart.objects.create(message=message, connection="kannel", remote_id=early_id)
    clock = Clock(timezone.now())
    w = worker(clock)
    clock.advance(seconds=1)
    w.process_reports()
    assert status(message) == "delivered" and not GatewayReport.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("genuine", "forged", "final"), [(1, 2, "delivered"), (2, 1, "undelivered"), (16, 1, "undelivered")])
def test_a_later_report_never_moves_a_final_message_back(client, gateway, province, genuine, forged, final):
    message, remote_id = sent_message(f"final-{genuine}")
    w = worker()
    dlr(client, remote_id, genuine)
    w.process_reports()
    assert status(message) == final
    assert dlr(client, remote_id, forged).status_code == 200  # acknowledged, so Kannel does not retry
    w.process_reports()
    assert status(message) == final


@pytest.mark.django_db
def test_a_report_for_a_guessed_id_changes_nothing(client, gateway, province):
    message, remote_id = sent_message("guess")
    w = worker()
    for guess in (f"k{message.pk}", f"k{message.pk}-" + "0" * 32, f"k{message.pk}-" + remote_id[-32:][::-1]):
        dlr(client, guess, 2)
    w.process_reports()
    assert status(message) == "sent"
    dlr(client, remote_id, 1)
    w.process_reports()
    assert status(message) == "delivered"


def test_kannel_ids_carry_128_random_bits_and_the_dlr_url_carries_the_token():
    ids = {make_remote_id(42) for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"k42-[0-9a-f]{32}", i) for i in ids)
    url = dlr_callback_url("https://motcua.example.gov.vn/sms/dlr", make_remote_id(7), "kannel", TOKEN)
    assert f"token={TOKEN}" in url and re.search(r"id=k7-[0-9a-f]{32}&", url)
