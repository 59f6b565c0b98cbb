"""Operations: /healthz, /metrics, the worker heartbeat, the key=value log format and the retention job."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError, connections
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from motcua.messaging.heartbeat import record_connection_states
from motcua.messaging.models import BatchRun, ConnectionStatus, IncomingMessage, Kind, Message, Status
from motcua.messaging.transports.sim import SimTransport
from motcua.ops.logs import KeyValueFormatter


def motcua_settings(**changes):
    from django.conf import settings

    return override_settings(MOTCUA={**settings.MOTCUA, **changes})


def samples(body: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted label items): value} from a Prometheus text exposition."""
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


class StubTransport(SimTransport):
    """A sim connection whose bind state the test sets, like an SMPP bind that dropped."""

    def __init__(self, name: str, up: bool, error: str = "") -> None:
        super().__init__(name=name)
        self.up, self.error = up, error

    def is_up(self) -> bool:
        return self.up

    def state(self) -> dict:
        return {**super().state(), "last_error": self.error, "bound_since": "2026-11-23T08:00:00+07:00", "tps": 12.5}


# --- /healthz ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_database_and_each_connection_from_worker_heartbeats(client):
    with motcua_settings(SMS_URL="sim://vtl sim://vnp sim://mobi", METRICS_TOKEN="m"):
        record_connection_states("host-a:1", [StubTransport("vtl", True)])
        record_connection_states(
            "host-a:1", [StubTransport("vnp", False, "connection refused")]
        )
        body = client.get("/healthz", headers={"Authorization": "Bearer m"}).json()

    assert body["database"] == "ok"
    by_name = {c["name"]: c for c in body["connections"]}
    assert list(by_name) == ["vtl", "vnp", "mobi"]  # every configured connection, in configured order
    assert by_name["vtl"]["up"] is True and by_name["vtl"]["scheme"] == "sim"
    assert by_name["vtl"]["workers"][0]["bound_since"].startswith("2026-11-23T01:00:00")  # stored in UTC
    assert by_name["vtl"]["workers"][0]["tps"] == 12.5
    assert by_name["vnp"]["up"] is False and by_name["vnp"]["state"] == "down"
    assert by_name["vnp"]["workers"][0]["last_error"] == "connection refused"
    assert by_name["mobi"]["up"] is None and by_name["mobi"]["state"] == "unknown"  # no worker reported it


@pytest.mark.django_db
def test_healthz_marks_a_connection_unknown_when_its_worker_stopped_reporting(client):
    with motcua_settings(SMS_URL="sim://vtl", METRICS_TOKEN="m"):
        record_connection_states(
            "dead:1", [StubTransport("vtl", True)],
            now=timezone.now() - timedelta(seconds=61),
        )
        response = client.get("/healthz", headers={"Authorization": "Bearer m"})
    assert response.status_code == 200
    vtl = response.json()["connections"][0]
    assert vtl["state"] == "unknown" and vtl["up"] is None
    assert vtl["workers"][0]["stale"] is True


@pytest.mark.django_db
def test_healthz_counts_binds_of_several_workers(client):
    with motcua_settings(SMS_URL="sim://vtl", METRICS_TOKEN="m"):
        for worker, up in [("a:1", True), ("b:1", False), ("c:1", True)]:
            record_connection_states(worker, [StubTransport("vtl", up)])
        record_connection_states("b:1", [StubTransport("vtl", False)])  # upsert
        vtl = client.get("/healthz", headers={"Authorization": "Bearer m"}).json()["connections"][0]
    assert (vtl["binds_up"], vtl["binds"], vtl["up"]) == (2, 3, True)
    assert ConnectionStatus.objects.filter(name="vtl").count() == 3


