"""The public web lookup (``/tra-cuu`` and ``GET /api/v1/lookup``): receipt code + access code.

The receipt code alone is guessable (agency + year + serial), so the page also asks for the short
access code printed on the receipt, as national portals do. Two rules keep the pair from leaking:

* an unknown code and a wrong access code get the *same* answer (same text, same status code), so
  the page cannot be used to learn which codes exist; access codes are compared with
  ``hmac.compare_digest`` (constant time);
* tries are rate-limited per client address (``LOOKUP_RATE_LIMIT`` tries per
  ``LOOKUP_RATE_WINDOW`` seconds, default 10 per minute), counted in Django's cache, which is
  shared by every web process (a table in the database by default, see settings.CACHES).

What is shown is what the SMS reply shows plus what is on the receipt: procedure, agency, current
step, appointment date, on-time status and the step history (label, date, step) — never the
applicant's name or phone, nor who moved the dossier.
"""

from __future__ import annotations

import hmac
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop, pgettext

from motcua.common import ratelimit
from motcua.common.clients import client_address
from motcua.domain.receipt_codes import normalise_access_code
from motcua.domain.smstext import format_appointment_date
from motcua.domain.states import DossierState
from motcua.dossiers.models import Agency, Dossier, DossierEvent
from motcua.lookup.replies import find_dossier, shown_step

DEFAULT_RATE_LIMIT = 10
DEFAULT_RATE_WINDOW = 60

# Plain Vietnamese strings (the API answers with them as they are); ``gettext_noop`` only marks them
# for the message catalogue, and the web page translates them when it shows them.
NOT_FOUND_MESSAGE = gettext_noop(
    "Không tìm thấy hồ sơ với mã số biên nhận và mã tra cứu đã nhập. "
    "Vui lòng kiểm tra lại hai mã in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
)
RATE_LIMITED_MESSAGE = gettext_noop("Quý Ông/Bà đã tra cứu quá nhiều lần. Vui lòng thử lại sau {seconds} giây.")
MISSING_MESSAGE = gettext_noop("Vui lòng nhập mã số biên nhận và mã tra cứu.")
# OnTime.label, shown through ``{% translate %}`` on the lookup page.
ON_TIME_LABELS = (gettext_noop("Đúng hạn"), gettext_noop("Trễ hạn"))

_EVENT_LABELS = dict(DossierEvent.TYPES)


@dataclass(frozen=True)
class HistoryItem:
    label: str
    date: str  # dd/mm/yyyy HH:MM, Vietnam time
    step: str


