"""``MCKH <code>`` to 8083 through the one MO code path (handle_incoming): recorded once, answered once,
with the exact reply text of the notice or a helpful Vietnamese hint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from motcua.domain.smstext import count_parts
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import IncomingMessage, Message
from motcua.messaging.transports.base import IncomingSMS

CODE, CODE2, NATIONAL, RETIRED = "0161701234", "0101701234", "G09.20-20260609-0092637", "0502600001"


def on_time_reply(code: str, step: str = "Tiếp nhận hồ sơ") -> str:
    return f"Hồ sơ của quý Ông/Bà ({code}) hiện đang ở bước {step}, trạng thái hồ sơ: Đúng hạn."


def late_reply(code: str, step: str = "Tiếp nhận hồ sơ") -> str:
    return f"Hồ sơ của quý Ông/Bà ({code}) hiện đang ở bước {step}, trạng thái hồ sơ: Trễ hạn."


SYNTAX_HELP = "Sai cú pháp. Để tra cứu hồ sơ, soạn: MCKH <Mã số biên nhận> gửi 8083. Ví dụ: MCKH {example}"
NO_CODE_HELP = "Thiếu mã số biên nhận. Soạn: MCKH <Mã số biên nhận> gửi 8083. Mã số in trên Giấy tiếp nhận hồ sơ."
UNKNOWN_HELP = "Không tìm thấy hồ sơ {code}. Vui lòng kiểm tra lại mã số trên Giấy tiếp nhận hồ sơ."

_ids = iter(range(1, 10**9))


def send(text: str, recipient: str = "8083", remote_id: str | None = None, connection: str = "sim"):
    return handle_incoming(
        IncomingSMS(
            sender="0912345678",
            recipient=recipient,
            text=text,
            connection=connection,
            remote_id=remote_id if remote_id is not None else f"mo-{next(_ids)}",
        )
    )


@pytest.fixture
def dossiers(make_dossier):
    """On time (appointment ahead), late (appointment passed), a national code, a retired agency's."""
    now = timezone.now()
    soon = now + timedelta(days=10)
    ago = now - timedelta(days=30)
    return {
        CODE: make_dossier(code=CODE, received=now - timedelta(days=1), appointment=soon),
        CODE2: make_dossier("press", code=CODE2, received=ago, appointment=ago + timedelta(days=7)),
        NATIONAL: make_dossier(code=NATIONAL, received=now - timedelta(days=1), appointment=soon),
        RETIRED: make_dossier("old", code=RETIRED, received=now - timedelta(days=1), appointment=soon),
    }


@pytest.mark.parametrize(
    "text",
    [
        "MCKH 0161701234",
        "mckh 0161701234",
        "Mckh 0161701234",
        "MCKH_0161701234",
        "MCKH0161701234",
        "  MCKH    0161701234  ",
        "MCKH\n0161701234",
        "MCKH 016 170 1234",
        "MCKH 016.17.01234",
        "MCKH 016-17-01234",
        "MCKH ０１６１７０１２３４",  # full-width digits from the phone's keyboard
        "ＭＣＫＨ　0161701234",  # full-width keyword and ideographic space
        "MCKH O161701234",  # letter O for zero
        "MCKH: 0161701234",
        "mckh 0161701234 ạ",  # a trailing Vietnamese word
        "MCKH 0161701234 0161701234",  # the same code twice: answered once
    ],
)
def test_every_way_of_writing_the_code_gets_the_exact_reply(dossiers, text):
    answer = send(text)

    assert answer.reply.text == on_time_reply(CODE)
    assert answer.incoming.outcome == "answered"
    assert answer.reply.kind == "lookup_reply"
    assert answer.reply.preferred_connection == "sim"  # back the way it came
    assert answer.incoming.price == 1000


def test_late_dossier_is_reported_late(dossiers):
    assert send("MCKH 0101701234").reply.text == late_reply(CODE2)


