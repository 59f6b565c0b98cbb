"""ZNS first, SMS as the fallback: the worker, the ZNS peer (tests/peers/zns.py) and the simulator for SMS.

What a citizen notices: exactly one notice per cause — the ZNS message, or the SMS when Zalo cannot reach
them (refused at once, tries used up, or no delivery event in time) — and the desk shows both attempts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from motcua.dossiers import services
from motcua.dossiers.models import DossierEvent
from motcua.messaging.connections import Router
from motcua.messaging.models import Channel, GatewayReport, Message, Status, ZnsAgency, ZnsTemplate, ZnsToken
from motcua.messaging.worker import Worker
from tests.conftest import local
from tests.peers import zns as peer_codes
from tests.peers.zns import ZnsPeer

pytestmark = pytest.mark.django_db

APP = {"app_id": "app-1", "app_secret": "app-secret", "oa_secret_key": "oa-secret", "refresh_token": "refresh-0"}
PARAMS = {"code": "ma_ho_so", "agency": "ten_co_quan", "appointment_date": "ngay_hen", "lookup_link": "tra_cuu"}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def peer():
    with ZnsPeer(**APP) as p:
        yield p


@pytest.fixture
def zns_settings(settings, peer):
    settings.MOTCUA = {
        **settings.MOTCUA, "QUIET_HOURS": "", "ZNS_APP_ID": APP["app_id"], "ZNS_APP_SECRET": APP["app_secret"],
        "ZNS_OA_SECRET_KEY": APP["oa_secret_key"], "ZNS_REFRESH_TOKEN": APP["refresh_token"],
        "SMS_URL": f"{peer.zns_url()} sim://", "ZNS_FALLBACK_AFTER": 600, "MAX_ATTEMPTS": 3,
    }
    return settings


@pytest.fixture
def zns_agency(province, zns_settings):
    agency = province["016"]
    ZnsAgency.objects.create(agency=agency, enabled=True)
    for kind in ("result", "supplement", "apology"):
        ZnsTemplate.objects.create(agency=agency, kind=kind, template_id=f"31{len(kind)}", params=PARAMS)
    return agency


@pytest.fixture
def worker(zns_settings):
    w = Worker(router=Router.from_setting(settings.MOTCUA["SMS_URL"]), name="t", clock=Clock(timezone.now() + timedelta(seconds=30)),
               run_batch=False)
    yield w
    w.stop()


def result_for(make_dossier, phone: str = "0912345678"):
    dossier = make_dossier(phone=phone)
    services.apply_event(dossier, DossierEvent.RESULT_READY, actor="desk")
    return dossier


def run(worker: Worker, passes: int = 3) -> None:
    for _ in range(passes):
        worker.last_housekeeping = 0.0
        worker.tick()


def post_pending(client, peer: ZnsPeer, n: int = 1) -> None:
    assert peer.wait_for(lambda: len(peer.pending) >= n), "the peer sent no delivery event"
    for body, headers in peer.take_pending():
        response = client.post("/zalo/webhook", body, content_type="application/json",
                                HTTP_X_ZEVENT_SIGNATURE=headers["X-ZEvent-Signature"])
        assert response.status_code == 200


def notices(dossier) -> list[Message]:
    return list(Message.objects.filter(dossier=dossier).order_by("id"))


def test_a_notice_goes_by_zns_with_the_agency_template_and_no_sms(zns_agency, make_dossier, worker, peer, client):
    dossier = result_for(make_dossier)
    [message] = notices(dossier)
    assert message.channel == Channel.ZNS and message.template_id == "316"
    run(worker)
    [send] = peer.accepted()
    assert send["phone"] == "84912345678"
    assert send["template_id"] == "316" and send["tracking_id"] == str(message.pk)
    assert send["template_data"]["ma_ho_so"] == dossier.code
    assert send["template_data"]["ten_co_quan"] == "Sở Du lịch"
    assert f"code={dossier.code}" in send["template_data"]["tra_cuu"]
    post_pending(client, peer)
    run(worker)
    [message] = notices(dossier)
    assert message.status == Status.DELIVERED and message.connection == "zns"
    assert message.cost == settings.MOTCUA["ZNS_PRICE"]
    # The token pair was rotated and kept.
    row = ZnsToken.objects.get(name="zns")
    assert row.refresh_token != APP["refresh_token"] and row.refreshes == 1


@pytest.mark.parametrize("code", [peer_codes.NO_ZALO_ACCOUNT, peer_codes.USER_INACTIVE_OR_REFUSES,
                                  peer_codes.PHONE_INVALID, peer_codes.TEMPLATE_NOT_ALLOWED,
                                  peer_codes.INSUFFICIENT_BALANCE])
def test_a_person_zalo_cannot_reach_gets_the_sms_at_once(zns_agency, make_dossier, worker, peer, code):
    peer.refuse("84912345678", code)
    dossier = result_for(make_dossier)
    run(worker)
    zns, sms = notices(dossier)
    assert zns.channel == Channel.ZNS and zns.status == Status.FAILED and str(code) in zns.error
    assert sms.channel == Channel.SMS and sms.fallback_of_id == zns.pk
    assert sms.status == Status.DELIVERED and sms.connection == "sim" and sms.text == zns.text
    assert zns.cost == 0 and sms.cost == sms.parts * settings.MOTCUA["PRICE_PER_PART"]  # Zalo charged nothing
    assert len(peer.sends) == 1  # refused once, never tried again


def test_out_of_quota_falls_back_to_sms(zns_agency, make_dossier, worker, peer):
    peer.quota = 1
    first, second = result_for(make_dossier, "0912345678"), result_for(make_dossier, "0912345679")
    run(worker)
    # The two sends race for the last unit of quota: one gets it, the other goes by SMS.
    outcomes = sorted([notices(first), notices(second)], key=len)
    assert [m.status for m in outcomes[0]] == [Status.SENT]  # waits for its delivery event
    zns, sms = outcomes[1]
    assert "-144" in zns.error and sms.status == Status.DELIVERED


def test_no_delivery_event_in_time_sends_the_sms_and_a_late_one_does_not_count(
        zns_agency, make_dossier, worker, peer, client):
    dossier = result_for(make_dossier)
    run(worker)
    assert [m.status for m in notices(dossier)] == [Status.SENT]
    worker.clock.advance(seconds=599)
    run(worker)
    assert len(notices(dossier)) == 1  # not yet
    worker.clock.advance(seconds=2)
    run(worker)
    zns, sms = notices(dossier)
    assert sms.fallback_of_id == zns.pk and sms.status == Status.DELIVERED
    post_pending(client, peer)  # Zalo's event comes after all
    run(worker)
    zns.refresh_from_db()
    assert zns.status == Status.DELIVERED  # recorded...
    assert Message.objects.filter(fallback_of=zns).count() == 1  # ...and the SMS stays the notice
    run(worker)
    assert Message.objects.filter(dossier=dossier).count() == 2


def test_the_fallback_after_a_timeout_waits_for_the_end_of_quiet_hours(zns_agency, make_dossier, worker, peer):
    dossier = result_for(make_dossier)
    run(worker)
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": "21:00-07:00"}
    worker.clock.now = local(2026, 11, 24, 21, 30)
    Message.objects.filter(dossier=dossier).update(sent_at=local(2026, 11, 24, 21, 15))
    run(worker)
    zns, sms = notices(dossier)
    assert sms.status == Status.QUEUED and sms.not_before == local(2026, 11, 25, 7, 0)


def test_temporary_errors_retry_zns_with_backoff_before_any_sms(zns_agency, make_dossier, worker, peer, client):
    peer.fail_5xx(1)
    dossier = result_for(make_dossier)
    run(worker, passes=1)
    [message] = notices(dossier)
    assert message.status == Status.QUEUED and "unknown" in message.error
    worker.clock.advance(seconds=6)
    run(worker)
    [message] = notices(dossier)
    assert message.status == Status.SENT
    post_pending(client, peer)
    run(worker)
    assert [m.status for m in notices(dossier)] == [Status.DELIVERED]


def test_zns_tries_used_up_fall_back_to_sms(zns_agency, make_dossier, worker, peer):
    peer.fail_5xx(100)
    dossier = result_for(make_dossier)
    for _ in range(4):
        run(worker, passes=1)
        worker.clock.advance(seconds=700)
    zns, sms = notices(dossier)
    assert zns.status == Status.FAILED and zns.attempts == 3
    assert sms.status == Status.DELIVERED


def test_a_refused_access_token_is_refreshed_and_the_send_retried(zns_agency, make_dossier, worker, peer, client):
    first = result_for(make_dossier, "0912345678")
    run(worker)
    peer.expire_access_tokens()  # Zalo revoked it before its time
    second = result_for(make_dossier, "0912345679")
    run(worker, passes=1)
    assert notices(second)[0].status == Status.QUEUED
    worker.clock.advance(seconds=6)
    run(worker)
    assert notices(second)[0].status == Status.SENT
    assert len(peer.refreshes) == 2 and peer.refused_refreshes == 0
    assert [m.channel for m in notices(first) + notices(second)] == [Channel.ZNS, Channel.ZNS]


def test_forged_or_unknown_webhooks_change_nothing(zns_agency, make_dossier, worker, peer, client):
    dossier = result_for(make_dossier)
    run(worker)
    [send] = peer.accepted()
    body, headers = peer.signed_event(send["msg_id"])
    forged = client.post("/zalo/webhook", body, content_type="application/json",
                         HTTP_X_ZEVENT_SIGNATURE="mac=" + "0" * 64)
    tampered = client.post("/zalo/webhook", body.replace("app-1", "app-2"), content_type="application/json",
                           HTTP_X_ZEVENT_SIGNATURE=headers["X-ZEvent-Signature"])
    assert forged.status_code == tampered.status_code == 403
    assert not GatewayReport.objects.exists()
    unknown_body, unknown_headers = peer.signed_event("ffff0000ffff0000")
    assert client.post("/zalo/webhook", unknown_body, content_type="application/json",
                       HTTP_X_ZEVENT_SIGNATURE=unknown_headers["X-ZEvent-Signature"]).status_code == 200
    run(worker)
    assert [m.status for m in notices(dossier)] == [Status.SENT]


def test_agencies_without_zns_and_kinds_without_a_template_stay_sms(zns_agency, province, make_dossier, worker):
    ZnsTemplate.objects.filter(kind="result").delete()
    dossier = result_for(make_dossier)
    other = make_dossier(proc="press")
    services.apply_event(other, DossierEvent.RESULT_READY, actor="desk")
    assert [m.channel for m in notices(dossier) + notices(other)] == [Channel.SMS, Channel.SMS]


def test_the_dossier_timeline_shows_both_attempts_and_which_reached(zns_agency, make_dossier, worker, peer,
                                                                    admin_client):
    peer.refuse("84912345678", peer_codes.NO_ZALO_ACCOUNT)
    dossier = result_for(make_dossier)
    run(worker)
    page = admin_client.get(f"/desk/ho-so/{dossier.pk}").content.decode()
    assert "Zalo ZNS" in page and "Zalo account not existed" in page
    assert "Đã đến người dân" in page



def test_staff_set_the_zns_templates_and_see_them_beside_the_sms_text(province, zns_settings, admin_client):
    agency = province["016"]
    form = {"agency": agency.pk, "enabled": "on", "result-template_id": "248001", "result-code": "ma_ho_so",
            "result-agency": "co_quan", "result-lookup_link": "tra_cuu", "supplement-template_id": "",
            "apology-template_id": "abc"}
    refused = admin_client.post("/desk/zalo-zns", form)
    assert refused.status_code == 422 and not ZnsTemplate.objects.exists()
    form["apology-template_id"] = ""
    assert admin_client.post("/desk/zalo-zns", form).status_code == 302
    template = ZnsTemplate.objects.get(agency=agency, kind="result")
    assert template.template_id == "248001"
    assert template.params == {"code": "ma_ho_so", "agency": "co_quan", "lookup_link": "tra_cuu"}
    assert ZnsAgency.objects.get(agency=agency).enabled
    page = admin_client.get(f"/desk/mau-tin-nhan?agency={agency.pk}&kind=result").content.decode()
    assert "248001" in page and "ma_ho_so" in page
    page = admin_client.get(f"/desk/mau-tin-nhan?agency={agency.pk}&kind=apology").content.decode()
    assert "Chưa có mẫu ZNS cho loại tin này" in page


def test_reports_show_each_channel_the_fallback_rate_and_the_money_saved(zns_agency, make_dossier, worker, peer,
                                                                        client, admin_client):
    peer.refuse("84912345679", peer_codes.NO_ZALO_ACCOUNT)
    by_zalo, by_sms = result_for(make_dossier, "0912345678"), result_for(make_dossier, "0912345679")
    run(worker)
    post_pending(client, peer)
    run(worker)
    [zns_done] = notices(by_zalo)
    sms = notices(by_sms)[1]
    price = settings.MOTCUA["PRICE_PER_PART"]
    assert zns_done.status == Status.DELIVERED and sms.status == Status.DELIVERED
    page = admin_client.get("/desk/bao-cao").content.decode()
    assert "1/2 thông báo gửi qua Zalo phải gửi SMS thay" in page and "50,0%" in page
    saved = (zns_done.parts + sms.parts) * price - settings.MOTCUA["ZNS_PRICE"] - sms.parts * price
    assert f'<strong id="zns-saved">{saved} đ</strong>' in page
    # Per kind, two citizens got two notices, both delivered; only the SMS's parts are SMS parts.
    [result] = admin_client.get("/desk/bao-cao").context["r"].kinds
    assert (result["kind"], result["total"], result["statuses"]) == ("result", 2, {"delivered": 2})
    assert result["parts"] == sms.parts and result["cost"] == settings.MOTCUA["ZNS_PRICE"] + sms.cost
    # The telco bills those parts only, and the monthly usage it is reconciled with says the same.
    [line] = admin_client.get("/desk/su-dung").context["usage"]
    assert (line.agency, line.messages, line.parts) == ("016", 2, sms.parts)


def test_the_demo_simulator_shows_zns_as_a_zalo_bubble_and_the_fallback_as_sms(zns_agency, make_dossier, admin_client):
    settings.MOTCUA = {**settings.MOTCUA, "SMS_URL": "sim:// znssim://?refuse=84912345679"}
    by_zalo, by_sms = result_for(make_dossier, "0912345678"), result_for(make_dossier, "0912345679")
    worker = Worker(name="demo", clock=Clock(timezone.now() + timedelta(seconds=30)), run_batch=False)
    run(worker)
    worker.stop()
    assert [m.status for m in notices(by_zalo)] == [Status.DELIVERED]
    assert [(m.channel, m.status) for m in notices(by_sms)] == [(Channel.ZNS, Status.FAILED),
                                                                (Channel.SMS, Status.DELIVERED)]
    feed = admin_client.get("/desk/gia-lap/tin-nhan").json()
    bubbles = [b for thread in feed["threads"] for b in thread["bubbles"]]
    zalo = [b for b in bubbles if b["channel"] == "zns"]
    assert len(zalo) == 2 and all(b["text"].startswith("Zalo · Sở Du lịch") for b in zalo)  # the refused one too
    assert any(by_zalo.code in b["text"] for b in zalo)
    sms = [b for b in bubbles if b["channel"] == "sms"]
    assert [b["text"] for b in sms] == [notices(by_sms)[1].text]  # the SMS that replaced the ZNS, as an SMS


def test_an_unknown_zns_outcome_is_the_only_way_to_both_channels(zns_agency, make_dossier, peer):
    """Zalo answers too late every time: each try's outcome is unknown (Zalo did accept them), ZNS is tried
    again, and when the tries are used up the SMS goes too. This is the documented bound."""
    settings.MOTCUA = {**settings.MOTCUA, "SMS_URL": f"{peer.zns_url(timeout='0.3')} sim://"}
    peer.slow(0.8)
    dossier = result_for(make_dossier)
    worker = Worker(name="t", clock=Clock(timezone.now() + timedelta(seconds=30)), run_batch=False)
    for _ in range(3):
        run(worker, passes=1)
        worker.clock.advance(seconds=700)
    run(worker)
    worker.stop()
    zns, sms = notices(dossier)
    assert "outcome unknown" in zns.error and zns.status == Status.FAILED and zns.attempts == 3
    assert sms.status == Status.DELIVERED
    assert peer.wait_for(lambda: len(peer.accepted()) == 3)  # Zalo took every try: the citizen may get both


def test_zns_data_is_blanked_with_the_sms_text_by_retention(zns_agency, make_dossier, worker, peer):
    from motcua.ops.retention import purge_personal_data

    peer.refuse("84912345678", peer_codes.NO_ZALO_ACCOUNT)
    dossier = result_for(make_dossier)
    run(worker)
    purge_personal_data(days=0, now=timezone.now() + timedelta(days=1))
    zns, sms = notices(dossier)
    assert zns.template_data == {} and zns.to == "" and zns.text == "" and sms.text == ""


def test_no_secret_token_or_phone_reaches_the_logs(zns_agency, make_dossier, worker, peer, client, caplog):
    caplog.set_level("DEBUG")
    peer.refuse("84912345679", peer_codes.NO_ZALO_ACCOUNT)
    result_for(make_dossier, "0912345678")
    result_for(make_dossier, "0912345679")
    run(worker)
    post_pending(client, peer)
    peer.expire_access_tokens()
    result_for(make_dossier, "0912345670")
    run(worker)
    worker.clock.advance(seconds=6)
    run(worker)
    assert len(peer.refreshes) == 2
    secrets = [APP["app_secret"], APP["oa_secret_key"], *peer.refreshes, *peer.refresh_tokens, *peer.access_tokens]
    for secret in [*secrets, "912345678", "912345679", "912345670"]:
        assert secret not in caplog.text


def test_lookups_stay_on_8083_by_sms_with_zns_on(zns_agency, make_dossier, worker, peer):
    from motcua.messaging.inbound import handle_incoming
    from motcua.messaging.transports.base import IncomingSMS

    dossier = make_dossier()
    handle_incoming(IncomingSMS(sender="84912345678", recipient="8083", text=f"MCKH {dossier.code}",
                                connection="sim", remote_id="mo-zns-1"))
    run(worker)
    [reply] = Message.objects.filter(kind="lookup_reply")
    assert reply.channel == Channel.SMS and reply.status == Status.DELIVERED and dossier.code in reply.text
    assert peer.sends == []


def test_a_refusal_in_the_night_sends_the_sms_when_quiet_hours_end(zns_agency, make_dossier, worker, peer):
    peer.refuse("84912345678", peer_codes.NO_ZALO_ACCOUNT)
    dossier = result_for(make_dossier)
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": "21:00-07:00"}
    night = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=21, minute=30, second=0, microsecond=0)
    worker.clock.now = night
    run(worker)
    zns, sms = notices(dossier)
    assert zns.status == Status.FAILED
    assert sms.status == Status.QUEUED and sms.not_before == (night + timedelta(days=1)).replace(hour=7, minute=0)