@dataclass(frozen=True)
class PublicStatus:
    """Everything the public may see about a dossier, already formatted for display."""

    code: str
    procedure: str
    agency: str
    agency_now: str  # the successor answering today for a retired agency, else ""
    current_step: str
    on_time: str  # OnTime: on_time / late
    on_time_label: str  # Đúng hạn / Trễ hạn
    state: str
    received_date: str
    appointment_date: str
    history: list[HistoryItem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


# The address the demo runs on unless told otherwise: a receipt printed from a demo on another port
# takes its links from the request instead.
DEMO_PUBLIC_URL = "http://127.0.0.1:8000"
_QR_SALT = "motcua.lookup.receipt-qr"


def public_base(request: HttpRequest | None = None) -> str:
    """Our public address: ``MOTCUA_PUBLIC_URL``, or the request's own when that is the demo default."""
    base = str(settings.MOTCUA.get("PUBLIC_URL", "")).rstrip("/")
    if request is not None and (not base or base == DEMO_PUBLIC_URL):
        return request.build_absolute_uri("/").rstrip("/")
    return base


def qr_token(code: str, access_code: str) -> str:
    """A signed token for the receipt's QR code: it names the dossier and proves its holder had the receipt.

    The access code is inside the signature, so it never travels in the URL (proxies and scanner apps
    log URLs), and a token stays valid exactly as long as the receipt's access code does. Rotating the
    secret key keeps printed codes working through ``SECRET_KEY_FALLBACKS``.
    """
    return signing.Signer(salt=f"{_QR_SALT}:{access_code}").sign(code)


def check_qr_token(token: str) -> Dossier | None:
    """The dossier a receipt's QR token names, or None when the token is not one we signed."""
    code = token.rsplit(":", 1)[0][:100]
    dossier = find_dossier(code) if code else None
    expected = qr_token(dossier.code, dossier.access_code) if dossier else "\x00"
    if dossier is None or not hmac.compare_digest(token.encode(), expected.encode()):
        return None
    return dossier


def lookup_url(code: str, access_code: str, request: HttpRequest | None = None) -> str:
    """The public lookup URL printed as a QR code on the receipt: it opens the answer directly."""
    return public_base(request) + reverse("lookup-qr", kwargs={"token": qr_token(code, access_code)})


def lookup_page_url(request: HttpRequest | None = None) -> str:
    """Where a citizen types the two codes (printed under the QR code)."""
    return public_base(request) + reverse("lookup")


def _local_datetime(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{format_appointment_date(local)} {local:%H:%M}"


def public_status(dossier: Dossier, now: datetime | None = None) -> PublicStatus:
    """What ``/tra-cuu`` shows for a dossier (no personal data)."""
    on_time = dossier.on_time(now)
    current = dossier.agency.current()
    events = dossier.events.only("type", "occurred_at", "step").order_by("occurred_at", "id")
    return PublicStatus(
        code=dossier.code,
        procedure=dossier.procedure.name,
        agency=dossier.agency.name,
        agency_now=current.name if current.pk != dossier.agency.pk else "",
        current_step=shown_step(dossier),
        on_time=on_time.value,
        on_time_label=on_time.label,
        state=pgettext("dossier state", dossier.state_enum.label),
        received_date=format_appointment_date(dossier.received_at),
        appointment_date=format_appointment_date(dossier.appointment_at),
        history=[
            HistoryItem(str(_EVENT_LABELS.get(e.type, e.type)), _local_datetime(e.occurred_at), e.step) for e in events
        ],
    )


def check(code: str, access_code: str) -> Dossier | None:
    """The dossier if the code exists *and* the access code matches, else None (one answer for both)."""
    code, access_code = (code or "").strip()[:100], (access_code or "")[:100]
    if not code or not access_code:
        return None
    dossier = find_dossier(code)
    typed = normalise_access_code(access_code).encode()
    # Compare even when the code is unknown, so both failures take the same time.
    expected = (dossier.access_code if dossier else "\x00" * len(typed)).encode()
    if not hmac.compare_digest(typed, expected) or dossier is None:
        return None
    return dossier


def _limits() -> tuple[int, int]:
    conf = settings.MOTCUA
    return (
        int(conf.get("LOOKUP_RATE_LIMIT") or DEFAULT_RATE_LIMIT),
        int(conf.get("LOOKUP_RATE_WINDOW") or DEFAULT_RATE_WINDOW),
    )


def take_try(request: HttpRequest) -> int:
    """Count one lookup try for the client; return 0 if allowed, else the seconds to wait.

    The window opens at the client's first try and lasts ``LOOKUP_RATE_WINDOW`` seconds (not
    aligned to the clock, so a burst cannot straddle a minute boundary to get twice the limit).
    """
    limit, window = _limits()
    tries, left = ratelimit.count(f"motcua:lookup-tries:{client_address(request)}", window)
    return left if tries > limit else 0


# --- what a citizen reads on /tra-cuu -------------------------------------------------------------

# One plain sentence per state, in the words of the province's notices. ``{place}`` is the one-stop
# desk that answers for the dossier today, ``{appointment}`` the appointment, ``{step}`` the step.
STATE_SENTENCES = {
    DossierState.REGISTERED: gettext_noop(
        "Hồ sơ đã được đăng ký, đang chờ Bộ phận Một cửa tiếp nhận."),
    DossierState.RECEIVED: gettext_noop(
        "Hồ sơ đã được tiếp nhận và đang chờ xử lý. Hẹn trả kết quả lúc {appointment}."),
    DossierState.PROCESSING: gettext_noop(
        "Hồ sơ đang được xử lý ở bước “{step}”. Hẹn trả kết quả lúc {appointment}."),
    DossierState.SUPPLEMENT_REQUESTED: gettext_noop(
        "Hồ sơ cần bổ sung giấy tờ, mời ông/bà liên hệ {place} để biết cần bổ sung gì."),
    DossierState.AWAITING_PAYMENT: gettext_noop(
        "Hồ sơ đang chờ ông/bà nộp phí, lệ phí hoặc thực hiện nghĩa vụ tài chính, mời ông/bà liên hệ {place}."),
    DossierState.RESULT_READY: gettext_noop(
        "Hồ sơ đã có kết quả, mời ông/bà đến {place} để nhận."),
    DossierState.RETURNED: gettext_noop("Hồ sơ đã được trả kết quả."),
    DossierState.WITHDRAWN: gettext_noop("Hồ sơ đã được rút theo yêu cầu của ông/bà."),
    DossierState.STOPPED: gettext_noop("Hồ sơ đã dừng xử lý, mời ông/bà liên hệ {place} để biết lý do."),
    DossierState.REJECTED: gettext_noop("Hồ sơ không được tiếp nhận, mời ông/bà liên hệ {place} để biết lý do."),
}
LATE_SENTENCE = gettext_noop(
    "Hồ sơ đã quá ngày hẹn trả. Cơ quan sẽ gửi thư xin lỗi và hẹn lại ngày trả; ông/bà có thể gọi {hotline}.")
LATE_SENTENCE_NO_HOTLINE = gettext_noop(
    "Hồ sơ đã quá ngày hẹn trả. Cơ quan sẽ gửi thư xin lỗi và hẹn lại ngày trả.")
DESK_PLACE = gettext_noop("Bộ phận Một cửa {agency}")


@dataclass(frozen=True)
class CitizenView:
    """The page's answer: the sentence, the appointment and the desk to go to."""

    status: PublicStatus
    state: str  # DossierState value, for the page's colour
    sentence_id: str  # the msgid; the page translates it and fills the fields below
    late: bool
    appointment: str  # HH:MM ngày dd/mm/yyyy
    place: Agency  # the desk that answers for the dossier today


def appointment_text(dossier: Dossier) -> str:
    local = timezone.localtime(dossier.appointment_at)
    return f"{local:%H:%M} {format_appointment_date(local)}"


def citizen_view(dossier: Dossier, now: datetime | None = None) -> CitizenView:
    status = public_status(dossier, now)
    state = dossier.state_enum
    return CitizenView(
        status=status,
        state=state.value,
        sentence_id=STATE_SENTENCES[state],
        late=status.on_time == "late" and not state.is_closed,
        appointment=appointment_text(dossier),
        place=dossier.agency.current(),
    )


def agencies_for_public(today: datetime | None = None) -> list[Agency]:
    """Agencies serving citizens today, for the front page's list of desks (not those merged into another)."""
    day = timezone.localdate(today) if today else timezone.localdate()
    return [a for a in Agency.objects.filter(successor__isnull=True).order_by("code") if a.is_active(day)]