def test_reply_shows_the_current_step_after_a_step_change(dossiers):
    from motcua.dossiers import services

    services.apply_event(dossiers[CODE], "step_changed", actor="test", step="Thẩm định hồ sơ")

    assert send("MCKH 0161701234").reply.text == on_time_reply(CODE, "Thẩm định hồ sơ")


def test_finished_late_dossier_stays_late_and_shows_result_step(dossiers):
    from motcua.dossiers import services

    services.apply_event(dossiers[CODE2], "result_ready", actor="test")

    assert send("MCKH 0101701234").reply.text == late_reply(CODE2, "Trả kết quả")


@pytest.mark.parametrize(
    "text", ["MCKH G09.20-20260609-0092637", "mckh g09.20-20260609-0092637", "MCKH G09.20 - 20260609 - 0092637"]
)
def test_national_code_found_as_stored(dossiers, text):
    assert send(text).reply.text == on_time_reply(NATIONAL)


def test_code_of_a_retired_agency_still_resolves(dossiers):
    assert dossiers[RETIRED].agency.successor is not None
    assert send(f"MCKH {RETIRED}").reply.text == on_time_reply(RETIRED)


def test_several_codes_are_answered_in_one_reply(dossiers):
    answer = send("MCKH 0161701234, 0101701234")

    assert answer.reply.text == f"{on_time_reply(CODE)} {late_reply(CODE2)}"
    assert answer.incoming.outcome == "answered"
    assert Message.objects.count() == 1


def test_a_known_and_an_unknown_code(dossiers):
    answer = send("MCKH 0161701234 0169999999")

    assert answer.reply.text == f"{on_time_reply(CODE)} {UNKNOWN_HELP.format(code='0169999999')}"
    assert answer.incoming.outcome == "answered"


def test_too_many_codes_are_cut_at_three_parts_with_a_note(make_dossier):
    now = timezone.now()
    codes = [f"01617{n:05d}" for n in range(1, 7)]
    for code in codes:
        make_dossier(code=code, received=now - timedelta(days=1), appointment=now + timedelta(days=9))

    text = send("MCKH " + " ".join(codes)).reply.text

    assert text.startswith(on_time_reply(codes[0]))
    assert count_parts(text, "ucs2").parts <= 3
    assert text.endswith("Các mã còn lại chưa được trả lời, vui lòng soạn riêng từng mã: MCKH <Mã số> gửi 8083.")
    assert codes[5] not in text


def test_the_limit_is_a_setting(make_dossier, settings):
    settings.MOTCUA = {**settings.MOTCUA, "MO_REPLY_MAX_PARTS": 6}
    now = timezone.now()
    codes = [f"01617{n:05d}" for n in range(1, 4)]
    for code in codes:
        make_dossier(code=code, received=now - timedelta(days=1), appointment=now + timedelta(days=9))

    text = send("MCKH " + " ".join(codes)).reply.text

    assert text == " ".join(on_time_reply(c) for c in codes)


def test_codes_only_are_looked_up(dossiers):
    answer = send("0161701234")
    assert answer.reply.text == on_time_reply(CODE)
    assert answer.incoming.outcome == "answered"


@pytest.mark.parametrize(
    ("text", "outcome", "reply"),
    [
        ("MCKH 0169999999", "unknown_code", UNKNOWN_HELP.format(code="0169999999")),
        ("MCKH 016 999 9999", "unknown_code", UNKNOWN_HELP.format(code="0169999999")),
        ("MCKH", "no_code", NO_CODE_HELP),
        ("mckh   ", "no_code", NO_CODE_HELP),
        ("MCKH abc", "no_code", NO_CODE_HELP),
        ("TC 0161701234", "bad_syntax", SYNTAX_HELP.format(example=CODE)),
        ("tra cứu hồ sơ", "bad_syntax", SYNTAX_HELP.format(example="0161701234")),
        ("", "bad_syntax", SYNTAX_HELP.format(example="0161701234")),
        ("   ", "bad_syntax", SYNTAX_HELP.format(example="0161701234")),
        ("Xin chào", "bad_syntax", SYNTAX_HELP.format(example="0161701234")),
    ],
)
def test_mistakes_get_a_helpful_reply(dossiers, text, outcome, reply):
    answer = send(text)

    assert answer.incoming.outcome == outcome
    assert answer.reply.text == reply
    assert answer.incoming.price == 1000  # charged all the same: hence the helpful reply