@pytest.mark.django_db
def test_heartbeat_rows_of_workers_gone_for_a_day_are_forgotten():
    record_connection_states("old:1", [SimTransport("vtl")], now=timezone.now() - timedelta(days=2))
    record_connection_states("new:1", [SimTransport("vtl")])
    assert list(ConnectionStatus.objects.values_list("worker", flat=True)) == ["new:1"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(client):
    with motcua_settings(METRICS_TOKEN="m"), mock.patch.object(
        connections["default"], "cursor", side_effect=OperationalError("server closed")
    ):
        response = client.get("/healthz", headers={"Authorization": "Bearer m"})
    assert response.status_code == 503
    assert response.json()["database"] == "error"
    assert all(c["state"] == "unknown" for c in response.json()["connections"])


@pytest.mark.django_db
def test_worker_heartbeat_records_a_transport_whose_state_method_fails():
    class Broken(SimTransport):
        def state(self) -> dict:
            raise RuntimeError("boom")

    assert record_connection_states("w", [Broken("x")]) == 1
    row = ConnectionStatus.objects.get(name="x")
    assert row.up is False and "boom" in row.last_error


# --- /metrics ----------------------------------------------------------------------------------


def make_message(cause: str, **kw) -> Message:
    kw.setdefault("kind", Kind.RESULT)
    kw.setdefault("to", "84912345678")
    kw.setdefault("text", "x")
    kw.setdefault("parts", 1)
    return Message.objects.create(cause=cause, **kw)


@pytest.mark.django_db
def test_metrics_expose_queue_latency_binds_mo_and_batches(client):
    now = timezone.now()
    for i in range(3):
        make_message(f"q{i}", status=Status.QUEUED, not_before=now - timedelta(minutes=10 + i))
    make_message("held", status=Status.QUEUED, not_before=now + timedelta(hours=8))  # quiet hours
    make_message("fast", status=Status.DELIVERED, created_at=now - timedelta(seconds=30), sent_at=now - timedelta(seconds=29.5), parts=2)
    make_message("slow", status=Status.SENT, created_at=now - timedelta(minutes=20), sent_at=now - timedelta(minutes=10))
    make_message("old", status=Status.DELIVERED, created_at=now - timedelta(hours=5), sent_at=now - timedelta(hours=4))
    make_message("apo", kind=Kind.APOLOGY, status=Status.SKIPPED, to="", text="")
    IncomingMessage.objects.create(connection="vtl", sender="84912345678", recipient="8083", text="MCKH 1", price=1000, outcome="answered")
    IncomingMessage.objects.create(connection="vtl", sender="84912345678", recipient="8083", text="?", price=1000, outcome="bad_syntax")
    BatchRun.objects.create(day=now.date(), status="done", queued=7, skipped=2, finished_at=now)
    with motcua_settings(SMS_URL="sim://vtl sim://vnp"):
        record_connection_states("a:1", [StubTransport("vtl", True)])
        response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    m = samples(response.content.decode())
    assert m[("motcua_database_up", ())] == 1
    assert m[("motcua_messages", (("kind", "result"), ("status", "queued")))] == 4
    assert m[("motcua_messages", (("kind", "result"), ("status", "delivered")))] == 2
    assert m[("motcua_messages", (("kind", "apology"), ("status", "skipped")))] == 1
    assert m[("motcua_messages", (("kind", "lookup_reply"), ("status", "failed")))] == 0  # every pair present
    assert m[("motcua_message_parts", (("status", "delivered"),))] == 3
    assert m[("motcua_queue_depth", ())] == 4
    assert m[("motcua_queue_due", ())] == 3
    assert 12 * 60 - 5 < m[("motcua_queue_oldest_due_age_seconds", ())] < 12 * 60 + 60
    # Last hour only: "fast" (0.5 s) and "slow" (600 s); "old" was sent 4 hours ago.
    assert m[("motcua_send_latency_seconds_bucket", (("le", "1.0"),))] == 1
    assert m[("motcua_send_latency_seconds_bucket", (("le", "300.0"),))] == 1
    assert m[("motcua_send_latency_seconds_bucket", (("le", "900.0"),))] == 2
    assert m[("motcua_send_latency_seconds_gcount", ())] == 2
    assert m[("motcua_send_latency_seconds_gsum", ())] == pytest.approx(600.5, abs=0.01)
    assert m[("motcua_binds_up", (("connection", "vtl"),))] == 1
    assert m[("motcua_binds_up", (("connection", "vnp"),))] == 0  # configured, never reported
    assert m[("motcua_mo_messages", (("outcome", "answered"),))] == 1
    assert m[("motcua_mo_charged_vnd", (("outcome", "bad_syntax"),))] == 1000
    assert m[("motcua_batch_runs", (("status", "done"),))] == 1
    assert m[("motcua_batch_last_messages", (("outcome", "queued"),))] == 7


@pytest.mark.django_db
def test_metrics_say_database_down_instead_of_failing(client):
    with mock.patch("motcua.ops.metrics.Message.objects.order_by", side_effect=OperationalError("gone")):
        response = client.get("/metrics")
    assert response.status_code == 200
    assert samples(response.content.decode()) == {("motcua_database_up", ()): 0}


@pytest.mark.django_db
def test_metrics_token_when_configured(client):
    with motcua_settings(METRICS_TOKEN="s3cret"):
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


# --- structured logs ---------------------------------------------------------------------------


def test_key_value_formatter_puts_ids_from_extra_first_and_quotes_what_needs_it():
    record = logging.LogRecord("motcua.messaging.worker", logging.WARNING, __file__, 1, "failed on %s", ("vtl",), None)
    record.__dict__.update({"zeta": 'say "hi"\nnow', "message_id": 42, "connection": "vtl"})
    line = KeyValueFormatter().format(record)
    assert " level=WARNING logger=motcua.messaging.worker " in line
    assert line.index("message_id=42") < line.index("connection=vtl") < line.index("zeta=")
    assert 'msg="failed on vtl"' in line
    assert 'zeta="say \\"hi\\"\\nnow"' in line
    assert "\n" not in line


def test_key_value_formatter_keeps_a_traceback_on_one_line():
    try:
        raise ValueError("bad pdu")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "oops", (), sys.exc_info())
    line = KeyValueFormatter().format(record)
    assert "\n" not in line and "exc=\"Traceback" in line and "ValueError: bad pdu" in line


