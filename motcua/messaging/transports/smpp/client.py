"""SMPP 3.4 transport: one ``bind_transceiver`` to a telco SMSC, run on a private asyncio thread.

The worker calls ``submit`` from its own thread and gets a future; the messages are sent by the
event loop of this connection's thread, which also answers the SMSC (receipts and MOs go to the
worker's sink), keeps the bind alive and rebinds after a drop. Correlation is kept per request
only (sequence number -> future): which SMSC id belongs to which message is stored by the worker,
so a crashed worker resumes from the database, not from this object.

Long messages go as several submit_sm, each part with a concatenation UDH (8-bit reference,
esm_class 0x40); ``SendResult.remote_ids`` holds one id per part, exactly as the SMSC gave it
(the worker stores them normalised, see ``receipts.normalise_remote_id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime

from motcua.messaging.transports.base import OutgoingSMS, ReportSink, SendResult, Transport, done
from motcua.messaging.transports.smpp import pdu
from motcua.messaging.transports.smpp.config import SmppSettings
from motcua.messaging.transports.smpp.mo import MoReader
from motcua.messaging.transports.smpp.ratelimit import SendRate
from motcua.messaging.transports.smpp.receipts import parse_receipt

log = logging.getLogger(__name__)

# A later part of a long SMS answered with a temporary error (ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR)
# is sent again on the spot, up to this many times, a pause apart: telcos count their cap over one second.
PART_RETRIES = 2
PART_RETRY_PAUSE = 1.0


class LinkDown(Exception):
    """The bind is gone (or never came): every message in flight is a temporary failure."""


class SmppTransport(Transport):
    scheme = "smpp"

    def __init__(self, settings: SmppSettings) -> None:
        self.settings = settings
        self.name = settings.name
        self.batch_size = settings.window  # a batch fills the window once; see Transport.batch_size
        self._sink: ReportSink | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._main: asyncio.Future | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._bound = False
        self._bound_since: datetime | None = None
        self._seq = 0
        self._pending: dict[int, asyncio.Future] = {}  # sequence number -> its response
        self._deadlines: dict[int, float] = {}  # sequence number -> monotonic deadline of a submit_sm_resp
        self._outbuf = bytearray()
        self._flush_scheduled = False
        self._window: asyncio.Semaphore | None = None
        self._rate = SendRate(settings.tps, settings.throttle_pause)
        self._concat_ref = 0
        self._mo = MoReader(settings.name, settings.mo_dedup)
        self._last_error = ""
        self._counters = {"sent": 0, "failed": 0, "receipts": 0, "mo": 0}
        self._recent_submits: deque[float] = deque(maxlen=50_000)  # for the live tps figure

    @classmethod
    def from_url(cls, url: str) -> SmppTransport:
        return cls(SmppSettings.from_url(url))

    # -- lifecycle (worker thread) ---------------------------------------------------------------
    def start(self, sink: ReportSink) -> None:
        if self._thread is not None:
            return
        self._sink = sink
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._window = asyncio.Semaphore(self.settings.window)
            self._main = self._loop.create_task(self._connection_loop())
            ready.set()
            with contextlib.suppress(asyncio.CancelledError):
                self._loop.run_until_complete(self._main)
            self._loop.close()

        self._thread = threading.Thread(target=run, name=f"smpp-{self.name}", daemon=True)
        self._thread.start()
        ready.wait()

    def stop(self, timeout: float = 5.0) -> None:
        """Unbind politely if bound, then cancel everything; returns within ``timeout``."""
        if self._thread is None or self._loop is None:
            return
        loop = self._loop
        with contextlib.suppress(RuntimeError, FutureTimeout):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        if self._main is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._main.cancel)
        self._thread.join(timeout)
        self._thread = None
        self._loop = None
        self._bound = False

    async def _shutdown(self) -> None:
        if self._bound and self._writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._request(pdu.UNBIND, b""), 2.0)
        self._bound = False

    def is_up(self) -> bool:
        return self._bound

    def state(self) -> dict:
        now = time.monotonic()
        recent = sum(1 for t in list(self._recent_submits) if now - t <= 10.0)  # list(): atomic copy
        return {
            "name": self.name,
            "scheme": self.scheme,
            "up": self._bound,
            "bound_since": self._bound_since.isoformat() if self._bound_since else None,
            "last_error": self._last_error,
            **self._counters,
            "tps": round(recent / 10.0, 1),
            "tps_limit": self._rate.rate,
            "window": self.settings.window,
            "outstanding": len(self._pending),
        }

    # -- sending (worker thread, then loop thread) --------------------------------------------------
    def submit(self, batch: Sequence[OutgoingSMS]) -> Future[list[SendResult]]:
        """Send ``batch`` on the loop thread; while unbound, every message is at once a temporary
        "link down" failure (the worker retries it, on another bind if one is up)."""
        if self._loop is None or not self._bound or not batch:
            return done([self._down_result(m) for m in batch])
        return asyncio.run_coroutine_threadsafe(self._send_batch(batch), self._loop)

    def _down_result(self, msg: OutgoingSMS) -> SendResult:
        return SendResult(msg.message_id, ok=False, temporary=True, error=f"link down: {self._last_error}")

    async def _send_batch(self, batch: Sequence[OutgoingSMS]) -> list[SendResult]:
        return list(await asyncio.gather(*(self._send_counted(m) for m in batch)))

    async def _send_counted(self, msg: OutgoingSMS) -> SendResult:
        try:
            res = await self._send_one(msg)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not lose the whole batch
            log.exception("smpp %s: message %s", self.name, msg.message_id)
            res = SendResult(msg.message_id, ok=False, temporary=True, error=f"internal: {exc!r}")
        self._counters["sent" if res.ok else "failed"] += 1
        return res

    async def _send_one(self, msg: OutgoingSMS) -> SendResult:
        """Submit the parts one after another; the first failing part fails the message."""
        s = self.settings
        source = msg.source or s.source_addr
        auto_ton, auto_npi = pdu.source_ton_npi(source)
        ton = auto_ton if s.source_ton is None else s.source_ton
        npi = auto_npi if s.source_npi is None else s.source_npi
        data_coding, payloads = pdu.encode_parts(msg.text, msg.encoding)
        total = len(payloads)
        if total > 1:
            self._concat_ref = (self._concat_ref + 1) & 0xFF
        ids: list[str] = []
        for seq, payload in enumerate(payloads, start=1):
            udh = pdu.concat_udh(self._concat_ref, total, seq) if total > 1 else b""
            body = pdu.submit_sm_body(
                source, ton, npi, msg.to, pdu.ESM_UDHI if udh else 0, data_coding, udh + payload
            )
            for attempt in range(1 + (PART_RETRIES if ids else 0)):
                try:
                    status, remote_id = await self._submit(body)
                except LinkDown as exc:
                    return SendResult(msg.message_id, False, tuple(ids), temporary=True, error=str(exc))
                if status not in pdu.TEMPORARY_STATUSES:
                    break
                self._rate.slow_down()
                if ids and attempt < PART_RETRIES:
                    # Earlier parts already reached the phone: failing the message now would make the
                    # worker send them again. Wait out the SMSC's one-second window and resend this part.
                    await asyncio.sleep(PART_RETRY_PAUSE)
            if status != pdu.ESME_ROK:
                temporary = status in pdu.TEMPORARY_STATUSES
                return SendResult(
                    msg.message_id, False, tuple(ids), temporary=temporary, error=pdu.esme_error(status)
                )
            ids.append(remote_id)
        return SendResult(msg.message_id, True, tuple(ids))

    async def _submit(self, body: bytes) -> tuple[int, str]:
        """One submit_sm: a place in the window, a token of the rate, then its resp."""
        assert self._window is not None
        async with self._window:
            wait = self._rate.delay()
            if wait > 0:
                await asyncio.sleep(wait)
            if not self._bound:
                raise LinkDown(f"link down: {self._last_error}")
            self._recent_submits.append(time.monotonic())
            try:
                status, resp_body = await self._request(pdu.SUBMIT_SM, body, self.settings.resp_timeout)
            except TimeoutError:
                raise LinkDown(f"no submit_sm_resp in {self.settings.resp_timeout:g}s") from None
            return status, pdu.message_id(resp_body) if status == pdu.ESME_ROK else ""

    def _write(self, data: bytes) -> None:
        """Queue a PDU; everything queued in one loop iteration leaves in one socket write.

        With a window of outstanding submits, several responses arrive together and free several
        places at once: one write for their submits instead of one system call each.
        """
        self._outbuf += data
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._writer is not None and self._outbuf:
            self._writer.write(bytes(self._outbuf))
        self._outbuf.clear()

    async def _request(self, command_id: int, body: bytes, timeout: float = 0.0) -> tuple[int, bytes]:
        """Write a request PDU and wait for its response (matched by sequence number).

        ``timeout`` > 0 registers a deadline enforced by ``_expire`` (one sweep over at most
        ``window`` entries for all of them) rather than an ``asyncio.wait_for`` task per submit.
        """
        if self._writer is None:
            raise LinkDown(f"link down: {self._last_error}")
        self._seq = self._seq % 0x7FFFFFFF + 1
        seq = self._seq
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[seq] = fut
        if timeout > 0:
            self._deadlines[seq] = time.monotonic() + timeout
        try:
            self._write(pdu.pdu(command_id, seq, body))
            return await fut
        finally:
            self._pending.pop(seq, None)
            self._deadlines.pop(seq, None)

    # -- connection (loop thread) -----------------------------------------------------------------
    async def _connection_loop(self) -> None:
        backoff = 1.0
        while True:
            try:
                await self._session_once()
                backoff = 1.0  # the bind worked; a later drop starts the backoff again
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure means reconnect
                self._last_error = str(exc) or type(exc).__name__
                log.warning("smpp %s: %s; reconnecting in %.0fs", self.name, self._last_error, backoff)
            finally:
                self._on_disconnect()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.settings.reconnect_max)

    def _on_disconnect(self) -> None:
        self._bound = False
        self._bound_since = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(LinkDown(f"link down: {self._last_error or 'connection lost'}"))
        self._pending.clear()
        self._deadlines.clear()

    async def _session_once(self) -> None:
        s = self.settings
        reader, writer = await asyncio.wait_for(asyncio.open_connection(s.host, s.port), s.connect_timeout)
        self._writer = writer
        self._outbuf.clear()
        self._seq = 0
        reader_task = asyncio.create_task(self._read_loop(reader))
        keepalive: asyncio.Task | None = None
        expiry: asyncio.Task | None = None
        try:
            body = pdu.bind_transceiver_body(s.system_id, s.password, s.system_type)
            try:
                status, _ = await asyncio.wait_for(self._request(pdu.BIND_TRANSCEIVER, body), s.connect_timeout)
            except TimeoutError:
                raise LinkDown("no bind_transceiver_resp") from None
            if status != pdu.ESME_ROK:
                raise LinkDown(f"bind refused: {pdu.esme_error(status)}")
            self._bound = True
            self._bound_since = datetime.now(UTC)
            self._last_error = ""
            log.info("smpp %s: bound to %s:%s", self.name, s.host, s.port)
            keepalive = asyncio.create_task(self._keepalive())
            expiry = asyncio.create_task(self._expire())
            finished, _ = await asyncio.wait({reader_task, keepalive}, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                task.result()  # re-raise why the session ended
            raise LinkDown("connection closed")
        finally:
            for task in (reader_task, keepalive, expiry):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task

    async def _expire(self) -> None:
        """Fail requests whose response is overdue (the SMSC lost or is sitting on them)."""
        interval = min(0.25, self.settings.resp_timeout / 4)
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for seq in [q for q, deadline in self._deadlines.items() if deadline <= now]:
                fut = self._pending.get(seq)
                if fut is not None and not fut.done():
                    fut.set_exception(TimeoutError())
                self._deadlines.pop(seq, None)

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.settings.enquire_link)
            try:
                await asyncio.wait_for(self._request(pdu.ENQUIRE_LINK, b""), self.settings.enquire_link)
            except TimeoutError:
                raise LinkDown("enquire_link not answered") from None

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                length, command_id, status, seq = pdu.unpack_header(await reader.readexactly(pdu.HEADER.size))
                if length < pdu.HEADER.size or length > pdu.MAX_PDU:
                    raise LinkDown(f"bad PDU length {length}")
                body = await reader.readexactly(length - pdu.HEADER.size)
                self._dispatch(command_id, status, seq, body)
        except asyncio.IncompleteReadError:
            raise LinkDown("connection closed by SMSC") from None
        except ConnectionError as exc:
            raise LinkDown(f"connection error: {exc}") from None

    def _dispatch(self, command_id: int, status: int, seq: int, body: bytes) -> None:
        if command_id & pdu.RESPONSE:  # a response (generic_nack included) to one of our requests
            fut = self._pending.get(seq)
            if fut is not None and not fut.done():
                fut.set_result((status, body))
            if command_id == pdu.UNBIND_RESP:
                self._bound = False
            return
        if command_id == pdu.DELIVER_SM:
            # Answer first and always 0: the SMSC must never redeliver because of our own trouble.
            self._write(pdu.pdu(pdu.DELIVER_SM_RESP, seq, b"\x00"))
            try:
                self._on_deliver_sm(seq, body)
            except Exception:  # a malformed PDU must not drop the link
                log.exception("smpp %s: bad deliver_sm of %d bytes", self.name, len(body))  # body holds a phone number
        elif command_id == pdu.ENQUIRE_LINK:
            self._write(pdu.pdu(pdu.ENQUIRE_LINK_RESP, seq))
        elif command_id == pdu.UNBIND:
            self._write(pdu.pdu(pdu.UNBIND_RESP, seq))
            raise LinkDown("unbound by SMSC")
        else:
            self._write(pdu.pdu(pdu.GENERIC_NACK, seq, status=pdu.ESME_RINVCMDID))

    def _on_deliver_sm(self, seq: int, body: bytes) -> None:
        assert self._sink is not None
        sm = pdu.parse_deliver_sm(body)
        if sm.is_receipt:
            report = parse_receipt(sm, self.name)
            if report is not None:
                self._counters["receipts"] += 1
                self._sink.delivery_report(report)
            return
        since = int(self._bound_since.timestamp()) if self._bound_since else 0
        incoming = self._mo.read(sm, unique=f"{since}-{seq}")
        if incoming is not None:
            self._counters["mo"] += 1
            self._sink.incoming(incoming)
