"""Fixtures for the security tests: a configured gateway, and ``motcua`` run as a real process."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers.kannel import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "gw-" + "t" * 29
GATEWAY_SMS_URL = "sim:// kannel://u:p@127.0.0.1:9?name=kannel"


@pytest.fixture
def gateway(settings) -> str:
    """A kannel connection named ``kannel`` and its token, as a production configuration has them."""
    settings.MOTCUA = {**settings.MOTCUA, "GATEWAY_TOKEN": TOKEN, "SMS_URL": GATEWAY_SMS_URL}
    return TOKEN


def production_env(**extra: str) -> dict[str, str]:
    """The environment docs/DEPLOY.md documents for production, minus the machine's own addresses."""
    # Not this test process's own: browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which a deployment must not.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "DJANGO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "motcua.settings",
            "MOTCUA_SECRET_KEY": secrets.token_urlsafe(50),
            "MOTCUA_PUBLIC_URL": "https://motcua.example.gov.vn",
            "MOTCUA_ALLOWED_HOSTS": "motcua.example.gov.vn,127.0.0.1",
            "MOTCUA_SMS_URL": "smpp://u:p@127.0.0.1:9?name=vtl",
            "MOTCUA_GATEWAY_TOKEN": TOKEN,
            "MOTCUA_SECURE_COOKIES": "1",
            "MOTCUA_HSTS_SECONDS": "31536000",
            "MOTCUA_HSTS_INCLUDE_SUBDOMAINS": "1",
            "MOTCUA_HSTS_PRELOAD": "1",
            "MOTCUA_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "MOTCUA_SSL_REDIRECT": "1",
            "MOTCUA_LOG_FORMAT": "kv",
        }
    )
    env.update(extra)
    return env


def motcua(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "motcua.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )


@dataclass
class Server:
    port: int
    proc: subprocess.Popen
    log: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:  # our own server on loopback
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def served(tmp_path) -> Iterator[Server]:
    """``motcua serve`` on a free port, production settings, its own SQLite file (migrated first)."""
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'served.sqlite3'}",
                         MOTCUA_SMS_URL="kannel://u:p@127.0.0.1:9?name=kannel", MOTCUA_SSL_REDIRECT="0")
    migrated = motcua("migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="motcua-serve-", suffix=".log", dir=tmp_path)[1])
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "motcua.cli", "serve", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    server = Server(port, proc, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, server.output()
            try:
                if server.get("/healthz")[0] in (200, 503):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


PASSWORD = "Mật-khẩu-đủ-dài-2026"


@pytest.fixture
def people(province, django_user_model, settings):
    """A province administrator, an agency administrator who is also ``is_staff``, and agency staff."""
    from motcua.desk.models import Role, StaffProfile

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    province_admin = django_user_model.objects.create_superuser("tinh", "tinh@example.vn", PASSWORD)
    agency_admin = django_user_model.objects.create_user("hung", password=PASSWORD, is_staff=True)
    StaffProfile.objects.create(user=agency_admin, agency=province["016"], role=Role.AGENCY_ADMIN)
    staff = django_user_model.objects.create_user("lan", password=PASSWORD)
    StaffProfile.objects.create(user=staff, agency=province["010"], role=Role.STAFF)
    return {"province": province_admin, "agency_admin": agency_admin, "staff": staff}
