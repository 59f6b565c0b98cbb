"""Vendors' step times and appointments as they really arrive: equal times in a newest-first list, a step
time in an older module's format or unreadable, a year typed wrong (2062 for 2026), an appointment sent as
a bare date. Each variant is in tests/fixtures/payloads; the tests say what the citizen gets."""

from __future__ import annotations

from datetime import date

import pytest

from motcua.dossiers.models import Dossier
from motcua.lookup.public import citizen_view
from tests.conftest import local
from tests.dossiers.conftest import apology_would_go_to, citizen_sms, lookup_reply, payload, post, replay

pytestmark = pytest.mark.django_db

CODE = "000.00.16.H35-261005-0001"
RESULT_TEXT = "(MS: 000.00.16.H35-261005-0001) đã được giải quyết xong"
SUPPLEMENT_TEXT = "(MS: 000.00.16.H35-261005-0001) cần bổ sung theo quy định"
DAY_BEFORE_DUE = date(2026, 10, 11)  # due 12/10: the 17:30 batch of 11/10 would apologise to an open dossier


def kinds(code: str = CODE) -> list[str]:
    return [kind for kind, _ in citizen_sms(code)]


@pytest.mark.parametrize("variant", [
    "newest_first_same_day_steps",
    "newest_first_same_second_steps",
    "oldest_first_same_second_steps",
    "step_time_display_form",
    "unreadable_step_time_after_result",
])
def test_a_result_among_tied_or_oddly_timed_steps_reaches_the_citizen_once_without_apology(client, api_key, variant):
    replay(client, api_key("016"), variant)
    assert Dossier.objects.get(code=CODE).state == "result_ready"
    sms = citizen_sms(CODE)
    assert [k for k, _ in sms] == ["result"] and RESULT_TEXT in sms[0][1]
    assert not apology_would_go_to(CODE, DAY_BEFORE_DUE)
    assert "hiện đang ở bước Trả kết quả" in lookup_reply(CODE)


@pytest.mark.parametrize("variant", ["newest_first_same_day_steps", "newest_first_same_second_steps"])
def test_resending_the_newest_first_record_changes_nothing(client, api_key, variant):
    key = api_key("016")
    replay(client, key, variant)
    again = post(client, key, payload(variant)["sends"][-1])
    assert again["results"][0]["status"] == "unchanged"
    assert kinds() == ["result"]


def test_the_unreadable_step_stays_in_the_history_but_is_not_the_current_step(client, api_key):
    replay(client, api_key("016"), "unreadable_step_time_after_result")
    d = Dossier.objects.get(code=CODE)
    assert d.current_step == "Trả kết quả"


def test_a_step_dated_years_ahead_in_a_record_does_not_swallow_the_next_supplement_request(client, api_key):
    answers = replay(client, api_key("016"), "future_step_in_record_then_supplement")
    assert [a["results"][0]["status"] for a in answers] == ["created", "updated"]
    d = Dossier.objects.get(code=CODE)
    assert d.state == "supplement_requested"
    sms = citizen_sms(CODE)
    assert [k for k, _ in sms] == ["supplement"] and SUPPLEMENT_TEXT in sms[0][1]
    assert not apology_would_go_to(CODE, DAY_BEFORE_DUE)  # the wait is excused, and the citizen knows why
    assert all(e.occurred_at.year == 2026 for e in d.events.all())


def test_a_progress_update_dated_years_ahead_is_refused_and_the_next_one_still_counts(client, api_key):
    answers = replay(client, api_key("016"), "future_progress_then_supplement")
    future = answers[1]["results"][0]
    assert future["status"] == "rejected" and future["errors"][0]["field"] == "ThoiDiemXuLy"
    assert answers[2]["results"][0]["status"] == "updated"
    assert Dossier.objects.get(code=CODE).state == "supplement_requested"
    assert kinds() == ["supplement"]
    assert not apology_would_go_to(CODE, DAY_BEFORE_DUE)


def test_a_date_only_appointment_kept_by_a_result_that_morning_is_on_time(client, api_key):
    replay(client, api_key("016"), "appointment_date_only_result_that_day")
    d = Dossier.objects.get(code=CODE)
    assert d.appointment_at == local(2026, 10, 12, 17, 0)
    assert d.state == "result_ready" and kinds() == ["result"]
    assert "Đúng hạn" in lookup_reply(CODE) and "Trễ hạn" not in lookup_reply(CODE)
    assert d.on_time() == "on_time"


def test_a_date_only_appointment_reads_as_the_end_of_the_working_day(client, api_key):
    replay(client, api_key("016"), "appointment_date_only_no_result")
    d = Dossier.objects.get(code=CODE)
    assert d.appointment_at == local(2026, 10, 12, 17, 0)
    view = citizen_view(d, now=local(2026, 10, 9, 9, 0))
    assert view.appointment == "17:00 12/10/2026" and not view.late
    page = client.get("/tra-cuu", {"code": CODE, "access_code": d.access_code}).content.decode()
    assert "17:00" in page and "00:00 12/10/2026" not in page
    # Still open on the eve of its day, the citizen is told; before the day, never.
    assert apology_would_go_to(CODE, DAY_BEFORE_DUE)
    assert not apology_would_go_to(CODE, date(2026, 10, 9))
