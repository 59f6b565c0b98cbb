"""The SMPP 3.4 PDUs an ESME exchanges with an SMSC: bind_transceiver, submit_sm, deliver_sm,
enquire_link, unbind, generic_nack and their responses.

Pure bytes in, bytes out. A PDU is a 16-byte header (command_length, command_id, command_status,
sequence_number, all big-endian unsigned 32-bit) and a body of C-octet strings, single octets and,
at the end, optional TLVs (tag and length 16-bit each, then the value).

Text: ``ucs2`` goes as data_coding 8, UTF-16-BE; ``gsm`` as data_coding 0 (the SMSC's default
alphabet), GSM 03.38 as unpacked septets, one byte each (``motcua.domain.smstext.gsm_encode``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from motcua.domain.smstext import gsm_encode, gsm_only, split_parts

GENERIC_NACK = 0x80000000
BIND_TRANSCEIVER = 0x00000009
BIND_TRANSCEIVER_RESP = 0x80000009
SUBMIT_SM = 0x00000004
SUBMIT_SM_RESP = 0x80000004
DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005
UNBIND = 0x00000006
UNBIND_RESP = 0x80000006
ENQUIRE_LINK = 0x00000015
ENQUIRE_LINK_RESP = 0x80000015
RESPONSE = 0x80000000  # the bit every response (generic_nack included) has set

TLV_USER_MESSAGE_REFERENCE = 0x0204
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_MESSAGE_STATE = 0x0427

ESM_UDHI = 0x40  # short_message starts with a user data header
ESM_RECEIPT_MASK = 0x3C
ESM_RECEIPT = 0x04  # deliver_sm carrying an SMSC delivery receipt

ESME_ROK = 0x00
ESME_RINVCMDID = 0x03
ESME_ERRORS = {
    0x00: "ESME_ROK",
    0x01: "ESME_RINVMSGLEN",
    0x02: "ESME_RINVCMDLEN",
    0x03: "ESME_RINVCMDID",
    0x04: "ESME_RINVBNDSTS",
    0x05: "ESME_RALYBND",
    0x08: "ESME_RSYSERR",
    0x0A: "ESME_RINVSRCADR",
    0x0B: "ESME_RINVDSTADR",
    0x0C: "ESME_RINVMSGID",
    0x0D: "ESME_RBINDFAIL",
    0x0E: "ESME_RINVPASWD",
    0x0F: "ESME_RINVSYSID",
    0x14: "ESME_RMSGQFUL",
    0x45: "ESME_RSUBMITFAIL",
    0x48: "ESME_RINVSRCTON",
    0x49: "ESME_RINVSRCNPI",
    0x50: "ESME_RINVDSTTON",
    0x51: "ESME_RINVDSTNPI",
    0x58: "ESME_RTHROTTLED",
    0x61: "ESME_RINVSCHED",
    0x62: "ESME_RINVEXPIRY",
    0x66: "ESME_RX_T_APPN",
    0x67: "ESME_RX_P_APPN",
    0x68: "ESME_RX_R_APPN",
}
#: Throttled, message queue full, system error: the SMSC's trouble, not the message's; worth a retry.
TEMPORARY_STATUSES = frozenset({0x58, 0x14, 0x08})


def esme_error(status: int) -> str:
    """``ESME_RINVDSTADR (0x0B)``: the name operators search for, plus the number they quote."""
    return f"{ESME_ERRORS.get(status, 'ESME_UNKNOWN')} (0x{status:02X})"


# --- header and fields -------------------------------------------------------------------------
HEADER = struct.Struct(">IIII")
MAX_PDU = 1 << 16  # far above any PDU of these commands; a longer length means the stream is garbage


def pdu(command_id: int, sequence: int, body: bytes = b"", status: int = 0) -> bytes:
    """A whole PDU: the header (its length included) and ``body``."""
    return HEADER.pack(HEADER.size + len(body), command_id, status, sequence) + body


def unpack_header(header: bytes) -> tuple[int, int, int, int]:
    """(command_length, command_id, command_status, sequence_number) of a 16-byte header."""
    return HEADER.unpack(header)


def cstr(value: str) -> bytes:
    """A C-octet string: the text as Latin-1 (addresses and ids are ASCII) and a NUL."""
    return value.encode("latin-1", "replace") + b"\x00"


def read_cstr(body: bytes, offset: int) -> tuple[str, int]:
    """The C-octet string at ``offset`` and the offset after its NUL (a missing NUL ends at the body's end)."""
    end = body.find(b"\x00", offset)
    if end < 0:
        return body[offset:].decode("latin-1"), len(body)
    return body[offset:end].decode("latin-1"), end + 1


def read_tlvs(body: bytes, offset: int) -> dict[int, bytes]:
    """The optional parameters from ``offset`` to the end of the body, by tag."""
    tlvs: dict[int, bytes] = {}
    while offset + 4 <= len(body):
        tag, length = struct.unpack_from(">HH", body, offset)
        tlvs[tag] = body[offset + 4 : offset + 4 + length]
        offset += 4 + length
    return tlvs


# --- bodies ------------------------------------------------------------------------------------
def bind_transceiver_body(system_id: str, password: str, system_type: str) -> bytes:
    """interface_version 3.4, addr_ton/addr_npi 0 and an empty address_range: every MO of the account."""
    return cstr(system_id) + cstr(password) + cstr(system_type) + bytes((0x34, 0, 0)) + cstr("")


def submit_sm_body(
    source: str,
    source_ton: int,
    source_npi: int,
    destination: str,
    esm_class: int,
    data_coding: int,
    short_message: bytes,
) -> bytes:
    """A submit_sm asking for a delivery receipt; the destination is international (TON 1, NPI 1)."""
    return b"".join(
        (
            cstr(""),  # service_type
            bytes((source_ton, source_npi)),
            cstr(source),
            bytes((1, 1)),  # dest_addr_ton, dest_addr_npi
            cstr(destination),
            bytes((esm_class, 0, 0)),  # esm_class, protocol_id, priority_flag
            cstr(""),  # schedule_delivery_time
            cstr(""),  # validity_period
            bytes((1, 0, data_coding, 0, len(short_message))),  # registered_delivery=1 … sm_length
            short_message,
        )
    )


def message_id(submit_sm_resp_body: bytes) -> str:
    """The SMSC's id of the part a submit_sm_resp answers, exactly as given."""
    return read_cstr(submit_sm_resp_body, 0)[0]


@dataclass(frozen=True)
class DeliverSm:
    source_addr: str
    destination_addr: str
    esm_class: int
    data_coding: int
    short_message: bytes  # message_payload when short_message is empty
    tlvs: dict[int, bytes]

    @property
    def is_receipt(self) -> bool:
        return self.esm_class & ESM_RECEIPT_MASK == ESM_RECEIPT


def parse_deliver_sm(body: bytes) -> DeliverSm:
    """The fields of a deliver_sm that an MO or a receipt needs (the layout is submit_sm's)."""
    off = 0
    _service_type, off = read_cstr(body, off)
    off += 2  # source_addr_ton, source_addr_npi
    source, off = read_cstr(body, off)
    off += 2  # dest_addr_ton, dest_addr_npi
    destination, off = read_cstr(body, off)
    esm_class = body[off]
    off += 3  # esm_class, protocol_id, priority_flag
    _, off = read_cstr(body, off)  # schedule_delivery_time
    _, off = read_cstr(body, off)  # validity_period
    off += 2  # registered_delivery, replace_if_present_flag
    data_coding = body[off]
    off += 2  # data_coding, sm_default_msg_id
    sm_length = body[off]
    off += 1
    short_message = body[off : off + sm_length]
    tlvs = read_tlvs(body, off + sm_length)
    if not short_message and TLV_MESSAGE_PAYLOAD in tlvs:
        short_message = tlvs[TLV_MESSAGE_PAYLOAD]
    return DeliverSm(source, destination, esm_class, data_coding, short_message, tlvs)


# --- text --------------------------------------------------------------------------------------
def encode_parts(text: str, encoding: str) -> tuple[int, list[bytes]]:
    """(data_coding, the bytes of each SMS part without UDH).

    Splitting is ``motcua.domain.smstext.split_parts`` so that what is sent is exactly what the
    preview and the cost report counted (160/153 septets, 70/67 UTF-16 units, never cutting an
    escape pair or a surrogate pair). Characters outside GSM 03.38 become ``?`` first: one
    unfolded character must not make the whole message unsendable.
    """
    if encoding == "gsm":
        return 0, [gsm_encode(part) for part in split_parts(gsm_only(text), "gsm")]
    return 8, [part.encode("utf-16-be") for part in split_parts(text, "ucs2")]


def concat_udh(ref: int, total: int, seq: int) -> bytes:
    """The user data header of part ``seq`` of ``total``: concatenation with an 8-bit reference."""
    return bytes((0x05, 0x00, 0x03, ref & 0xFF, total, seq))


def source_ton_npi(source: str) -> tuple[int, int]:
    """Conventional TON/NPI for a sender: short code (≤ 8 digits) 3/0, international number 1/1,
    brandname 5/0."""
    if source.isdigit():
        return (3, 0) if len(source) <= 8 else (1, 1)
    return 5, 0
