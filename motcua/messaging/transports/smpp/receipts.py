"""SMSC delivery receipts: which message they are about, and what became of it.

A receipt is a deliver_sm with esm_class 0x04. Its text is, by convention (SMPP 3.4 appendix B)::

    id:0A1B sub:001 dlvrd:001 submit date:2601011730 done date:2601011731 stat:DELIVRD err:000 text:…

and SMSCs add the ``receipted_message_id`` and ``message_state`` TLVs, or give only those.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from motcua.messaging.transports.base import DeliveryReport, ReportStatus
from motcua.messaging.transports.smpp.pdu import TLV_MESSAGE_STATE, TLV_RECEIPTED_MESSAGE_ID, DeliverSm

_RECEIPT_STATUS: dict[str, ReportStatus] = {
    "DELIVRD": "delivered",
    "UNDELIV": "undelivered",
    "REJECTD": "undelivered",
    "EXPIRED": "expired",
    "DELETED": "expired",
    "UNKNOWN": "expired",
    "ENROUTE": "accepted",
    "ACCEPTD": "accepted",
}
_MESSAGE_STATE = {  # the message_state TLV's values, as the stat: words of the text
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
_RECEIPT_FIELD = re.compile(r"(id|stat|err):(\S*)", re.IGNORECASE)


def parse_receipt(sm: DeliverSm, connection: str) -> DeliveryReport | None:
    """A delivery receipt as a report, or None when it names no message at all.

    The TLV receipted_message_id wins over the ``id:`` in the text (it is the structured field);
    stat comes from the text, else from the message_state TLV. An unrecognised stat counts as
    undelivered: it is final in every SMSC we know, and a report that never resolves is worse.
    """
    text = sm.short_message.decode("latin-1", "replace")
    fields = {k.lower(): v for k, v in _RECEIPT_FIELD.findall(text)}
    remote_id = ""
    if TLV_RECEIPTED_MESSAGE_ID in sm.tlvs:
        remote_id = sm.tlvs[TLV_RECEIPTED_MESSAGE_ID].rstrip(b"\x00").decode("latin-1")
    remote_id = remote_id or fields.get("id", "")
    if not remote_id:
        return None
    stat = fields.get("stat", "").upper()
    if not stat and sm.tlvs.get(TLV_MESSAGE_STATE):
        stat = _MESSAGE_STATE.get(sm.tlvs[TLV_MESSAGE_STATE][0], "")
    status = _RECEIPT_STATUS.get(stat, "undelivered")
    error = "" if status in ("delivered", "accepted") else f"stat:{stat or '?'} err:{fields.get('err', '')}"
    return DeliveryReport(
        remote_id=remote_id,
        status=status,
        connection=connection,
        at=datetime.now(UTC),  # the SMSC's "done date" has no time zone; reception is within seconds of it
        error=error,
        raw=text,
    )


_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9a-fA-F]+")


def normalise_remote_id(remote_id: str) -> str:
    """Make an SMSC message id comparable between submit_sm_resp and the delivery receipt.

    SMSCs are known to answer ``0A1B`` in the resp and ``2587`` (decimal) or ``0a1b`` in the
    receipt, or to add/drop leading zeros. Rule: all decimal digits -> the decimal number without
    leading zeros; hexadecimal with at least one letter a–f -> that number in decimal; anything
    else (UUIDs, vendor formats) -> lower-cased as is. So ``0A1B``, ``0a1b``, ``2587`` and
    ``0002587`` all become ``2587``.

    Known limit: a hex id made only of digits (``1234`` meaning 0x1234) is read as decimal. That
    only matters for an SMSC that gives hex in one place and decimal in the other; ids of such
    SMSCs seen in practice are long enough to nearly always contain a letter.
    """
    s = remote_id.strip().strip("\x00")
    if not s:
        return ""
    if _DIGITS.fullmatch(s):
        return str(int(s, 10))
    if _HEX.fullmatch(s):
        return str(int(s, 16))
    return s.lower()
