"""Incoming messages: concatenated parts joined in any order, stale parts forgotten, and an id that a
redelivery keeps (so a citizen is recorded, charged and answered once)."""

from __future__ import annotations

import pytest

from motcua.messaging.transports.smpp.mo import (
    MoIds,
    MoReader,
    Reassembler,
    Segment,
    concat_segment,
    decode_text,
)
from motcua.messaging.transports.smpp.pdu import (
    ESM_UDHI,
    TLV_RECEIPTED_MESSAGE_ID,
    TLV_SAR_MSG_REF_NUM,
    TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
    TLV_USER_MESSAGE_REFERENCE,
    DeliverSm,
    concat_udh,
)

CITIZEN, SHORT_CODE = "84987654321", "8083"


def mo(payload: bytes, esm_class: int = 0, sender: str = CITIZEN, data_coding: int = 8, **tlvs: bytes) -> DeliverSm:
    tags = {
        "sar_msg_ref_num": TLV_SAR_MSG_REF_NUM,
        "sar_total_segments": TLV_SAR_TOTAL_SEGMENTS,
        "sar_segment_seqnum": TLV_SAR_SEGMENT_SEQNUM,
        "receipted_message_id": TLV_RECEIPTED_MESSAGE_ID,
        "user_message_reference": TLV_USER_MESSAGE_REFERENCE,
    }
    return DeliverSm(sender, SHORT_CODE, esm_class, data_coding, payload, {tags[k]: v for k, v in tlvs.items()})


def ucs2(text: str) -> bytes:
    return text.encode("utf-16-be")


def udh_part(ref: int, total: int, seq: int, text: str, sender: str = CITIZEN) -> DeliverSm:
    return mo(concat_udh(ref, total, seq) + ucs2(text), ESM_UDHI, sender)


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- text and concatenation ---------------------------------------------------------------------


def test_text_is_decoded_by_data_coding():
    assert decode_text(ucs2("Tra cứu"), 8) == "Tra cứu"
    assert decode_text(b"MCKH \x00 5\x1b\x65", 0) == "MCKH @ 5€"
    assert decode_text(b"caf\xe9", 3) == "café"  # Latin-1


@pytest.mark.parametrize(
    ("sm", "segment"),
    [
        (udh_part(0x2A, 3, 2, "x"), Segment(0x2A, 3, 2, ucs2("x"))),
        (mo(bytes.fromhex("060804 1234 02 01") + b"ab", ESM_UDHI), Segment(0x1234, 2, 1, b"ab")),  # 16-bit ref
        (mo(bytes.fromhex("060504 0b84 0000") + b"ab", ESM_UDHI), Segment(0, 1, 1, b"ab")),  # a port, no concat
        (mo(b"ab", sar_msg_ref_num=b"\x01\x02", sar_total_segments=b"\x02", sar_segment_seqnum=b"\x02"),
         Segment(0x0102, 2, 2, b"ab")),
        (mo(b"ab"), None),
    ],
)
def test_where_a_part_stands_comes_from_the_udh_or_the_sar_tlvs(sm, segment):
    assert concat_segment(sm) == segment


def test_parts_are_joined_in_order_whatever_order_they_arrive_in():
    r = Reassembler()
    parts = [udh_part(7, 3, seq, text) for seq, text in ((3, "C"), (1, "A"), (2, "B"))]
    assert r.add(parts[0], concat_segment(parts[0]), 0.0) is None
    assert r.add(parts[1], concat_segment(parts[1]), 1.0) is None
    assert r.add(parts[2], concat_segment(parts[2]), 2.0) == ucs2("ABC")
    assert len(r) == 0


def test_a_part_sent_again_does_not_complete_the_message_early():
    r = Reassembler()
    first = udh_part(7, 2, 1, "A")
    assert r.add(first, concat_segment(first), 0.0) is None
    assert r.add(first, concat_segment(first), 0.5) is None
    second = udh_part(7, 2, 2, "B")
    assert r.add(second, concat_segment(second), 1.0) == ucs2("AB")


def test_parts_of_two_senders_with_the_same_reference_stay_apart():
    r = Reassembler()
    a1, b2 = udh_part(7, 2, 1, "A", sender="84900000001"), udh_part(7, 2, 2, "b", sender="84900000002")
    assert r.add(a1, concat_segment(a1), 0.0) is None
    assert r.add(b2, concat_segment(b2), 0.0) is None
    assert len(r) == 2


