"""Vietnamese by default, English on request (issue 6): the desk and the public lookup in both
languages, the SMS texts untouched by the UI language, and a catalogue that covers every string."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from motcua.desk.models import Role, StaffProfile
from motcua.messaging.models import Message

PASSWORD = "mật-khẩu-đủ-dài-2026"
PO_FILE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def staff(province, django_user_model):
    user = django_user_model.objects.create_user("lan", password=PASSWORD)
    StaffProfile.objects.create(user=user, agency=province["016"], role=Role.STAFF)
    return user


def desk_client(user, **defaults) -> Client:
    c = Client(**defaults)
    c.force_login(user)
    return c


def english(c: Client) -> Client:
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return c


# --- the desk ---------------------------------------------------------------------------------


def test_desk_list_is_vietnamese_by_default(staff, make_dossier):
    make_dossier()
    page = desk_client(staff).get("/desk/").content.decode()
    assert '<html lang="vi">' in page
    for text in ("Tìm theo mã biên nhận hoặc số điện thoại", "Mai đến hạn, chưa có kết quả", "Tiếp nhận hồ sơ",
                 "Đăng xuất", "Mã biên nhận", "Hẹn trả"):
        assert text in page
    assert "Search by receipt code" not in page


def test_desk_list_is_english_with_the_language_cookie(staff, make_dossier):
    d = make_dossier()
    response = english(desk_client(staff)).get("/desk/")
    page = response.content.decode()
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in page
    for text in ("Search by receipt code or phone number", "Due tomorrow, no result yet", "Receive a dossier",
                 "Log out", "Receipt code", "Appointment"):
        assert text in page
    for text in ("Tìm theo mã biên nhận", "Mai đến hạn", "Đăng xuất"):
        assert text not in page
    assert d.code in page and "Nguyễn Văn An" in page  # data is shown as entered


def test_desk_ignores_accept_language_without_a_choice(staff):
    page = desk_client(staff, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/desk/tiep-nhan").content.decode()
    assert "Số điện thoại di động" in page and "Mobile phone number" not in page
    page = english(desk_client(staff, HTTP_ACCEPT_LANGUAGE="vi-VN,vi;q=0.9")).get("/desk/tiep-nhan").content.decode()
    assert "Mobile phone number" in page


def test_language_switcher_posts_to_set_language_and_sticks(staff):
    c = desk_client(staff)
    page = c.get("/desk/").content.decode()
    assert 'action="/i18n/setlang/"' in page and 'name="language"' in page
    assert '<option value="en" lang="en">English</option>' in page
    response = c.post("/i18n/setlang/", {"language": "en", "next": "/desk/"})
    assert response.status_code == 302 and response["Location"] == "/desk/"
    assert "Search by receipt code or phone number" in c.get("/desk/").content.decode()
    c.post("/i18n/setlang/", {"language": "vi", "next": "/desk/"})
    assert "Tìm theo mã biên nhận hoặc số điện thoại" in c.get("/desk/").content.decode()


def test_dossier_page_in_english_keeps_the_sms_text_vietnamese(staff, make_dossier):
    d = make_dossier()
    c = english(desk_client(staff))
    c.post(f"/desk/ho-so/{d.pk}/cap-nhat", {"action": "supplement_requested"})
    sms = Message.objects.get(dossier=d, kind="supplement")
    page = c.get(f"/desk/ho-so/{d.pk}").content.decode()
    assert "Dossier timeline" in page and "Print the receipt and appointment slip" in page
    assert "Diễn biến hồ sơ" not in page
    # The official notice, word for word, whatever language the staff member reads the desk in.
    assert sms.text.startswith("TB: Hồ sơ của quý ông/bà (MS: ")
    assert f'<div class="sms">{sms.text}</div>' in page


def test_states_events_and_sms_statuses_are_translated_too(staff, make_dossier):
    d = make_dossier()
    c = english(desk_client(staff))
    c.post(f"/desk/ho-so/{d.pk}/cap-nhat", {"action": "supplement_requested"})
    page = c.get(f"/desk/ho-so/{d.pk}").content.decode()
    assert "Waiting for supplement" in page  # the state
    assert "Supplement requested" in page  # the event (not the "Request a supplement" button)
    assert "Queued" in page  # the SMS status
    assert "Chờ gửi" not in page and "Yêu cầu bổ sung" not in page
    vietnamese = desk_client(staff).get(f"/desk/ho-so/{d.pk}").content.decode()
    assert "Chờ gửi" in vietnamese and "Yêu cầu bổ sung" in vietnamese


def test_action_flash_message_is_in_the_chosen_language(staff, make_dossier):
    d = make_dossier()
    c = english(desk_client(staff))
    page = c.post(f"/desk/ho-so/{d.pk}/cap-nhat", {"action": "supplement_requested"}, follow=True).content.decode()
    assert f"Request a supplement: dossier {d.code} updated." in page
    sms = Message.objects.get(dossier=d, kind="supplement")
    assert f'<div class="sms">{sms.text}</div>' in page  # the citizen's SMS is not translated


# --- the public lookup ------------------------------------------------------------------------


@pytest.fixture
def dossier(make_dossier):
    now = timezone.now()
    return make_dossier(received=now - timedelta(days=2), appointment=now + timedelta(days=5))


def test_lookup_is_vietnamese_by_default(client, dossier):
    page = client.get("/tra-cuu", {"code": dossier.code, "access_code": dossier.access_code}).content.decode()
    for text in ("Tra cứu hồ sơ", "Mã số biên nhận", "Bước hiện tại", "Quá trình xử lý", "Đúng hạn"):
        assert text in page
    assert "Dossier lookup" not in page


def test_lookup_is_english_with_accept_language(client, dossier):
    response = client.get("/tra-cuu", {"code": dossier.code, "access_code": dossier.access_code},
                          HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("Dossier lookup", "Receipt code", "Current step", "Processing history", "On time"):
        assert text in page
    for text in ("Tra cứu hồ sơ", "Bước hiện tại", "Đúng hạn"):
        assert text not in page
    assert "Cấp thẻ hướng dẫn viên" in page  # the procedure's own name is data


def test_lookup_error_message_is_translated(client, dossier):
    page = client.get("/tra-cuu", {"code": dossier.code, "access_code": "ZZZZZZ"},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No dossier matches the receipt code and access code you entered." in page
    page = client.get("/tra-cuu", {"code": dossier.code, "access_code": "ZZZZZZ"}).content.decode()
    assert "Không tìm thấy hồ sơ với mã số biên nhận và mã tra cứu đã nhập." in page


def test_public_lookup_switches_language_by_link_without_csrf(client, db):
    page = client.get("/tra-cuu").content.decode()
    assert 'href="/tra-cuu?lang=en"' in page and "csrfmiddlewaretoken" not in page
    response = client.get("/tra-cuu", {"lang": "en"})
    assert "Dossier lookup" in response.content.decode()
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Dossier lookup" in client.get("/tra-cuu").content.decode()  # the cookie sticks
    ignored = client.get("/tra-cuu", {"lang": "fr"})
    assert settings.LANGUAGE_COOKIE_NAME not in ignored.cookies


# --- the catalogue ----------------------------------------------------------------------------


def po_entries(path: Path) -> list[tuple[str, str, str]]:
    """(context, msgid, msgstr) of a .po file, header excluded (enough of the format for our own file)."""
    entries, key, parts = [], None, {"msgctxt": [], "msgid": [], "msgstr": []}
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith(("msgctxt ", "msgid ", "msgstr ")):
            key, _, rest = line.partition(" ")
            parts[key] = [ast.literal_eval(rest)]
        elif line.startswith('"') and key:
            parts[key].append(ast.literal_eval(line))
        elif not line.strip() and key:
            context, msgid, msgstr = ("".join(parts[k]) for k in ("msgctxt", "msgid", "msgstr"))
            if msgid:
                entries.append((context, msgid, msgstr))
            key, parts = None, {"msgctxt": [], "msgid": [], "msgstr": []}
    return entries


PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}|<[^>]+>")


def test_every_string_has_an_english_translation_and_the_compiled_catalogue_matches():
    entries = po_entries(PO_FILE)
    assert len(entries) > 200
    with translation.override("en"):
        for context, msgid, msgstr in entries:
            assert msgstr, f"untranslated: {msgid!r}"
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid
            got = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            assert got == msgstr, f"django.mo is older than django.po: {msgid!r}"
    with translation.override("vi"):
        assert translation.gettext("Tra cứu hồ sơ") == "Tra cứu hồ sơ"
