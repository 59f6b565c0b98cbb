"""A missed apology day sent on purpose: ``motcua apology-batch --date D --force`` says how many citizens
will receive it, asks, records a late run, and the text keeps the appointment date."""

from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from motcua.dossiers import services
from motcua.messaging.batch import run_apology_batch
from motcua.messaging.models import BatchRun, Message
from tests.conftest import local

pytestmark = pytest.mark.django_db

MISSED_AT = local(2026, 11, 23, 20, 30)  # the service came back after the 20:00 cut-off
NEXT_MORNING = local(2026, 11, 24, 8, 0)


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def missed_day(make_dossier):
    due = [make_dossier(received=local(2026, 11, 20, 9, 0), appointment=local(2026, 11, 24, 16, 0)) for _ in range(2)]
    has_result = make_dossier(received=local(2026, 11, 20, 9, 0), appointment=local(2026, 11, 24, 16, 0))
    services.apply_event(has_result, "result_ready", "test", at=local(2026, 11, 23, 16, 0))
    Message.objects.all().delete()
    with at(MISSED_AT):
        assert run_apology_batch(MISSED_AT).status == "missed"
    assert not Message.objects.filter(kind="apology").exists()
    return due


def late(*args: str, answer: str | None = None) -> str:
    out = StringIO()
    kwargs = {"stdout": out}
    if answer is not None:
        kwargs["stdin"] = Terminal(answer)
    call_command("apology-batch", "--date", "2026-11-23", "--force", *args, **kwargs)
    return out.getvalue()


def test_states_the_count_asks_and_sends_with_the_appointment_date(missed_day):
    with at(NEXT_MORNING):
        out = late(answer="y\n")
    assert "2 citizen(s) will receive the apology" in out and "Send? [y/N]" in out
    apologies = list(Message.objects.filter(kind="apology", status="queued"))
    assert sorted(m.dossier_id for m in apologies) == sorted(d.pk for d in missed_day)
    assert all("chưa có kết quả vào ngày 24/11/2026" in m.text for m in apologies)
    run = BatchRun.objects.get(day="2026-11-23")
    assert (run.status, run.queued, run.worker) == ("late", 2, "cli:late")


def test_answering_no_sends_nothing(missed_day):
    with at(NEXT_MORNING):
        out = late(answer="n\n")
    assert "Not sent." in out
    assert not Message.objects.filter(kind="apology").exists()
    assert BatchRun.objects.get(day="2026-11-23").status == "missed"


def test_scripts_confirm_with_yes_and_a_second_run_sends_nothing_more(missed_day):
    with at(NEXT_MORNING):
        late("--yes")
        with pytest.raises(CommandError, match="đã chạy"):
            late("--yes")
    assert Message.objects.filter(kind="apology").count() == 2


def test_without_a_terminal_it_needs_yes(missed_day, monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO(""))
    with at(NEXT_MORNING), pytest.raises(CommandError, match="--yes"):
        late()
    assert not Message.objects.filter(kind="apology").exists()


def test_sent_at_night_it_waits_for_the_end_of_quiet_hours(missed_day, settings):
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": "21:00-07:00"}
    with at(local(2026, 11, 23, 22, 0)):
        late("--yes")
    assert {m.not_before for m in Message.objects.filter(kind="apology")} == {local(2026, 11, 24, 7, 0)}


def test_refused_once_the_appointment_day_is_past(missed_day):
    with at(local(2026, 11, 25, 9, 0)), pytest.raises(CommandError, match="đã qua"):
        late("--yes")
    assert not Message.objects.filter(kind="apology").exists()


def test_a_day_that_ran_normally_cannot_be_forced_again(make_dossier):
    make_dossier(received=local(2026, 11, 20, 9, 0), appointment=local(2026, 11, 24, 16, 0))
    with at(local(2026, 11, 23, 17, 30)):
        assert run_apology_batch(local(2026, 11, 23, 17, 30)).queued_count == 1
        with pytest.raises(CommandError, match="đã chạy"):
            late("--yes")
    assert Message.objects.filter(kind="apology").count() == 1
