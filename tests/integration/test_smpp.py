"""SmppTransport against a real SMPP peer (node-smpp SMSC): bytes on the wire, receipts, faults, MOs.

No database: the transport is driven directly and reports land in a collecting sink.
"""

from __future__ import annotations

import time

import pytest

from motcua.messaging.transports.base import OutgoingSMS
from motcua.messaging.transports.smpp import SmppTransport, normalise_remote_id
from tests.integration.conftest import wait_until

CITIZEN = "84912345678"
CITIZEN_UNDELIV = "84912345613"  # the peer answers stat:UNDELIV for numbers ending in 13


def sms(message_id: int, text: str, encoding: str = "gsm", to: str = CITIZEN, source: str | None = None):
    return OutgoingSMS(message_id=message_id, to=to, text=text, encoding=encoding, source=source)


def udh_parts(submits: list[dict]) -> list[tuple[bytes, bytes]]:
    """(UDH, payload) of each recorded submit."""
    out = []
    for s in submits:
        raw = bytes.fromhex(s["short_message_hex"])
        out.append((raw[: raw[0] + 1], raw[raw[0] + 1 :]))
    return out


# --- encoding on the wire ----------------------------------------------------------------------


def test_unaccented_text_is_sent_as_gsm_septets_from_the_short_code(make_transport, smsc):
    transport = make_transport()
    [result] = transport.send([sms(1, "MCKH 016: @ 5€ {x}", "gsm")])
    assert result.ok and len(result.remote_ids) == 1
    [sub] = smsc.submits()
    assert sub["data_coding"] == 0
    assert sub["esm_class"] == 0
    assert sub["registered_delivery"] == 1
    # M C K H ␠ 0 1 6 : ␠ @=00 ␠ 5 €=1B65 ␠ {=1B28 x }=1B29 — one byte per septet, escapes for €{}
    assert (
        sub["short_message_hex"]
        == "4d434b4820303136" + "3a20" + "00" + "20" + "35" + "1b65" + "20" + "1b28781b29"
    )
    assert (sub["source_addr"], sub["source_addr_ton"], sub["source_addr_npi"]) == ("8083", 3, 0)
    assert (sub["destination_addr"], sub["dest_addr_ton"], sub["dest_addr_npi"]) == (CITIZEN, 1, 1)


def test_accented_text_is_sent_as_ucs2_big_endian(make_transport, smsc):
    transport = make_transport()
    text = "Hồ sơ 0161701234 đã có kết quả"
    [result] = transport.send([sms(2, text, "ucs2")])
    assert result.ok
    [sub] = smsc.submits()
    assert sub["data_coding"] == 8
    assert sub["short_message_hex"].startswith("00481ed30020007301a1")  # H ồ ␠ s ơ
    assert bytes.fromhex(sub["short_message_hex"]).decode("utf-16-be") == text


def test_brandname_sender_uses_alphanumeric_ton(make_transport, smsc):
    transport = make_transport()
    transport.send([sms(3, "Thong bao", source="UBND-HCM")])
    [sub] = smsc.submits()
    assert (sub["source_addr"], sub["source_addr_ton"], sub["source_addr_npi"]) == ("UBND-HCM", 5, 0)


def test_long_ucs2_message_is_split_with_udh_and_reassembles_to_the_original(make_transport, smsc):
    transport = make_transport()
    text = (
        "Hồ sơ số 0161701234 của ông/bà đã được giải quyết xong, mời đến Bộ phận một cửa nhận kết quả. " * 3
    ).strip()
    [result] = transport.send([sms(4, text, "ucs2")])
    submits = smsc.submits()
    assert result.ok
    assert len(submits) == len(result.remote_ids) == 5  # 281 UTF-16 units / 67 per part
    assert list(result.remote_ids) == [s["message_id"] for s in submits]
    parts = udh_parts(submits)
    refs = {udh[3] for udh, _ in parts}
    assert len(refs) == 1
    for i, (udh, payload) in enumerate(parts, start=1):
        assert udh == bytes([0x05, 0x00, 0x03, udh[3], 5, i])
        assert len(payload) <= 134
    assert all(s["esm_class"] & 0x40 and s["data_coding"] == 8 for s in submits)
    assert b"".join(p for _, p in parts).decode("utf-16-be") == text


def test_long_gsm_message_parts_hold_153_septets_and_never_cut_an_escape(make_transport, smsc):
    transport = make_transport()
    text = "a" * 152 + "€" + "b" * 50  # the € (2 septets) does not fit the 153rd position
    [result] = transport.send([sms(5, text, "gsm")])
    parts = udh_parts(smsc.submits())
    assert result.ok and len(result.remote_ids) == 2
    assert parts[0][1] == b"a" * 152
    assert parts[1][1] == b"\x1b\x65" + b"b" * 50


# --- results and delivery receipts -------------------------------------------------------------


