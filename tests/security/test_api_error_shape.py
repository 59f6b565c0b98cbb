"""Threat (robustness): API clients receiving HTML error pages or other shapes they cannot parse, and
inputs that turn into a 500. Every answer under /api/ is ``{"errors": [{"field", "message"}]}``,
UTF-8 JSON, 404/405/413/500 included."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from motcua.dossiers import services


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content.decode("utf-8"))
    assert set(body) == {"errors"} and body["errors"]
    for item in body["errors"]:
        assert set(item) == {"field", "message"} and item["field"] and item["message"].strip()
    return body


@pytest.fixture
def key(api_key) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key('016')}"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/", "/api/v2/dossiers", "/api/v1/khong-co", "/api/v1/dossiers/x/y/z",
                                  "/api/v1/dossiers/a%0Ab/messages/extra"])
def test_an_unknown_route_is_a_json_404(client, key, path):
    assert_error_shape(client.get(path, headers=key), 404)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/%00", "/api/v1/dossiers/016%0017", "/api/v1/dossiers?agency=0%001",
                                  "/api/v1/lookup?code=%00&access_code=x"])
def test_a_nul_anywhere_in_the_url_is_a_json_400(client, key, path):
    assert_error_shape(client.get(path, headers=key), 400)


@pytest.mark.django_db
def test_a_wrong_method_is_a_json_405_with_allow(client, key):
    response = client.delete("/api/v1/dossiers", headers=key)
    assert_error_shape(response, 405)
    assert "GET" in response["Allow"] and "POST" in response["Allow"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/dossiers", "/api/v1/dvcqg"])
def test_a_10_mb_body_is_a_json_413(client, key, path):
    body = json.dumps({"service": "DongBoHoSoMC", "data": ["x" * 1000] * 10_000})
    assert len(body) > 10_000_000
    assert_error_shape(client.post(path, body, content_type="application/json", headers=key), 413)


@pytest.mark.django_db
def test_an_unexpected_error_is_a_json_500_and_logged_without_the_body(client, key, province, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "create_dossier", broken)
    payload = {"procedure": "1.004628", "applicant": "Nguyễn Văn Bí Mật", "phone": "0912345678"}
    with caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).post(
            "/api/v1/dossiers", payload, content_type="application/json", headers=key)
    assert_error_shape(response, 500)
    assert "boom" not in response.content.decode()
    assert any("/api/v1/dossiers" in r.getMessage() for r in caplog.records)
    assert not any("Bí Mật" in r.getMessage() or "0912345678" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["mc_\x00_x", "mc_ab\x00cd_ef", "\x00", "mc_" + "a" * 5000, "mc_\u0085_x"])
def test_a_nul_or_control_character_in_the_key_is_a_json_401(client, province, token):
    assert_error_shape(client.get("/api/v1/dossiers", HTTP_AUTHORIZATION=f"Bearer {token}"), 401)


@pytest.mark.django_db
def test_errors_and_answers_are_utf8_not_escaped(client, key, make_dossier):
    missing = client.get("/api/v1/dossiers/0169999999", headers=key)
    assert_error_shape(missing, 404)
    assert "Không tìm thấy".encode() in missing.content and b"\\u" not in missing.content
    dossier = make_dossier()
    found = client.get(f"/api/v1/dossiers/{dossier.code}", headers=key)
    assert found.status_code == 200 and "Nguyễn Văn An".encode() in found.content


@pytest.mark.django_db
def test_the_public_lookup_uses_the_same_shape(client, make_dossier):
    make_dossier(code="0161701234")
    body = assert_error_shape(client.get("/api/v1/lookup", {"code": "0161701234", "access_code": "WRONG1"}), 404)
    assert body["errors"][0]["field"] == "code"
    assert_error_shape(client.get("/api/v1/lookup", {"code": "0161701234"}), 400)


@pytest.mark.django_db
def test_malformed_json_is_a_json_4xx(client, key):
    response = client.post("/api/v1/dossiers", b'{"procedure": ', content_type="application/json", headers=key)
    assert 400 <= response.status_code < 500
    assert_error_shape(response, response.status_code)