def test_a_part_older_than_max_age_is_forgotten():
    r = Reassembler(max_age=600)
    first, second = udh_part(7, 2, 1, "A"), udh_part(7, 2, 2, "B")
    assert r.add(first, concat_segment(first), 0.0) is None
    assert r.add(second, concat_segment(second), 601.0) is None  # the first is gone: still one missing
    assert len(r) == 1
    assert r.add(first, concat_segment(first), 602.0) == ucs2("AB")  # the message sent again completes


# --- the reader ----------------------------------------------------------------------------------


def test_the_reader_gives_one_message_for_all_its_parts():
    reader = MoReader("viettel", dedup=120, clock=Clock(), wall=Clock())
    assert reader.read(udh_part(9, 2, 2, " 0161701234"), unique="s-2") is None
    incoming = reader.read(udh_part(9, 2, 1, "MCKH"), unique="s-3")
    assert (incoming.sender, incoming.recipient, incoming.text, incoming.connection) == (
        CITIZEN, SHORT_CODE, "MCKH 0161701234", "viettel"
    )
    assert incoming.extra == {"data_coding": 8, "parts": 2}
    assert incoming.remote_id.startswith("mo-")


def test_a_single_part_with_a_udh_reads_without_it():
    reader = MoReader("c", dedup=120, clock=Clock(), wall=Clock())
    sm = mo(bytes.fromhex("060504 0b84 0000") + ucs2("MCKH 1"), ESM_UDHI)
    incoming = reader.read(sm, unique="s-1")
    assert incoming.text == "MCKH 1" and incoming.extra["parts"] == 1


# --- ids -----------------------------------------------------------------------------------------


def test_a_redelivery_on_a_new_bind_gets_the_same_id():
    ids, sm = MoIds(dedup=120), mo(ucs2("MCKH 0161701234"))
    first = ids.issue(sm, sm.short_message, None, now=1_000_000.0, unique="bind1-5")
    again = ids.issue(sm, sm.short_message, None, now=1_000_003.0, unique="bind2-1")
    assert first == again


def test_a_new_process_in_the_same_time_bucket_gives_the_same_id():
    sm = mo(ucs2("MCKH 0161701234"))
    first = MoIds(dedup=120).issue(sm, sm.short_message, None, now=1_000_000.0, unique="a")
    assert MoIds(dedup=120).issue(sm, sm.short_message, None, now=1_000_005.0, unique="b") == first


def test_the_id_a_process_issued_is_kept_across_a_bucket_boundary_for_dedup_seconds():
    ids, sm = MoIds(dedup=120), mo(ucs2("MCKH 0161701234"))
    first = ids.issue(sm, sm.short_message, None, now=119.0 + 120 * 8333, unique="a")
    assert ids.issue(sm, sm.short_message, None, now=121.0 + 120 * 8333, unique="b") == first
    assert ids.issue(sm, sm.short_message, None, now=240.0 + 120 * 8333, unique="c") != first  # dedup over


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (mo(ucs2("MCKH 0161701234")), mo(ucs2("MCKH 0161701235"))),  # another text
        (mo(ucs2("MCKH 0161701234")), mo(ucs2("MCKH 0161701234"), sender="84900000001")),  # another citizen
        (mo(ucs2("MCKH 0161701234")), mo(ucs2("MCKH 0161701234"), data_coding=0)),  # other bytes' meaning
        (  # the same text sent twice by the handset: its message reference differs
            mo(ucs2("MCKH 0161701234"), user_message_reference=b"\x00\x01"),
            mo(ucs2("MCKH 0161701234"), user_message_reference=b"\x00\x02"),
        ),
    ],
)
def test_different_messages_get_different_ids(one, other):
    ids = MoIds(dedup=120)
    assert ids.issue(one, one.short_message, None, 1e6, "a") != ids.issue(other, other.short_message, None, 1e6, "b")


def test_the_smsc_id_is_used_when_it_sends_one():
    sm = mo(ucs2("MCKH 1"), receipted_message_id=b"SMSC-77\x00")
    assert MoIds(dedup=120).issue(sm, sm.short_message, None, 1e6, "a") == "SMSC-77"


def test_without_dedup_every_deliver_sm_has_its_own_id():
    ids, sm = MoIds(dedup=0), mo(ucs2("MCKH 1"))
    first = ids.issue(sm, sm.short_message, None, 1e6, "1700000000-5")
    assert first.startswith("1700000000-5-")
    assert ids.issue(sm, sm.short_message, None, 1e6, "1700000000-6") != first
