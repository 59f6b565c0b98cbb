"""Helpers for the dossier tests: payload variants from tests/fixtures/payloads, and what a citizen notices
(the SMS queued for them, the 8083 reply, the 17:30 apology the batch would send)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from django.test import Client

PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def post(client: Client, key: str, body: dict, expect: int = 200):
    response = client.post("/api/v1/dvcqg", data=json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == expect, response.content
    return response.json()


def replay(client: Client, key: str, name: str) -> list[dict]:
    """Send every body of a payload variant in order; the answers, each checked to be a 200."""
    return [post(client, key, body) for body in payload(name)["sends"]]


def citizen_sms(code: str) -> list[tuple[str, str]]:
    """(kind, text) of every SMS queued for the citizen of a dossier (skipped ones are not sent)."""
    from motcua.messaging.models import Message, Status

    return [(m.kind, m.text) for m in Message.objects.filter(dossier__code=code).exclude(
        status=Status.SKIPPED).order_by("id")]


def skipped_sms(code: str) -> list[tuple[str, str]]:
    from motcua.messaging.models import Message, Status

    return [(m.kind, m.skip_reason) for m in Message.objects.filter(dossier__code=code, status=Status.SKIPPED)]


def lookup_reply(code: str, now: datetime | None = None) -> str:
    """What the citizen reads after texting ``MCKH <code>`` to 8083."""
    from motcua.lookup.replies import answer_text

    return answer_text(f"MCKH {code}", now).text


def apology_would_go_to(code: str, batch_day: date) -> bool:
    """Whether the 17:30 batch of ``batch_day`` would text this dossier's citizen "chưa có kết quả"."""
    from motcua.messaging.batch import run_apology_batch
    from tests.conftest import local

    report = run_apology_batch(local(batch_day.year, batch_day.month, batch_day.day, 17, 30), dry_run=True)
    return any(c == code for c, _ in report.queued)


@pytest.fixture
def client() -> Client:
    return Client()
