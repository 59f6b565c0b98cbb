"""Incoming messages (MO) over SMPP: concatenated parts joined, text decoded, and an id that a
redelivery of the same MO keeps.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from motcua.domain.smstext import gsm_decode
from motcua.messaging.transports.base import IncomingSMS
from motcua.messaging.transports.smpp.pdu import (
    ESM_UDHI,
    TLV_RECEIPTED_MESSAGE_ID,
    TLV_SAR_MSG_REF_NUM,
    TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
    TLV_USER_MESSAGE_REFERENCE,
    DeliverSm,
)


def decode_text(data: bytes, data_coding: int) -> str:
    """8: UTF-16-BE; 0: GSM 03.38 septets, one a byte; anything else read as Latin-1."""
    if data_coding == 8:
        return data.decode("utf-16-be", "replace")
    if data_coding == 0:
        return gsm_decode(data)
    return data.decode("latin-1")


@dataclass(frozen=True)
class Segment:
    ref: int
    total: int
    seq: int
    payload: bytes  # without the UDH


def concat_segment(sm: DeliverSm) -> Segment | None:
    """Where this deliver_sm stands in a concatenated MO (UDH with an 8- or 16-bit reference, or
    the sar_* TLVs); None when it says nothing about concatenation."""
    if sm.esm_class & ESM_UDHI and sm.short_message:
        udhl = sm.short_message[0]
        udh, payload = sm.short_message[1 : 1 + udhl], sm.short_message[1 + udhl :]
        i = 0
        while i + 2 <= len(udh):
            iei, iel = udh[i], udh[i + 1]
            data = udh[i + 2 : i + 2 + iel]
            if iei == 0x00 and iel == 3:
                return Segment(data[0], data[1], data[2], payload)
            if iei == 0x08 and iel == 4:
                return Segment((data[0] << 8) | data[1], data[2], data[3], payload)
            i += 2 + iel
        return Segment(0, 1, 1, payload)  # a UDH without concatenation (ports etc.)
    if TLV_SAR_MSG_REF_NUM in sm.tlvs and TLV_SAR_TOTAL_SEGMENTS in sm.tlvs:
        ref = int.from_bytes(sm.tlvs[TLV_SAR_MSG_REF_NUM], "big")
        total = sm.tlvs[TLV_SAR_TOTAL_SEGMENTS][0]
        seq = sm.tlvs.get(TLV_SAR_SEGMENT_SEQNUM, b"\x01")[0]
        return Segment(ref, total, seq, sm.short_message)
    return None


class Reassembler:
    """Collects the parts of concatenated MOs, by (sender, recipient, reference, total), in any order.

    A message whose first part arrived more than ``max_age`` seconds ago and is still incomplete is
    forgotten: its missing parts are not coming (an SMSC delivers the parts of one MO within seconds).
    """

    def __init__(self, max_age: float = 600.0) -> None:
        self.max_age = max_age
        self._parts: dict[tuple[str, str, int, int], tuple[float, dict[int, bytes]]] = {}

    def add(self, sm: DeliverSm, seg: Segment, now: float) -> bytes | None:
        """Keep a part; once all are in, their payloads joined in order."""
        for key in [k for k, (started, _) in self._parts.items() if now - started > self.max_age]:
            del self._parts[key]
        key = (sm.source_addr, sm.destination_addr, seg.ref, seg.total)
        _, parts = self._parts.setdefault(key, (now, {}))
        parts[seg.seq] = seg.payload
        if len(parts) < seg.total:
            return None
        del self._parts[key]
        return b"".join(parts[i] for i in sorted(parts))

    def __len__(self) -> int:
        return len(self._parts)


def mo_digest(sm: DeliverSm, payload: bytes, seg: Segment | None) -> str:
    """What a redelivered MO keeps and two different MOs do not (see ``MoIds``)."""
    h = hashlib.sha1()
    for field in (
        sm.source_addr.encode("latin-1"),
        sm.destination_addr.encode("latin-1"),
        bytes((sm.data_coding,)),
        f"{seg.ref}/{seg.total}".encode() if seg is not None and seg.total > 1 else b"",
        sm.tlvs.get(TLV_USER_MESSAGE_REFERENCE, b""),
        payload,
    ):
        h.update(len(field).to_bytes(4, "big") + field)
    return h.hexdigest()[:24]


class MoIds:
    """An id for an MO that is the same when the SMSC redelivers it, even on a new bind.

    SMPP 3.4 gives an MO no message id. An SMSC redelivers a deliver_sm whose resp it did not get
    (the link dropped between our resp and its read), usually within seconds of the rebind, with a
    new sequence number, so an id built from the bind or the sequence number would make the citizen
    be recorded, charged and answered twice. The id is therefore derived from what a redelivery
    keeps: the SMSC's own id when it sends one (``receipted_message_id``), else a digest of sender,
    recipient, data_coding, the (reassembled) message bytes, the concatenation reference, and
    ``user_message_reference`` when present (the handset's TP-MR, which differs between two genuine
    sends), plus a time bucket of ``dedup`` seconds of the wall clock (so that another process
    computes the same bucket).

    Trade-off: without TP-MR, a citizen sending the *identical* text twice within the bucket is
    recorded and answered once (the first answer is the same anyway), so reconciliation counts one
    charged MO fewer; a redelivery that crosses a bucket boundary in a *new* process (this one
    remembers the ids it issued for ``dedup`` seconds) is answered twice. A short ``dedup`` favours
    counting repeats, a long one favours never answering twice; ``dedup=0`` gives every deliver_sm
    an id of its own.
    """

    def __init__(self, dedup: float) -> None:
        self.dedup = dedup
        self._seen: dict[str, tuple[float, int]] = {}  # digest -> (first seen, time bucket of its id)

    def issue(self, sm: DeliverSm, payload: bytes, seg: Segment | None, now: float, unique: str) -> str:
        """``now``: wall-clock seconds; ``unique``: what tells this deliver_sm from any other (bind
        and sequence number), used when ``dedup`` is 0."""
        if TLV_RECEIPTED_MESSAGE_ID in sm.tlvs:
            return sm.tlvs[TLV_RECEIPTED_MESSAGE_ID].rstrip(b"\x00").decode("latin-1")
        if self.dedup <= 0:
            return f"{unique}-{hashlib.sha1(payload).hexdigest()[:8]}"
        digest = mo_digest(sm, payload, seg)
        for key in [k for k, (first, _) in self._seen.items() if now - first > self.dedup]:
            del self._seen[key]
        _, bucket = self._seen.setdefault(digest, (now, int(now // self.dedup)))
        return f"mo-{digest}-{bucket}"


class MoReader:
    """Turns the deliver_sm that are not receipts into whole incoming messages."""

    def __init__(
        self,
        connection: str,
        dedup: float,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.connection = connection
        self.reassembler = Reassembler()
        self.ids = MoIds(dedup)
        self.clock = clock  # ages parts waiting for the rest
        self.wall = wall  # the time bucket of an id, the same in every process

    def read(self, sm: DeliverSm, unique: str) -> IncomingSMS | None:
        """The MO this deliver_sm completes, or None while parts of it are missing."""
        seg = concat_segment(sm)
        payload = sm.short_message if seg is None else seg.payload
        parts = 1
        if seg is not None and seg.total > 1:
            joined = self.reassembler.add(sm, seg, self.clock())
            if joined is None:
                return None
            payload, parts = joined, seg.total
        now = self.wall()
        return IncomingSMS(
            sender=sm.source_addr,
            recipient=sm.destination_addr,
            text=decode_text(payload, sm.data_coding),
            connection=self.connection,
            remote_id=self.ids.issue(sm, payload, seg, now, unique),
            received_at=datetime.fromtimestamp(now, UTC),
            extra={"data_coding": sm.data_coding, "parts": parts},
        )
