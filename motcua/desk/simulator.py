"""The phone simulator, a desk page for the province administrator (it shows phone numbers).

It looks like a phone's messages app: one conversation per phone number, with the SMS our sim://
connections sent to it and the MO the citizen sent to the short code, in order. The page polls a
small JSON feed, so a notice the worker sends, or the reply to an MO, appears without reloading.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from motcua.desk.access import desk_view, is_province_admin
from motcua.domain.phones import InvalidPhone, normalise_phone
from motcua.lookup.replies import OUTCOMES
from motcua.messaging.connections import build_transport, split_urls
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import IncomingMessage, Message, Status
from motcua.messaging.transports.base import IncomingSMS

# How much history the page shows: enough for a demo or a test session, bounded for the poll.
RECENT = 300
DEFAULT_SENDER = "0912345678"


def sim_connection_names(scheme: str | None = "sim") -> list[str]:
    """The simulated connections: ``sim://`` ones take the MO typed on the page; ``scheme=None`` gives those
    of every channel, whose messages the conversations show."""
    return [t.name for t in map(build_transport, split_urls(settings.MOTCUA["SMS_URL"]))
            if t.simulated and (scheme is None or t.scheme == scheme)]


@dataclass(frozen=True)
class Bubble:
    key: str  # "mt-<id>" / "mo-<id>", stable across polls
    direction: str  # "in": to the phone (our SMS); "out": from the phone (the citizen's MO)
    text: str
    at: str  # dd/mm/yyyy HH:MM:SS, Vietnam time
    note: str  # status and parts of an SMS; what became of an MO
    channel: str = "sms"  # "zns": drawn as a Zalo notification card rather than an SMS bubble


def _national(gateway: str) -> str:
    try:
        return normalise_phone(gateway).national
    except InvalidPhone:
        return gateway


def _at(value) -> str:
    return f"{timezone.localtime(value):%d/%m/%Y %H:%M:%S}"


def conversations(names: list[str]) -> dict[str, list[Bubble]]:
    """Phone number (national form) -> its bubbles, oldest first; numbers with the newest message first."""
    items: list[tuple[object, str, Bubble]] = []
    sent = (Message.objects.filter(connection__in=names).exclude(status__in=[Status.SKIPPED, Status.QUEUED])
            .order_by("-id")[:RECENT])
    for m in sent.select_related("agency"):
        when = m.sent_at or m.created_at
        if m.channel == "zns":
            # A ZNS message is a template filled with our values; the phone shows the OA's name above them.
            lines = [f"Zalo · {m.agency.sms_name}", _("mẫu ZNS %(template)s") % {"template": m.template_id}]
            lines += [f"{param}: {value}" for param, value in (m.template_data or {}).items()]
            note = m.get_status_display()
            items.append((when, _national(m.to), Bubble(f"mt-{m.pk}", "in", "\n".join(lines), _at(when), note, "zns")))
            continue
        note = f"{m.get_status_display()} · {m.encoding.upper()} · " + _("%(parts)s tin") % {"parts": m.parts}
        items.append((when, _national(m.to), Bubble(f"mt-{m.pk}", "in", m.text, _at(when), note)))
    for mo in IncomingMessage.objects.filter(connection__in=names).order_by("-id")[:RECENT]:
        items.append((mo.received_at, _national(mo.sender),
                      Bubble(f"mo-{mo.pk}", "out", mo.text, _at(mo.received_at),
                             _(OUTCOMES[mo.outcome]) if mo.outcome in OUTCOMES else mo.outcome)))
    items.sort(key=lambda item: (item[0], item[2].key))
    threads: dict[str, list[Bubble]] = {}
    latest: dict[str, object] = {}
    for when, phone, bubble in items:
        threads.setdefault(phone, []).append(bubble)
        latest[phone] = when
    return {phone: threads[phone] for phone in sorted(threads, key=latest.__getitem__, reverse=True)}


def _feed() -> dict:
    threads = conversations(sim_connection_names(None))
    return {
        "threads": [
            {"phone": phone, "last": bubbles[-1].text[:80], "at": bubbles[-1].at, "count": len(bubbles),
             "bubbles": [asdict(b) for b in bubbles]}
            for phone, bubbles in threads.items()
        ]
    }


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/no_access.html", {"admin_only": True, "desk": request.desk}, status=403)


@desk_view()
def simulator(request: HttpRequest) -> HttpResponse:
    """The page, and the MO form: a citizen's text to the short code, as the telco would deliver it."""
    if not is_province_admin(request.user):
        return _forbidden(request)
    names = sim_connection_names()
    conf = settings.MOTCUA
    error = ""
    # The chosen conversation travels in the URL's fragment (#so=…), which the browser never sends: a phone
    # number in a query string would be written to access logs.
    sender = request.POST.get("sender", DEFAULT_SENDER)
    if request.method == "POST" and names:
        try:
            phone = normalise_phone(sender)
        except InvalidPhone as e:
            error = e.reason
        else:
            handle_incoming(IncomingSMS(sender=phone.gateway, recipient=conf["SHORT_CODE"],
                                        text=request.POST.get("text", "")[:1000], connection=names[0]))
            return redirect(f"{request.path}#{urlencode({'so': phone.national})}")
    if not names:
        error = _("Không có kết nối giả lập (sim://) trong MOTCUA_SMS_URL.")
    context = {
        "desk": request.desk,
        "feed": _feed(),
        "selected": _national(sender) if sender else "",
        "sender": sender,
        "keyword": conf["KEYWORD"],
        "short_code": conf["SHORT_CODE"],
        "error": error,
    }
    return render(request, "desk/simulator.html", context)


@desk_view()
@require_GET
def simulator_feed(request: HttpRequest) -> HttpResponse:
    """What the page polls: every conversation, as JSON (the page redraws only when it changed)."""
    if not is_province_admin(request.user):
        return JsonResponse({"error": "forbidden"}, status=403)
    response = JsonResponse(_feed(), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response