@pytest.mark.parametrize("id_style", ["hex", "dec", "zeros"])
def test_receipts_map_back_to_the_ids_of_the_submit(make_transport, smsc, sink, id_style):
    smsc.configure(id_style=id_style)
    transport = make_transport()
    ok, failed = transport.send([sms(10, "Da co ket qua"), sms(11, "Da co ket qua", to=CITIZEN_UNDELIV)])
    assert ok.ok and failed.ok
    reports = sink.wait_reports(2)
    by_id = {normalise_remote_id(r.remote_id): r for r in reports}
    assert by_id[normalise_remote_id(ok.remote_ids[0])].status == "delivered"
    undeliv = by_id[normalise_remote_id(failed.remote_ids[0])]
    assert undeliv.status == "undelivered"
    assert "UNDELIV" in undeliv.error
    assert {r.connection for r in reports} == {"test-smsc"}
    assert transport.state()["receipts"] == 2


def test_receipts_from_smsc_use_another_id_style_than_the_resp(make_transport, smsc, sink):
    """Guards the test above: without normalisation the ids would not match."""
    smsc.configure(id_style="hex")
    transport = make_transport()
    [result] = transport.send([sms(12, "x")])
    [report] = sink.wait_reports(1)
    assert report.remote_id != result.remote_ids[0]
    assert normalise_remote_id(report.remote_id) == normalise_remote_id(result.remote_ids[0])


def test_permanent_error_is_reported_with_its_name(make_transport, smsc):
    transport = make_transport()
    [result] = transport.send([sms(20, "x", to="0912")])  # the peer rejects non-84 destinations
    assert not result.ok and not result.temporary
    assert result.error == "ESME_RINVDSTADR (0x0B)"
    assert transport.state()["failed"] == 1


def test_throttling_is_temporary_slows_down_and_a_retry_succeeds(make_transport, smsc):
    transport = make_transport(tps=100)
    smsc.configure(throttle_share=1)
    [result] = transport.send([sms(30, "x")])
    assert not result.ok and result.temporary
    assert result.error == "ESME_RTHROTTLED (0x58)"
    assert transport.state()["tps_limit"] == 50  # halved for a while
    smsc.configure(throttle_share=0)
    [retry] = transport.send([sms(30, "x")])
    assert retry.ok and len(retry.remote_ids) == 1


def test_a_throttled_later_part_is_resent_alone_so_no_part_reaches_the_phone_twice(make_transport, smsc):
    transport = make_transport()
    smsc.configure(throttle_share=0.5)  # exactly every second submit is throttled
    [result] = transport.send([sms(31, "Hồ sơ " * 40, "ucs2")])  # four parts
    assert result.ok and len(result.remote_ids) == 4
    accepted = [s for s in smsc.submits() if s["status"] == 0]
    assert len(accepted) == 4 and len(smsc.submits()) == 7  # parts 2–4 each throttled once, resent once


def test_a_later_part_still_refused_fails_the_message_but_reports_accepted_parts(make_transport, smsc):
    transport = make_transport()
    smsc.configure(throttle_share=0.75)  # accepted, then three throttled in a row
    [result] = transport.send([sms(31, "Hồ sơ " * 40, "ucs2")])
    assert not result.ok and result.temporary and result.error == "ESME_RTHROTTLED (0x58)"
    assert len(result.remote_ids) == 1  # part 1 accepted; part 2 tried three times; parts 3–4 never sent
    assert len(smsc.submits()) == 4


def test_no_receipt_for_some_messages(make_transport, smsc, sink):
    smsc.configure(no_receipt_share=0.5)
    transport = make_transport()
    results = transport.send([sms(40 + i, "x") for i in range(4)])
    assert all(r.ok for r in results)
    assert wait_until(lambda: smsc.stats()["receipts_sent"] == 2 and smsc.stats()["deliver_sm_resp"] == {"0": 2})
    receipted = {normalise_remote_id(s["receipt_id"]) for s in smsc.submits()[::2]}  # every second one
    assert {normalise_remote_id(r.remote_id) for r in sink.reports} == receipted
    assert len(sink.reports) == 2


def test_duplicate_receipts_are_all_passed_on(make_transport, smsc, sink):
    smsc.configure(duplicate_receipts=True)
    transport = make_transport()
    [result] = transport.send([sms(50, "x")])
    reports = sink.wait_reports(2)
    assert len(reports) == 2
    assert {normalise_remote_id(r.remote_id) for r in reports} == {normalise_remote_id(result.remote_ids[0])}


def test_receipt_for_an_unknown_id_is_acknowledged_and_passed_on(make_transport, smsc, sink):
    make_transport()
    assert smsc.inject_receipt("DEADBEEF", stat="EXPIRED") == 1
    [report] = sink.wait_reports(1)
    assert (report.remote_id, report.status) == ("DEADBEEF", "expired")
    assert wait_until(lambda: smsc.stats()["deliver_sm_resp"] == {"0": 1})


def test_submit_without_resp_in_time_is_temporary(make_transport, smsc):
    transport = make_transport(resp_timeout=0.3)
    smsc.configure(resp_delay_ms=2000)  # the resp would say accepted: only the timeout fails it
    [result] = transport.send([sms(60, "x")])
    assert not result.ok and result.temporary
    assert result.error == "no submit_sm_resp in 0.3s"


