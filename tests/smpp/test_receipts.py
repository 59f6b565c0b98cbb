"""Delivery receipts: the message they name and its fate; SMSC ids compared across styles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.messaging.transports.smpp.pdu import TLV_MESSAGE_STATE, TLV_RECEIPTED_MESSAGE_ID, DeliverSm
from motcua.messaging.transports.smpp.receipts import normalise_remote_id, parse_receipt

TEXT = "id:{id} sub:001 dlvrd:001 submit date:2611231730 done date:2611231731 stat:{stat} err:{err} text:TB: Ho so"


def receipt(text: str = "", **tlvs: bytes) -> DeliverSm:
    tags = {"receipted_message_id": TLV_RECEIPTED_MESSAGE_ID, "message_state": TLV_MESSAGE_STATE}
    return DeliverSm("84912345678", "8083", 0x04, 0, text.encode("latin-1"), {tags[k]: v for k, v in tlvs.items()})


def test_a_text_receipt_of_a_delivered_message():
    report = parse_receipt(receipt(TEXT.format(id="0A1B", stat="DELIVRD", err="000")), "viettel")
    assert (report.remote_id, report.status, report.error, report.connection) == ("0A1B", "delivered", "", "viettel")
    assert report.raw.startswith("id:0A1B") and report.at is not None


@pytest.mark.parametrize(
    ("stat", "status"),
    [
        ("UNDELIV", "undelivered"),
        ("REJECTD", "undelivered"),
        ("EXPIRED", "expired"),
        ("DELETED", "expired"),
        ("UNKNOWN", "expired"),
        ("ENROUTE", "accepted"),
        ("ACCEPTD", "accepted"),
        ("delivrd", "delivered"),  # some SMSCs write it in lower case
        ("WHATEVER", "undelivered"),  # an unknown word is final, never left pending
    ],
)
def test_each_stat_word_maps_to_a_status(stat, status):
    report = parse_receipt(receipt(TEXT.format(id="7", stat=stat, err="001")), "c")
    assert report.status == status
    if status in ("delivered", "accepted"):
        assert report.error == ""
    else:
        assert report.error == f"stat:{stat.upper()} err:001"


def test_the_receipted_message_id_tlv_wins_over_the_text():
    sm = receipt(TEXT.format(id="2587", stat="DELIVRD", err="000"), receipted_message_id=b"0A1B\x00")
    assert parse_receipt(sm, "c").remote_id == "0A1B"


def test_a_receipt_of_tlvs_only_takes_the_state_from_message_state():
    sm = receipt("", receipted_message_id=b"0A1B\x00", message_state=b"\x05")  # 5 = UNDELIVERABLE
    report = parse_receipt(sm, "c")
    assert (report.remote_id, report.status, report.error) == ("0A1B", "undelivered", "stat:UNDELIV err:")


def test_the_stat_in_the_text_wins_over_message_state():
    sm = receipt(TEXT.format(id="1", stat="DELIVRD", err="000"), message_state=b"\x05")
    assert parse_receipt(sm, "c").status == "delivered"


def test_a_receipt_naming_no_message_is_none():
    assert parse_receipt(receipt("stat:DELIVRD err:000"), "c") is None
    assert parse_receipt(receipt("", message_state=b"\x02"), "c") is None


# --- ids -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resp_id", "receipt_id"),
    [
        ("0A1B", "2587"),
        ("0a1b", "0002587"),
        ("00A0000000", "2684354560"),
        ("000123", "123"),
        ("ABCDEF", "abcdef"),
        ("0A1B\x00", " 0a1b "),
    ],
)
def test_styles_of_the_same_id_match(resp_id, receipt_id):
    assert normalise_remote_id(resp_id) == normalise_remote_id(receipt_id)


def test_different_ids_stay_apart_and_other_formats_are_only_lower_cased():
    assert normalise_remote_id("123") != normalise_remote_id("124")
    assert normalise_remote_id(" 3F2504E0-4F89-11D3 ") == "3f2504e0-4f89-11d3"
    assert normalise_remote_id("0") == "0"
    assert normalise_remote_id("") == ""


@given(st.integers(min_value=0, max_value=2**64))
def test_hex_with_a_letter_and_its_decimal_are_one_id(n):
    hex_id = f"{n:012X}"
    if any(c in "ABCDEF" for c in hex_id):  # hex made of digits only reads as decimal: the known limit
        assert normalise_remote_id(hex_id) == normalise_remote_id(hex_id.lower()) == normalise_remote_id(str(n))
    assert normalise_remote_id(f"{n:020d}") == normalise_remote_id(str(n)) == str(n)
