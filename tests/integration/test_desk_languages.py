"""Every desk page in Vietnamese and in English: no English fragment in a Vietnamese page, no
Vietnamese one in an English page (the Django admin's model names included), and the browser's
Accept-Language never decides. Data is ASCII here so that any Vietnamese letter on an English page
is the interface's own, except inside SMS texts, which are sent in Vietnamese whatever the UI."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from motcua.desk.models import Role, StaffProfile
from motcua.dossiers import services
from motcua.dossiers.models import Agency, ApiKey, DossierEvent, Procedure
from motcua.messaging.models import IncomingMessage, Message, MessagePart, Status

VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]",
                                re.IGNORECASE)
ENGLISH_WORDS = re.compile(
    r"\b(the|and|of|with|your|Save|Search|Delete|Page|Status|None|True|False|Yes|No|accented|unaccented|"
    r"queued|delivered|undelivered|skipped|failed|sending|expired|result_ready|withdrawn|returned|staff|"
    r"agency_admin|province_admin|Dossier|Message|Messages|Template|User|Users|Group|Groups|Add|Change|"
    r"View|Home|Welcome|Log out|Site administration|Authentication)\b")


class VisibleText(HTMLParser):
    """The text a reader sees, without scripts, styles, SMS texts and the language picker's own names."""

    # SMS texts and template placeholders ({Mã số biên nhận}) are Vietnamese in every UI language.
    SKIP = {"script", "style", "textarea", "code"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("br", "input", "meta", "link", "img", "hr"):
            if tag == "input" and a.get("placeholder") and not (self.stack and self.stack[-1]):
                self.parts.append(a["placeholder"])
            return
        hidden = (tag in self.SKIP or {"sms", "diff"} & set((a.get("class") or "").split()) or (tag == "option" and a.get("lang") is not None)
                  or (self.stack and self.stack[-1]))
        self.stack.append(bool(hidden))
        for name in ("title", "aria-label"):
            if a.get(name) and not hidden:
                self.parts.append(a[name])

    def handle_endtag(self, tag):
        if tag in ("br", "input", "meta", "link", "img", "hr"):
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def visible(html: str) -> str:
    p = VisibleText()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


@pytest.fixture
def ascii_province(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MOTCUA = {**settings.MOTCUA, "SHORT_CODE": "8083"}
    a = Agency.objects.create(code="016", name="So Du lich", sms_name="So Du lich")
    p = Procedure.objects.create(agency=a, code="1.004628", name="Cap giay phep HDV", processing_days=5, steps=["Buoc 1", "Buoc 2"])
    d = services.create_dossier(services.NewDossier(agency=a, procedure=p, received_at=timezone.now(),
                                                    applicant="Nguyen Van An", phone="0912345678", source="desk"),
                                actor="user:hung")
    services.apply_event(d, DossierEvent.SUPPLEMENT_REQUESTED, "user:hung")
    m = Message.objects.filter(dossier=d).first()
    m.status = Status.DELIVERED
    m.save()
    MessagePart.objects.create(message=m, connection="sim", remote_id="r1", status=Status.DELIVERED,
                               reported_at=timezone.now())
    reply = Message.objects.create(kind="lookup_reply", cause="reply:sim:1", agency=a, to="84912345678",
                                   text="x", parts=1, cost=800, status=Status.TO_GATEWAY)
    IncomingMessage.objects.create(connection="sim", remote_id="1", sender="84912345678", recipient="8083",
                                   text=f"MCKH {d.code}", price=1000, outcome="answered", reply=reply)
    ApiKey.issue("Phan mem mot cua", a)
    from django.contrib.auth import get_user_model

    User = get_user_model()
    admin = User.objects.create_user("hung", password="x", first_name="Hung", last_name="Tran")
    StaffProfile.objects.create(user=admin, agency=a, role=Role.AGENCY_ADMIN, phone="0912000111")
    root = User.objects.create_superuser("tinh", "t@example.vn", "x")
    return {"agency": a, "dossier": d, "admin": admin, "root": root,
            "profile": StaffProfile.objects.get(user=admin)}


def desk_pages(data) -> list[str]:
    d, profile = data["dossier"], data["profile"]
    pages = ["/desk/", "/desk/?loc=mai-den-han", "/desk/?loc=cho-bo-sung", "/desk/tiep-nhan", f"/desk/ho-so/{d.pk}",
             "/desk/ket-noi", "/desk/bao-cao", "/desk/callback", "/desk/can-bo", f"/desk/can-bo/{profile.pk}/mat-khau",
             "/desk/ca-nhan", "/desk/khoa-api", "/desk/nhat-ky", "/desk/tin-nhan", "/desk/su-dung"]
    pages += [f"/desk/mau-tin-nhan?kind={k}" for k in ("result", "supplement", "apology", "lookup_reply")]
    return pages


def client(user, language: str | None, **extra) -> Client:
    c = Client(**extra)
    c.force_login(user)
    if language:
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return c


def test_every_desk_page_is_vietnamese_by_default_even_with_an_english_browser(ascii_province):
    c = client(ascii_province["admin"], None, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    for url in [*desk_pages(ascii_province), "/desk/login"]:
        response = c.get(url)
        assert response.status_code == 200, url
        text = visible(response.content.decode())
        assert response["Content-Language"] == "vi", url
        found = ENGLISH_WORDS.findall(text)
        assert not found, (url, found)


def test_every_desk_page_is_english_when_chosen(ascii_province):
    c = client(ascii_province["admin"], "en", HTTP_ACCEPT_LANGUAGE="vi")
    for url in desk_pages(ascii_province):
        response = c.get(url)
        assert response.status_code == 200, url
        text = visible(response.content.decode())
        assert response["Content-Language"] == "en", url
        found = VIETNAMESE_LETTERS.findall(re.sub(r"(\d) đ", r"\1", text))  # "1.600 đ": the currency sign
        assert not found, (url, "".join(found), text[:3000])


@pytest.mark.parametrize("language,bad", [("vi", ENGLISH_WORDS), ("en", VIETNAMESE_LETTERS)])
def test_django_admin_model_names_follow_the_language(ascii_province, language, bad):
    c = client(ascii_province["root"], language)
    response = c.get("/admin/")
    assert response.status_code == 200
    names = re.findall(r'<th scope="row"[^>]*>\s*<a [^>]*>([^<]+)</a>', response.content.decode())
    names += re.findall(r'<caption>\s*<a [^>]*>([^<]+)</a>', response.content.decode())
    assert len(names) > 8
    assert names
    offenders = [n for n in names if bad.search(n)]
    assert not offenders, offenders