def test_help_texts_keyword_and_short_code_are_settings(dossiers, settings):
    settings.MOTCUA = {
        **settings.MOTCUA,
        "KEYWORD": "TCHS",
        "SHORT_CODE": "8183",
        "MO_PRICE": 1500,
        "MO_HELP_NO_CODE": "Thiếu mã. Soạn {keyword} <mã> gửi {short_code} {unknown_field}",
    }

    assert send("TCHS 0161701234", recipient="8183").reply.text == on_time_reply(CODE)
    answer = send("TCHS", recipient="8183")
    assert answer.reply.text == "Thiếu mã. Soạn TCHS <mã> gửi 8183 {unknown_field}"
    assert answer.incoming.price == 1500
    assert send("MCKH", recipient="8183").reply.text.startswith("Sai cú pháp. Để tra cứu hồ sơ, soạn: TCHS")


def test_no_personal_data_in_any_reply(dossiers):
    for text in ("MCKH 0161701234", "MCKH 0101701234 0161701234", "MCKH 0169999999"):
        reply = send(text).reply.text
        assert "Nguyễn" not in reply
        assert "0912345678" not in reply and "912345678" not in reply


def test_redelivered_mo_is_recorded_and_answered_once(dossiers):
    first = send("MCKH 0161701234", remote_id="telco-42")
    again = send("MCKH 0161701234", remote_id="telco-42")

    assert not first.duplicate and again.duplicate
    assert again.incoming.pk == first.incoming.pk and again.reply.pk == first.reply.pk
    assert IncomingMessage.objects.count() == 1
    assert Message.objects.filter(kind="lookup_reply").count() == 1
    # the same telco id on another connection is another message
    assert not send("MCKH 0161701234", remote_id="telco-42", connection="other").duplicate


def test_mo_to_another_number_is_recorded_free(dossiers):
    assert send("MCKH 0161701234", recipient="8000").incoming.price == 0


def test_lookup_is_one_query_for_all_codes(dossiers, django_assert_max_num_queries):
    from motcua.lookup.replies import find_dossiers

    with django_assert_max_num_queries(1):
        found = find_dossiers(["0161701234", "016.17.01234", "g09.20-20260609-0092637", "0169999999"])
    assert set(found) == {CODE, NATIONAL}


def test_sms_answer_reads_the_database_once(dossiers, django_assert_max_num_queries):
    # Everything the paid path uses, down to the agency's own template and the reply's encoding, comes
    # from that one read.
    from motcua.lookup.replies import answer_text
    from motcua.messaging.outbox import build_message

    with django_assert_max_num_queries(1):
        answer = answer_text(f"MCKH {CODE} {CODE2}")
        reply = build_message(kind="lookup_reply", cause="c", agency=answer.agency, to="84912345678", text=answer.text)
    assert reply.text == f"{on_time_reply(CODE)} {late_reply(CODE2)}"
    assert [d.agency.code for d in answer.dossiers] == [dossiers[CODE].agency.code, dossiers[CODE2].agency.code]


# NUL is left out here: PostgreSQL refuses it in a text column, and recording the MO (messaging.inbound)
# must strip it first. answer_text itself copes with it (next test).
_NO_NUL = st.characters(blacklist_characters="\x00")


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(_NO_NUL, max_size=200)
    | st.from_regex(r"(?i)m ?c ?k ?h[ _.-]*[0-9 .\-]{0,30}", fullmatch=True)
)
@example(text="MCKH \ud800 0161701234")  # a lone surrogate has no UTF-8 form: found by this test on PostgreSQL
def test_any_text_gets_a_reply(dossiers, text):
    answer = send(text)
    assert answer.reply.text.strip()
    assert answer.incoming.outcome in {"answered", "unknown_code", "bad_syntax", "no_code"}


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200) | st.from_regex(r"MCKH ?[0-9\x00 ]{0,20}", fullmatch=True))
def test_answer_text_copes_with_any_text_including_nul(dossiers, text):
    from motcua.lookup.replies import answer_text

    reply = answer_text(text)
    assert reply.text.strip() and "\x00" not in reply.text
    assert reply.outcome in {"answered", "unknown_code", "bad_syntax", "no_code"}