# --- link management ---------------------------------------------------------------------------


def test_connection_drop_reconnects_and_sending_resumes(make_transport, smsc):
    transport = make_transport()
    assert transport.send([sms(70, "x")])[0].ok
    smsc.drop()
    assert wait_until(lambda: not transport.is_up(), timeout=2)
    [down] = transport.send([sms(71, "x")])  # answered while unbound, without waiting for the rebind
    assert not down.ok and down.temporary and "link down" in down.error
    assert wait_until(transport.is_up, timeout=5)
    assert transport.send([sms(71, "x")])[0].ok
    assert smsc.stats()["binds"] == 2


def test_periodic_drops_never_lose_a_result(make_transport, smsc):
    transport = make_transport(reconnect_max=1)
    smsc.configure(drop_every_ms=300, resp_delay_ms=5)
    outcomes = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        outcomes += transport.send([sms(80 + i, "x") for i in range(20)])
        time.sleep(0.05)
    assert all(r.ok or r.temporary for r in outcomes)
    assert any(r.ok for r in outcomes) and any(not r.ok for r in outcomes)
    assert smsc.stats()["binds"] >= 3


def test_wrong_password_keeps_link_down_with_the_reason(smsc, sink):
    transport = SmppTransport.from_url(smsc.url(name="bad").replace(":secret@", ":wrong@"))
    transport.start(sink)
    try:
        assert wait_until(lambda: "ESME_RINVPASWD" in transport.state()["last_error"], timeout=5)
        assert not transport.is_up()
        [result] = transport.send([sms(90, "x")])
        assert result.temporary and not result.ok
    finally:
        transport.stop()


def test_window_limits_outstanding_submits(make_transport, smsc):
    transport = make_transport(window=3, tps=0)
    smsc.configure(resp_delay_ms=50)
    results = transport.send([sms(100 + i, "x") for i in range(15)])
    assert all(r.ok for r in results)
    assert smsc.stats()["max_outstanding"] == 3  # pipelined up to the window, never beyond


def test_tps_cap_paces_submits(make_transport):
    transport = make_transport(tps=50)
    started = time.monotonic()
    results = transport.send([sms(200 + i, "x") for i in range(60)])
    elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    assert elapsed >= 1.0  # the 51st waits until a second after the first


def test_enquire_link_keeps_the_bind_alive(make_transport, smsc):
    transport = make_transport(enquire_link=0.2)
    assert wait_until(lambda: smsc.stats()["enquire_links"] >= 3, timeout=3)
    assert transport.is_up()
    assert smsc.stats()["binds"] == 1


def test_state_reports_counters_for_the_status_page(make_transport):
    transport = make_transport(tps=0)
    transport.send([sms(300, "x"), sms(301, "x", to="0912")])
    state = transport.state()
    assert state["name"] == "test-smsc" and state["scheme"] == "smpp" and state["up"]
    assert state["bound_since"] is not None
    assert (state["sent"], state["failed"]) == (1, 1)
    assert state["tps"] > 0


def test_stop_unbinds(make_transport, smsc):
    transport = make_transport()
    transport.stop()
    assert not transport.is_up()
    assert wait_until(lambda: smsc.stats()["unbinds"] == 1, timeout=2)


# --- incoming (MO) -----------------------------------------------------------------------------


def test_mo_in_ucs2_reaches_the_sink(make_transport, smsc, sink):
    make_transport()
    smsc.inject_mo("Tra cứu MCKH 0161701234", sender="84987654321", data_coding=8)
    [mo] = sink.wait_incoming(1)
    assert (mo.sender, mo.recipient, mo.text, mo.connection) == (
        "84987654321",
        "8083",
        "Tra cứu MCKH 0161701234",
        "test-smsc",
    )
    assert mo.remote_id
    assert wait_until(lambda: smsc.stats()["deliver_sm_resp"] == {"0": 1})


def test_mo_in_gsm_default_alphabet_is_decoded(make_transport, smsc, sink):
    make_transport()
    smsc.inject_mo("MCKH 0161701234 @ 5€", data_coding=0)
    [mo] = sink.wait_incoming(1)
    assert mo.text == "MCKH 0161701234 @ 5€"


@pytest.mark.parametrize("concat", ["udh8", "udh16", "sar"])
def test_concatenated_mo_is_reassembled_once(make_transport, smsc, sink, concat):
    make_transport()
    text = "MCKH 0161701234 xin cho biết hồ sơ của tôi đã xong chưa, cảm ơn cán bộ một cửa rất nhiều"
    smsc.inject_mo(text, data_coding=8, parts=2, concat=concat)
    [mo] = sink.wait_incoming(1)
    assert mo.text == text
    assert mo.extra["parts"] == 2
    # Both parts answered: each was handed to the sink (or held) before its resp was written.
    assert wait_until(lambda: smsc.stats()["deliver_sm_resp"] == {"0": 2})
    assert len(sink.incoming_sms) == 1
