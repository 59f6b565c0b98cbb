"""``motcua demo`` serves with the production server (Granian), not Django's development server."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from motcua.desk.server import parse_addrport


def test_addrport_forms():
    assert parse_addrport("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert parse_addrport("8001") == ("127.0.0.1", 8001)
    assert parse_addrport("[::1]:8002") == ("::1", 8002)
    with pytest.raises(ValueError):
        parse_addrport("localhost:http")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_pages_and_static_files_with_granian(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (tmp_path / "demo.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "motcua.cli", "demo", f"127.0.0.1:{port}"], cwd=tmp_path,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        body = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    body = r.read().decode()
                    break
            except OSError:
                assert proc.poll() is None, (tmp_path / "demo.log").read_text()
                time.sleep(0.3)
        assert "Tra cứu hồ sơ thủ tục hành chính" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/ninja/swagger-ui-bundle.js", timeout=5) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico", timeout=5) as r:
            assert r.headers["Content-Type"] == "image/svg+xml"
        # The web process writes, and the worker (a process of its own) sends what the write queued.
        text = (tmp_path / "demo.log").read_text()
        key = re.search(r"API key \(016\): (\S+)", text)[1]
        code = re.search(r"Demo dossier:\s+code (\S+)", text)[1]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/dossiers/{code}/events", data=b'{"type": "result_ready"}',
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as r:
            assert r.status == 201
        status = None
        while time.monotonic() < deadline and status in (None, "queued", "sending"):
            with sqlite3.connect(tmp_path / "demo.sqlite3", timeout=30) as db:
                row = db.execute("select m.status from messaging_message m join dossiers_dossier d "
                                 "on d.id = m.dossier_id where d.code = ? and m.kind = 'result'", (code,)).fetchone()
            status = row[0] if row else None
            time.sleep(0.2)
        assert status == "delivered", status
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = (tmp_path / "demo.log").read_text()
    assert "granian" in output.lower()
    assert "development server" not in output.lower() and "runserver" not in output
    assert "Demo dossier:" in output
