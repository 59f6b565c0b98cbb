"""The PDU codec against bytes written out by hand from the SMPP 3.4 specification (§3.2 header,
§4.1.5 bind_transceiver, §4.4.1 submit_sm, §4.6.1 deliver_sm, §5.3 TLVs)."""

from __future__ import annotations

import pytest

from motcua.messaging.transports.smpp import pdu


def h(text: str) -> bytes:
    """Hex laid out as the spec lays out PDUs: spaces, one field a line, ``#`` comments."""
    return bytes.fromhex("".join(line.split("#")[0].replace(" ", "") for line in text.splitlines()))


# --- header --------------------------------------------------------------------------------------


def test_enquire_link_is_a_bare_header():
    wire = h("00000010 00000015 00000000 00000001")  # length 16, enquire_link, ok, sequence 1
    assert pdu.pdu(pdu.ENQUIRE_LINK, 1) == wire
    assert pdu.unpack_header(wire) == (16, pdu.ENQUIRE_LINK, 0, 1)


def test_generic_nack_carries_its_status_in_the_header():
    wire = h("00000010 80000000 00000003 7fffffff")
    assert pdu.pdu(pdu.GENERIC_NACK, 0x7FFFFFFF, status=pdu.ESME_RINVCMDID) == wire
    length, command_id, status, seq = pdu.unpack_header(wire)
    assert command_id & pdu.RESPONSE and status == 3 and seq == 0x7FFFFFFF


def test_deliver_sm_resp_has_an_empty_message_id():
    assert pdu.pdu(pdu.DELIVER_SM_RESP, 9, b"\x00") == h("00000011 80000005 00000000 00000009 00")


# --- bind_transceiver ----------------------------------------------------------------------------


def test_bind_transceiver_as_the_spec_lays_it_out():
    wire = h(
        """
        00000023 00000009 00000000 00000001  # length 35, bind_transceiver, status, sequence 1
        6d6f7463756100                       # system_id "motcua"
        73656372657400                       # password "secret"
        00                                   # system_type ""
        34                                   # interface_version 3.4
        00 00                                # addr_ton, addr_npi
        00                                   # address_range ""
        """
    )
    body = pdu.bind_transceiver_body("motcua", "secret", "")
    assert pdu.pdu(pdu.BIND_TRANSCEIVER, 1, body) == wire


# --- submit_sm -----------------------------------------------------------------------------------

SUBMIT_HI = h(
    """
    00                              # service_type ""
    03 00 3830383300                # source_addr_ton 3, source_addr_npi 0, source_addr "8083"
    01 01 383439313233343536373800  # dest_addr_ton 1, dest_addr_npi 1, destination_addr "84912345678"
    00 00 00                        # esm_class, protocol_id, priority_flag
    00 00                           # schedule_delivery_time "", validity_period ""
    01 00                           # registered_delivery: a receipt, please; replace_if_present_flag
    00 00                           # data_coding 0 (SMSC default alphabet), sm_default_msg_id
    02 4869                         # sm_length 2, short_message "Hi"
    """
)


def test_submit_sm_body_field_by_field():
    body = pdu.submit_sm_body("8083", 3, 0, "84912345678", 0, 0, b"Hi")
    assert body == SUBMIT_HI
    assert pdu.pdu(pdu.SUBMIT_SM, 2, body)[:16] == h(f"{16 + len(SUBMIT_HI):08x} 00000004 00000000 00000002")


def test_submit_sm_reads_back_as_a_deliver_sm_which_has_the_same_layout():
    udh = pdu.concat_udh(0x2A, 2, 1)
    body = pdu.submit_sm_body("UBND-HCM", 5, 0, "84912345678", pdu.ESM_UDHI, 8, udh + "Hồ sơ".encode("utf-16-be"))
    sm = pdu.parse_deliver_sm(body)
    assert (sm.source_addr, sm.destination_addr, sm.esm_class, sm.data_coding) == (
        "UBND-HCM", "84912345678", 0x40, 8
    )
    assert sm.short_message == h("050003 2a 02 01") + "Hồ sơ".encode("utf-16-be")
    assert sm.tlvs == {} and not sm.is_receipt