def test_agency_lookup_template_is_used(dossiers, province):
    from motcua.messaging.models import Template

    Template.objects.create(
        agency=province["016"],
        kind="lookup_reply",
        text="MS {Mã số biên nhận}: bước {Tên bước giải quyết hiện tại}, {Đúng hạn/Trễ hạn}, hẹn {Ngày hẹn trả}.",
    )
    appointment = timezone.localtime(dossiers[CODE].appointment_at).strftime("%d/%m/%Y")

    assert send("MCKH 0161701234").reply.text == f"MS {CODE}: bước Tiếp nhận hồ sơ, Đúng hạn, hẹn {appointment}."
    assert send("MCKH 0101701234").reply.text == late_reply(CODE2)  # another agency keeps the default


def test_supplement_wait_is_not_the_agencys_delay(make_dossier):
    from motcua.dossiers import services

    now = timezone.now()
    d = make_dossier(code=CODE, received=now - timedelta(days=20), appointment=now - timedelta(days=1))
    assert send("MCKH 0161701234").reply.text == late_reply(CODE)
    # Waiting for the citizen since before the appointment: still on time, whatever the calendar.
    services.apply_event(d, "supplement_requested", actor="test", at=now - timedelta(days=19))

    assert send("MCKH 0161701234").reply.text == on_time_reply(CODE, "Chờ bổ sung")


@pytest.mark.django_db(transaction=True)
def test_reply_and_mo_are_both_kept_or_neither(dossiers):
    # Committed, as in production (each request commits on its own), and inside a caller's transaction.
    from django.db import IntegrityError, transaction

    from motcua.messaging.inbound import save_pair

    first = send(f"MCKH {CODE}", remote_id="p-1")
    assert first.incoming.pk and first.reply.pk and first.incoming.reply_id == first.reply.pk
    again = send(f"MCKH {CODE}", remote_id="p-1")
    assert again.duplicate and again.incoming.pk == first.incoming.pk and again.reply.text == first.reply.text
    assert (IncomingMessage.objects.count(), Message.objects.count()) == (1, 1)

    # Inside a caller's transaction a redelivery leaves that transaction usable.
    with transaction.atomic():
        assert send(f"MCKH {CODE}", remote_id="p-1").duplicate
        send(f"MCKH {CODE}", remote_id="p-2")
    assert (IncomingMessage.objects.count(), Message.objects.count()) == (2, 2)

    # The MO insert failing takes the reply with it (a reply row without its MO would be sent unpaid).
    reply = Message(kind="lookup_reply", cause="reply:orphan", to="84912345678", text="x")
    mo = IncomingMessage(connection="sim", remote_id="p-1", sender="84912345678", recipient="8083", text="x")
    with pytest.raises(IntegrityError):
        save_pair(reply, mo)
    assert not Message.objects.filter(cause="reply:orphan").exists()


def test_lookup_answers_every_mo_through_the_handler_it_registered_with_messaging(dossiers):
    from motcua.lookup.replies import answer_text
    from motcua.messaging import inbound

    assert inbound.mo_handler() is answer_text


def test_without_an_mo_handler_an_mo_is_a_clear_error_and_nothing_is_recorded(dossiers, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from motcua.messaging import inbound

    monkeypatch.setattr(inbound, "_mo_handler", None)
    with pytest.raises(ImproperlyConfigured, match="set_mo_handler"):
        send("MCKH 0161701234")
    assert not IncomingMessage.objects.exists() and not Message.objects.exists()
