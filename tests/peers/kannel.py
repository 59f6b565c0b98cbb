"""Start a real Kannel (bearerbox + smsbox) with ``fakesmsc`` as the "phone", on free 127.0.0.1 ports.

``KannelPeer`` writes a ``kannel.conf`` into a temp dir, starts bearerbox, smsbox and a fakesmsc client,
and waits until an MO can make the round trip (so tests never race the boxes). What the phone receives
(MT messages) is parsed from fakesmsc's log into ``PhoneMessage`` with the text decoded exactly.

fakesmsc sends the messages given on its command line and cannot be fed later, and bearerbox's fake SMSC
serves one client at a time. So the phone is one fakesmsc process at a time: ``send_mo`` stops the current
one and starts a new one whose only message is the MO; it stays connected and receives the reply and any
later MT. The first phone sends ``PING`` (answered ``PONG`` by a static sms-service) to prove the path.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
GOT = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) ?(.*)>\s*$")


class KannelPeerError(RuntimeError):
    pass


@dataclass(frozen=True)
class PhoneMessage:
    """An MT as the phone got it; a concatenated message (UDH) is reassembled from its parts."""

    sender: str
    receiver: str
    kind: str  # "text" (GSM, fakesmsc shows it as is) or "ucs-2" (UTF-16BE on the air)
    text: str
    parts: int = 1


def url_bytes(data: str) -> bytes:
    """fakesmsc URL-encodes binary bodies with ``+`` for the byte 0x20."""
    return unquote_to_bytes(data.replace("+", "%20"))


def concat_info(udh: bytes) -> tuple[int, int, int] | None:
    """(reference, total, sequence) from a concatenation IE (0x00: 8-bit ref, 0x08: 16-bit ref)."""
    i = 1
    while i + 1 < len(udh):
        iei, length = udh[i], udh[i + 1]
        data = udh[i + 2 : i + 2 + length]
        if iei == 0x00 and length == 3:
            return data[0], data[1], data[2]
        if iei == 0x08 and length == 4:
            return (data[0] << 8) | data[1], data[2], data[3]
        i += 2 + length
    return None


def parse_phone_lines(lines: list[str]) -> list[PhoneMessage]:
    """fakesmsc's "Got message N: <from to type body>" lines. Types seen from Kannel 1.4.5: ``text``
    (GSM), ``ucs-2`` (UTF-16BE, URL-encoded) and, for each part of a long message, ``udh <udh>
    data <UTF-16BE>`` or ``udh <udh> text <text>``."""
    out: list[PhoneMessage] = []
    pending: dict[tuple[str, str, int, int], dict[int, str]] = {}
    for line in lines:
        m = GOT.search(line)
        if not m:
            continue
        sender, receiver, kind, body = m.groups()
        if kind == "ucs-2":
            out.append(PhoneMessage(sender, receiver, kind, url_bytes(body).decode("utf-16-be")))
        elif kind == "udh":
            udh_field, payload_kind, payload = (body.split(" ", 2) + ["", ""])[:3]
            text = url_bytes(payload).decode("utf-16-be") if payload_kind == "data" else payload
            info = concat_info(url_bytes(udh_field))
            part_kind = "ucs-2" if payload_kind == "data" else "text"
            if info is None:
                out.append(PhoneMessage(sender, receiver, part_kind, text))
                continue
            ref, total, seq = info
            got = pending.setdefault((sender, receiver, ref, total), {})
            got[seq] = text
            if len(got) == total:
                del pending[(sender, receiver, ref, total)]
                whole = "".join(got[i] for i in sorted(got))
                out.append(PhoneMessage(sender, receiver, part_kind, whole, total))
        else:
            out.append(PhoneMessage(sender, receiver, kind, body))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class KannelPeer:
    """bearerbox + smsbox + a fakesmsc phone. ``mo_url``: our ``/sms/mo`` as Kannel must call it."""

    def __init__(
        self,
        mo_url: str,
        username: str = "motcua",
        password: str = "secret",
        short_code: str = "8083",
        phone: str = "84912345678",
        start_timeout: float = 20.0,
    ) -> None:
        self.mo_url = mo_url
        self.username, self.password = username, password
        self.short_code, self.phone = short_code, phone
        self.start_timeout = start_timeout
        self.admin_port = self.smsbox_port = self.smsc_port = self.sendsms_port = 0
        self.dir = Path(tempfile.mkdtemp(prefix="motcua-kannel-"))
        self.admin_password = "adminpw"
        self._boxes: list[subprocess.Popen[bytes]] = []
        self._phone: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._cond = threading.Condition()

    # -- configuration ---------------------------------------------------------------------------
    def config(self) -> str:
        d = self.dir
        sep = "&" if "?" in self.mo_url else "?"  # the URL may carry our gateway token already
        get_url = f"{self.mo_url}{sep}from=%p&to=%P&text=%b&id=%I&coding=%c&charset=%C&conn=kannel"
        # No blank line inside a group: a blank line ends the group in kannel.conf.
        service = f"""get-url = "{get_url}"