def test_message_id_of_submit_sm_resp_is_kept_as_given():
    assert pdu.message_id(b"0A1B\x00") == "0A1B"
    assert pdu.message_id(b"") == ""


# --- deliver_sm ----------------------------------------------------------------------------------

RECEIPT_BODY = h(
    """
    00                                          # service_type
    01 01 383439313233343536373800              # source: the citizen
    03 00 3830383300                            # destination: our short code
    04 00 00                                    # esm_class 0x04: SMSC delivery receipt
    00 00 00 00                                 # schedule, validity, registered_delivery, replace
    00 00                                       # data_coding, sm_default_msg_id
    14 69643a304131422073746174 3a44454c49565244  # sm_length 20, "id:0A1B stat:DELIVRD"
    001e 0005 3041314200                        # TLV receipted_message_id "0A1B"
    0427 0001 02                                # TLV message_state 2 = DELIVERED
    """
)


def test_a_receipt_deliver_sm_with_its_tlvs():
    sm = pdu.parse_deliver_sm(RECEIPT_BODY)
    assert (sm.source_addr, sm.destination_addr) == ("84912345678", "8083")
    assert sm.is_receipt
    assert sm.short_message == b"id:0A1B stat:DELIVRD"
    assert sm.tlvs == {pdu.TLV_RECEIPTED_MESSAGE_ID: b"0A1B\x00", pdu.TLV_MESSAGE_STATE: b"\x02"}


def test_an_mo_in_message_payload_when_short_message_is_empty():
    text = "MCKH 0161701234".encode("utf-16-be")
    body = h(
        """
        00 01 01 383439383736353433323100 03 00 3830383300  # service_type, source, destination
        00 00 00 00 00 00 00                                # esm_class … replace_if_present_flag
        08 00 00                                            # data_coding 8, sm_default_msg_id, sm_length 0
        0424 001e                                           # TLV message_payload, 30 bytes:
        """
    ) + text
    sm = pdu.parse_deliver_sm(body)
    assert (sm.source_addr, sm.data_coding, sm.short_message) == ("84987654321", 8, text)
    assert not sm.is_receipt


def test_c_string_without_its_nul_ends_at_the_body_end():
    assert pdu.read_cstr(b"abc", 0) == ("abc", 3)
    assert pdu.read_cstr(b"ab\x00cd\x00", 3) == ("cd", 6)


# --- text ----------------------------------------------------------------------------------------


def test_gsm_text_is_one_septet_a_byte_and_long_text_splits_at_153():
    assert pdu.encode_parts("Hi @", "gsm") == (0, [b"Hi \x00"])
    dc, parts = pdu.encode_parts("a" * 161, "gsm")
    assert dc == 0 and [len(p) for p in parts] == [153, 8]


def test_a_character_outside_gsm_is_sent_as_a_question_mark_not_refused():
    assert pdu.encode_parts("Hồ sơ", "gsm") == (0, [b"H? s?"])


def test_ucs2_is_utf16_big_endian_67_units_a_part():
    assert pdu.encode_parts("Hồ", "ucs2") == (8, [h("0048 1ed3")])
    dc, parts = pdu.encode_parts("ồ" * 71, "ucs2")
    assert dc == 8 and [len(p) for p in parts] == [134, 8]


def test_concatenation_header_is_iei_0_with_an_8_bit_reference():
    assert pdu.concat_udh(0x1FF, 3, 2) == h("05 00 03 ff 03 02")


@pytest.mark.parametrize(
    ("source", "ton_npi"),
    [("8083", (3, 0)), ("19001234", (3, 0)), ("84912345678", (1, 1)), ("UBND-HCM", (5, 0))],
)
def test_sender_ton_and_npi_follow_the_kind_of_sender(source, ton_npi):
    assert pdu.source_ton_npi(source) == ton_npi


def test_esme_errors_are_named_with_their_number():
    assert pdu.esme_error(0x0B) == "ESME_RINVDSTADR (0x0B)"
    assert pdu.esme_error(0x58) == "ESME_RTHROTTLED (0x58)"
    assert pdu.esme_error(0xFE) == "ESME_UNKNOWN (0xFE)"
    assert {0x58, 0x14, 0x08} == pdu.TEMPORARY_STATUSES
