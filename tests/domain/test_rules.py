"""The rules of the automatic SMS as pure functions: which state change causes which message, and why not."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from motcua.domain import rules
from motcua.domain.states import DossierState as S

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DUE = date(2026, 11, 24)


def facts(state: S = S.PROCESSING, same_day: bool = False, phone_problem: str | None = None, due: date = DUE):
    return rules.DossierFacts(state=state, same_day=same_day, phone_problem=phone_problem, appointment_date=due)


# --- state changes ---------------------------------------------------------------------------


def test_reaching_result_ready_sends_the_result_message():
    assert rules.on_transition(S.PROCESSING, S.RESULT_READY, facts(S.RESULT_READY)) == rules.Decision("result", True)


def test_supplement_request_sends_the_supplement_message():
    decision = rules.on_transition(S.PROCESSING, S.SUPPLEMENT_REQUESTED, facts(S.SUPPLEMENT_REQUESTED))
    assert decision == rules.Decision("supplement", True)


def test_straight_to_returned_without_result_ready_is_a_skipped_result_with_its_reason():
    decision = rules.on_transition(S.PROCESSING, S.RETURNED, facts(S.RETURNED))
    assert decision == rules.Decision("result", False, rules.ALREADY_RETURNED)


def test_returned_after_result_ready_causes_nothing():
    assert rules.on_transition(S.RESULT_READY, S.RETURNED, facts(S.RETURNED)) is None


@pytest.mark.parametrize("after", [S.PROCESSING, S.RECEIVED, S.AWAITING_PAYMENT, S.WITHDRAWN, S.STOPPED, S.REJECTED])
def test_other_changes_cause_no_message(after):
    assert rules.on_transition(S.RECEIVED, after, facts(after)) is None


def test_no_change_causes_nothing():
    assert rules.on_transition(S.RESULT_READY, S.RESULT_READY, facts(S.RESULT_READY)) is None


@pytest.mark.parametrize("after,kind", [(S.RESULT_READY, "result"), (S.SUPPLEMENT_REQUESTED, "supplement")])
def test_same_day_procedures_never_get_a_message(after, kind):
    assert rules.on_transition(S.PROCESSING, after, facts(after, same_day=True)) == rules.Decision(
        kind, False, rules.SAME_DAY
    )


@pytest.mark.parametrize("problem", [rules.NO_PHONE, f"{rules.BAD_PHONE}: không phải số di động"])
def test_no_valid_phone_skips_with_the_phone_problem_as_reason(problem):
    decision = rules.on_transition(S.PROCESSING, S.RESULT_READY, facts(S.RESULT_READY, phone_problem=problem))
    assert decision == rules.Decision("result", False, problem)


# --- the 17:30 apology -----------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.REGISTERED, S.RECEIVED, S.PROCESSING, S.AWAITING_PAYMENT])
def test_apology_for_an_open_dossier_due_tomorrow(state):
    assert rules.apology_decision(facts(state), date(2026, 11, 23)) == rules.Decision("apology", True)


@pytest.mark.parametrize("due", [date(2026, 11, 23), date(2026, 11, 25), date(2026, 12, 24)])
def test_no_apology_unless_due_the_next_calendar_day(due):
    assert rules.apology_decision(facts(due=due), date(2026, 11, 23)) is None


def test_apology_crosses_month_and_year_ends():
    assert rules.apology_decision(facts(due=date(2027, 1, 1)), date(2026, 12, 31)).send


@pytest.mark.parametrize("state", [S.RESULT_READY, S.RETURNED])
def test_no_apology_once_the_result_is_there(state):
    assert rules.apology_decision(facts(state), date(2026, 11, 23)) is None


def test_waiting_for_the_citizen_gets_no_apology_and_says_why():
    decision = rules.apology_decision(facts(S.SUPPLEMENT_REQUESTED), date(2026, 11, 23))
    assert decision == rules.Decision("apology", False, rules.WAITING_CITIZEN)


@pytest.mark.parametrize("state", [S.WITHDRAWN, S.STOPPED, S.REJECTED])
def test_closed_dossiers_get_no_apology_and_say_why(state):
    assert rules.apology_decision(facts(state), date(2026, 11, 23)) == rules.Decision("apology", False, rules.CLOSED)


def test_apology_same_day_and_phone_reasons():
    batch = date(2026, 11, 23)
    assert rules.apology_decision(facts(same_day=True), batch).reason == rules.SAME_DAY
    assert rules.apology_decision(facts(phone_problem=rules.NO_PHONE), batch).reason == rules.NO_PHONE


# --- quiet hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "at,expected",
    [
        (datetime(2026, 11, 23, 22, 0, tzinfo=TZ), datetime(2026, 11, 24, 7, 0, tzinfo=TZ)),
        (datetime(2026, 11, 23, 21, 0, tzinfo=TZ), datetime(2026, 11, 24, 7, 0, tzinfo=TZ)),
        (datetime(2026, 11, 24, 3, 15, tzinfo=TZ), datetime(2026, 11, 24, 7, 0, tzinfo=TZ)),
        (datetime(2026, 12, 31, 23, 59, tzinfo=TZ), datetime(2027, 1, 1, 7, 0, tzinfo=TZ)),
    ],
)
def test_a_message_created_in_quiet_hours_waits_until_they_end(at, expected):
    assert rules.quiet_hours_end(at, "21:00-07:00") == expected


@pytest.mark.parametrize("hour,minute", [(7, 0), (12, 0), (17, 30), (20, 59)])
def test_outside_quiet_hours_no_wait(hour, minute):
    assert rules.quiet_hours_end(datetime(2026, 11, 23, hour, minute, tzinfo=TZ), "21:00-07:00") is None


def test_quiet_hours_not_spanning_midnight_and_disabled():
    at = datetime(2026, 11, 23, 12, 30, tzinfo=TZ)
    assert rules.quiet_hours_end(at, "12:00-13:30") == datetime(2026, 11, 23, 13, 30, tzinfo=TZ)
    assert rules.quiet_hours_end(at, "") is None
    assert rules.parse_hhmm(" 07:05 ") == time(7, 5)