accept-x-kannel-headers = true
omit-empty = true
max-messages = 3
concatenation = true
"""
        return f"""
group = core
admin-port = {self.admin_port}
admin-password = {self.admin_password}
admin-interface = 127.0.0.1
smsbox-port = {self.smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{d}/bearerbox.log"
log-level = 0
access-log = "{d}/access.log"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {self.smsc_port}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
log-file = "{d}/smsbox.log"
log-level = 0
access-log = "{d}/smsbox-access.log"

group = sendsms-user
username = {self.username}
password = {self.password}
max-messages = 3
concatenation = true

group = sms-service
keyword = ping
text = "PONG"

group = sms-service
keyword = mckh
{service}
group = sms-service
keyword = default
catch-all = true
{service}"""

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> KannelPeer:
        for exe in (BEARERBOX, SMSBOX, FAKESMSC):
            if not Path(exe).exists():
                raise KannelPeerError(f"{exe} missing: apt-get install kannel kannel-extras")
        self.admin_port, self.smsbox_port, self.smsc_port, self.sendsms_port = (free_port() for _ in range(4))
        conf = self.dir / "kannel.conf"
        conf.write_text(self.config())
        self._boxes.append(self._spawn_box(BEARERBOX, conf, "bearerbox"))
        if not (wait_port(self.smsbox_port, self.start_timeout) and wait_port(self.smsc_port, self.start_timeout)):
            raise KannelPeerError(f"bearerbox did not listen:\n{self.log_tail('bearerbox')}")
        self._boxes.append(self._spawn_box(SMSBOX, conf, "smsbox"))
        if not wait_port(self.sendsms_port, self.start_timeout):
            raise KannelPeerError(f"smsbox did not listen:\n{self.log_tail('smsbox')}")
        self.start_phone(f"{self.phone} {self.short_code} text PING")
        if self.wait_for(lambda m: m.text == "PONG", self.start_timeout) is None:
            raise KannelPeerError(f"no PONG through Kannel:\n{self.log_tail('bearerbox')}\n{self.phone_log()}")
        return self

    def _spawn_box(self, exe: str, conf: Path, name: str) -> subprocess.Popen[bytes]:
        out = open(self.dir / f"{name}.out", "wb")  # noqa: SIM115 - kept open for the process's life
        return subprocess.Popen([exe, str(conf)], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

    def start_phone(self, *messages: str) -> None:
        """(Re)connect the phone; it sends ``messages`` once (fakesmsc always sends at least one)."""
        self.stop_phone()
        self._phone = subprocess.Popen(
            [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port), "-i", "0.1", "-m", str(len(messages)),
             *messages],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        threading.Thread(target=self._read_phone, args=(self._phone,), daemon=True).start()

    def _read_phone(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._cond:
                self._lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def stop_phone(self) -> None:
        if self._phone is not None:
            _stop(self._phone)
            self._phone = None

    def stop(self) -> None:
        self.stop_phone()
        for proc in reversed(self._boxes):
            _stop(proc)
        self._boxes.clear()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> KannelPeer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the phone ---------------------------------------------------------------------------------
    def send_mo(self, text: str, sender: str | None = None, to: str | None = None) -> None:
        """The citizen texts ``text``. Non-ASCII text goes as UCS-2, as a handset would send it."""
        sender, to = sender or self.phone, to or self.short_code
        if text.isascii():
            self.start_phone(f"{sender} {to} text {text}")
        else:
            self.start_phone(f"{sender} {to} ucs2 {quote(text.encode('utf-16-be'), safe='')}")

    def received(self) -> list[PhoneMessage]:
        with self._cond:
            lines = list(self._lines)
        return parse_phone_lines(lines)

    def wait_for(self, predicate, timeout: float = 15.0) -> PhoneMessage | None:
        """The first received MT matching ``predicate``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for message in self.received():
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(min(remaining, 0.2))

    # -- diagnostics -------------------------------------------------------------------------------
    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def kannel_url(self, **params: object) -> str:
        query = "&".join(f"{k}={quote(str(v), safe='/:')}" for k, v in params.items())
        return f"kannel://{self.username}:{self.password}@127.0.0.1:{self.sendsms_port}?{query}"

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password={self.admin_password}"
        with urllib.request.urlopen(url, timeout=5) as r:  # our own local admin port
            return r.read().decode()

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.dir / f"{name}.log"
        if not path.exists():
            path = self.dir / f"{name}.out"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def phone_log(self) -> str:
        with self._cond:
            return "\n".join(self._lines[-30:])


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
