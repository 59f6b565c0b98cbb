"""Start, drive and stop the node SMSC (``tests/peers/smsc.js``) from Python tests and benchmarks.

``NodeSMSC`` is a context manager: it runs ``node smsc.js`` on 127.0.0.1, waits for its
``LISTENING <smpp> <control>`` line (so tests never race the bind), talks to its HTTP control
channel with the standard library only, and kills the process on exit whatever happened.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

PEERS_DIR = Path(__file__).resolve().parent
SMSC_JS = PEERS_DIR / "smsc.js"


class NodeSMSCError(RuntimeError):
    pass


class NodeSMSC:
    """A scriptable SMPP SMSC for tests. ``port=0`` lets the OS pick a free port."""

    def __init__(
        self,
        port: int = 0,
        control_port: int = 0,
        system_id: str = "motcua",
        password: str = "secret",
        start_timeout: float = 15.0,
    ) -> None:
        self.port = port
        self.control_port = control_port
        self.system_id = system_id
        self.password = password
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: list[str] = []

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> NodeSMSC:
        node = shutil.which("node")
        if node is None:
            raise NodeSMSCError("node is not installed")
        if not (PEERS_DIR / "node_modules" / "smpp").is_dir():
            raise NodeSMSCError(f"run `npm ci` in {PEERS_DIR} first (node-smpp missing)")
        env = {
            **os.environ,
            "SMSC_PORT": str(self.port),
            "SMSC_CONTROL_PORT": str(self.control_port),
            "SMSC_SYSTEM_ID": self.system_id,
            "SMSC_PASSWORD": self.password,
        }
        self._proc = subprocess.Popen(
            [node, str(SMSC_JS)],
            cwd=PEERS_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        line = self._read_listening_line()
        _, smpp_port, control_port = line.split()
        self.port, self.control_port = int(smpp_port), int(control_port)
        return self

    def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)

    def _read_listening_line(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self._proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        if not result or not result[0].startswith("LISTENING"):
            self.stop()
            raise NodeSMSCError(f"node SMSC did not start: {''.join(self._stderr)[-2000:]}")
        return result[0]

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        self._proc = None

    def __enter__(self) -> NodeSMSC:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- connection details ------------------------------------------------------------------
    def url(self, **params: Any) -> str:
        """An ``smpp://`` URL for SmppTransport pointing at this SMSC; ``params`` become the query."""
        query = "&".join(f"{k}={v}" for k, v in params.items())
        base = f"smpp://{self.system_id}:{self.password}@127.0.0.1:{self.port}"
        return f"{base}?{query}" if query else base

    # -- control channel ---------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body or {}).encode() if method == "POST" else None
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.control_port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def configure(self, **settings: Any) -> dict:
        """Change fault modes: id_style ('dec'|'hex'|'zeros'), receipt_delay_ms, resp_delay_ms,
        throttle_share, tps_cap (accepted submit_sm per bind in any 1000 ms, beyond: ESME_RTHROTTLED),
        no_receipt_share, duplicate_receipts, unknown_receipts, drop_every_ms, record."""
        return self._call("POST", "/config", settings)

    def reset(self) -> None:
        self._call("POST", "/reset")

    def drop(self) -> None:
        """Cut every SMPP connection now (as a telco link flap would)."""
        self._call("POST", "/drop")

    def inject_mo(
        self,
        text: str,
        sender: str = "84912345678",
        recipient: str = "8083",
        data_coding: int = 8,
        parts: int = 1,
        concat: str = "udh8",
    ) -> int:
        """Send an MO to every bound client; ``parts`` > 1 splits it (concat 'udh8', 'udh16' or 'sar')."""
        body = {
            "text": text,
            "sender": sender,
            "recipient": recipient,
            "data_coding": data_coding,
            "parts": parts,
            "concat": concat,
        }
        return self._call("POST", "/mo", body)["sent"]

    def inject_receipt(self, remote_id: str, stat: str = "DELIVRD") -> int:
        return self._call("POST", "/receipt", {"id": remote_id, "stat": stat})["sent"]

    def submits(self) -> list[dict]:
        """Every submit_sm received, in arrival order, with the raw short_message as hex."""
        return self._call("GET", "/submits")

    def stats(self) -> dict:
        return self._call("GET", "/stats")

    def wait_bound(self, timeout: float = 10.0, sessions: int = 1) -> None:
        """Wait until at least ``sessions`` clients are bound (after start or a reconnect)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stats()["bound_sessions"] >= sessions:
                return
            time.sleep(0.05)
        raise NodeSMSCError("no client bound in time")