# --- retention ---------------------------------------------------------------------------------


@pytest.fixture
def aged(make_dossier):
    """Data on both sides of a 365-day retention period."""
    now = timezone.now()
    old_done = make_dossier(phone="0912345678", code="OLD-DONE")
    recent_done = make_dossier(phone="0987654321", code="RECENT-DONE")
    old_open = make_dossier(phone="0911111111", code="OLD-OPEN")
    from motcua.dossiers.models import Dossier

    Dossier.objects.filter(pk=old_done.pk).update(state="returned", finished_at=now - timedelta(days=400))
    Dossier.objects.filter(pk=recent_done.pk).update(state="returned", finished_at=now - timedelta(days=30))
    Dossier.objects.filter(pk=old_open.pk).update(received_at=now - timedelta(days=500))
    for i in range(5):
        make_message(f"old-final-{i}", status=Status.DELIVERED, final_at=now - timedelta(days=400), cost=1600, parts=2, encoding="ucs2")
    make_message("old-queued", status=Status.QUEUED, created_at=now - timedelta(days=400))
    make_message("recent-final", status=Status.DELIVERED, final_at=now - timedelta(days=3))
    IncomingMessage.objects.create(connection="vtl", sender="84912345678", recipient="8083", text="MCKH OLD", price=1000,
                                   outcome="answered", received_at=now - timedelta(days=400))
    IncomingMessage.objects.create(connection="vtl", sender="84987654321", recipient="8083", text="MCKH NEW", price=1000,
                                   outcome="answered", received_at=now - timedelta(days=2))
    return {"old_done": old_done, "recent_done": recent_done, "old_open": old_open}


@pytest.mark.django_db
def test_retention_blanks_personal_data_after_the_period_and_keeps_statistics(aged):
    from motcua.dossiers.models import Dossier

    cost_before = sum(Message.objects.values_list("cost", flat=True))
    out = io.StringIO()
    with motcua_settings(RETENTION_DAYS=365):
        call_command("retention", "--batch-size", "2", stdout=out)  # small batches: the loop must go round
    assert "dossiers=1 messages=5 incoming=1" in out.getvalue()

    old = Dossier.objects.get(pk=aged["old_done"].pk)
    assert (old.applicant, old.phone, old.phone_raw) == ("", "", "")
    assert (old.code, old.state) == ("OLD-DONE", "returned")
    assert Dossier.objects.get(pk=aged["recent_done"].pk).phone == "0987654321"
    assert Dossier.objects.get(pk=aged["old_open"].pk).applicant == "Nguyễn Văn An"  # still being handled

    cleared = Message.objects.filter(cause__startswith="old-final")
    assert set(cleared.values_list("to", "text")) == {("", "")}
    assert set(cleared.values_list("status", "kind", "parts", "cost", "encoding")) == {("delivered", "result", 2, 1600, "ucs2")}
    assert Message.objects.get(cause="old-queued").to == "84912345678"  # not final: may still be sent
    assert Message.objects.get(cause="recent-final").text == "x"
    assert sum(Message.objects.values_list("cost", flat=True)) == cost_before

    mo = IncomingMessage.objects.order_by("received_at")
    assert [(m.sender, m.text) for m in mo] == [("", ""), ("84987654321", "MCKH NEW")]
    assert [(m.price, m.outcome, m.recipient, m.connection) for m in mo][0] == (1000, "answered", "8083", "vtl")

    out = io.StringIO()
    call_command("retention", "--days", "365", stdout=out)  # a second run finds nothing left
    assert "dossiers=0 messages=0 incoming=0" in out.getvalue()


@pytest.mark.django_db
def test_retention_dry_run_counts_and_changes_nothing(aged):
    out = io.StringIO()
    call_command("retention", "--days", "10", "--dry-run", stdout=out)
    assert "would blank dossiers=2 messages=5 incoming=1" in out.getvalue()
    assert "nothing changed" in out.getvalue()
    assert not Message.objects.filter(to="").exclude(status=Status.SKIPPED).exists()
    assert IncomingMessage.objects.filter(sender="").count() == 0


@pytest.mark.django_db
def test_retention_default_period_is_one_year(aged):
    from django.conf import settings

    out = io.StringIO()
    with override_settings(MOTCUA={k: v for k, v in settings.MOTCUA.items() if k != "RETENTION_DAYS"}):
        call_command("retention", stdout=out)
    assert out.getvalue().startswith("retention 365 days")
    assert "dossiers=1 " in out.getvalue()
