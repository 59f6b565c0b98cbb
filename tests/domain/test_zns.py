"""The pure ZNS rules: template parameters, what Zalo's codes mean for a notice, the webhook signature, savings."""

from __future__ import annotations

import hashlib

import pytest

from motcua.domain import zns


def test_our_fields_fill_the_parameters_the_agency_mapped():
    mapping = zns.check_mapping({"code": "ma_ho_so", "agency": " co_quan ", "appointment_date": "", "lookup_link": "link"})
    assert mapping == {"code": "ma_ho_so", "agency": "co_quan", "lookup_link": "link"}
    data = zns.template_data(mapping, {"code": "0162600001", "agency": "Sở Du lịch", "lookup_link": "x" * 300})
    assert data == {"ma_ho_so": "0162600001", "co_quan": "Sở Du lịch", "link": "x" * zns.MAX_PARAM_LENGTH}


@pytest.mark.parametrize("mapping", [{"code": "a", "agency": "a"}, {"code": ""}, {"phone": "so_dt"}])
def test_a_mapping_that_cannot_fill_a_template_is_refused(mapping):
    with pytest.raises(zns.MappingError):
        zns.check_mapping(mapping)


@pytest.mark.parametrize(("code", "outcome"), [
    (-100, zns.Outcome.TEMPORARY), (-124, zns.Outcome.TOKEN), (-104, zns.Outcome.ACCOUNT),
    (-115, zns.Outcome.ACCOUNT), (-117, zns.Outcome.ACCOUNT), (-144, zns.Outcome.ACCOUNT),
    (-118, zns.Outcome.PERSON), (-108, zns.Outcome.PERSON), (-114, zns.Outcome.PERSON), (-141, zns.Outcome.PERSON),
    (-9999, zns.Outcome.PERSON),
])
def test_zalo_codes_decide_between_retry_refresh_and_sms_at_once(code, outcome):
    assert zns.classify(code) is outcome


def test_the_webhook_signature_is_sha256_of_app_id_body_timestamp_and_oa_secret():
    body = '{"event_name":"user_received_message","timestamp":"1790000000000"}'
    expected = hashlib.sha256(f"app{body}1790000000000oa-secret".encode()).hexdigest()
    assert zns.webhook_signature("app", body, "1790000000000", "oa-secret") == expected
    assert zns.signature_ok(f"mac={expected}", "app", body, "1790000000000", "oa-secret")
    assert zns.signature_ok(expected.upper(), "app", body, "1790000000000", "oa-secret")
    assert not zns.signature_ok(expected, "app", body + " ", "1790000000000", "oa-secret")
    assert not zns.signature_ok(zns.webhook_signature("app", body, "1", ""), "app", body, "1", "")  # no key: never


def test_savings_against_sms_only():
    figures = zns.savings(zns.ChannelFigures(sent=9, delivered=8, cost=2700), zns.ChannelFigures(sent=1, delivered=1, cost=1600),
                          zns_attempts=10, fallbacks=2, sms_only_cost=16000)
    assert figures.saved == 16000 - 2700 - 1600
    assert figures.fallback_rate == 0.2
    assert zns.savings(zns.ChannelFigures(), zns.ChannelFigures(), 0, 0, 0).fallback_rate is None


def test_each_named_code_has_one_meaning():
    named = [zns.TEMPORARY_CODES, zns.TOKEN_CODES, zns.PERSON_CODES, zns.ACCOUNT_CODES]
    assert sum(len(s) for s in named) == len(frozenset().union(*named))
    assert {zns.classify(c) for c in zns.PERSON_CODES} == {zns.Outcome.PERSON}
    assert {zns.classify(c) for c in zns.ACCOUNT_CODES} == {zns.Outcome.ACCOUNT}
