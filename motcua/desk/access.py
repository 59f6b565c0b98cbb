"""Who sees what. Every desk query starts from these scopes, so isolation is decided in one place.

Staff and agency administrators see their agency and the agencies it replaced (a merged ward's
staff finish the dossiers of the district that was abolished into it); the province administrator
(a Django superuser, or a profile with the province administrator role) sees all, and only they see
province-wide pages. Out-of-scope objects are answered with 404, not 403, so a URL does
not even reveal that a dossier exists in another agency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from motcua.desk.models import Role, StaffProfile
from motcua.dossiers.models import Agency, Dossier
from motcua.messaging.models import IncomingMessage, Message


@dataclass(frozen=True)
class DeskUser:
    username: str
    agency: Agency | None  # None: province administrator
    role: str  # "province_admin", "agency_admin" or "staff"

    @property
    def is_province_admin(self) -> bool:
        return self.role == "province_admin"

    @property
    def is_admin(self) -> bool:
        return self.role in ("province_admin", Role.AGENCY_ADMIN)

    @property
    def actor(self) -> str:
        """How the event log names this person (same form the API uses for keys: ``kind:id``)."""
        return f"user:{self.username}"

    @property
    def role_label(self) -> str:
        return str(Role.PROVINCE_ADMIN.label if self.is_province_admin else Role(self.role).label)


def desk_user(user) -> DeskUser | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return DeskUser(user.get_username(), None, "province_admin")
    profile = StaffProfile.objects.select_related("agency").filter(user=user).first()
    if profile is None:
        return None
    if profile.role == Role.PROVINCE_ADMIN:
        return DeskUser(user.get_username(), None, "province_admin")
    if profile.agency is None:  # an agency role without an agency: nothing to see yet
        return None
    return DeskUser(user.get_username(), profile.agency, profile.role)


def is_province_admin(user) -> bool:
    """The one test for province-wide pages (all agencies' reports, the simulator, the Django admin's
    data): an active superuser, or an active account with the province administrator role."""
    who = desk_user(user) if user is not None else None
    return who is not None and who.is_province_admin


def is_agency_admin(user) -> bool:
    """An administrator of one agency (not the province administrator)."""
    who = desk_user(user) if user is not None else None
    return who is not None and who.role == Role.AGENCY_ADMIN


def agency_ids(agency: Agency) -> set[int]:
    """The agency and every agency merged into it."""
    return agency.with_predecessors()


def visible_agencies(who: DeskUser) -> QuerySet[Agency]:
    if who.is_province_admin:
        return Agency.objects.all()
    return Agency.objects.filter(pk__in=agency_ids(who.agency))


def visible_dossiers(who: DeskUser) -> QuerySet[Dossier]:
    qs = Dossier.objects.select_related("agency", "procedure")
    return qs if who.is_province_admin else qs.filter(agency_id__in=agency_ids(who.agency))


def messages_of(ids: set[int]) -> QuerySet[Message]:
    """An agency's messages, including lookup replies (sent without an agency) about its dossiers."""
    return Message.objects.filter(Q(agency_id__in=ids) | Q(agency__isnull=True, dossier__agency_id__in=ids))


def lookups_of(ids: set[int]) -> QuerySet[IncomingMessage]:
    """An agency's lookups (MO): those whose reply was about it, the rule its message figures use too."""
    return IncomingMessage.objects.filter(Q(reply__agency_id__in=ids) | Q(reply__dossier__agency_id__in=ids))


def visible_messages(who: DeskUser) -> QuerySet[Message]:
    if who.is_province_admin:
        return Message.objects.all()
    return messages_of(agency_ids(who.agency))


def desk_view(admin_only: bool = False, province_only: bool = False) -> Callable:
    """Login required (to the desk's own login page), then a profile; ``request.desk`` is the DeskUser.
    ``admin_only``: agency or province administrators; ``province_only``: the province administrator."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required(login_url="desk:login")
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            who = desk_user(request.user)
            if who is None:
                return render(request, "desk/no_access.html", status=403)
            if (admin_only and not who.is_admin) or (province_only and not who.is_province_admin):
                return render(request, "desk/no_access.html", {"admin_only": True, "desk": who}, status=403)
            request.desk = who
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def province_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login (the desk's page), then the province administrator only: others get the desk's 403 page.
    Also wraps views of lower packages in the URLconf (they cannot import the desk)."""

    @login_required(login_url="desk:login")
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_province_admin(request.user):
            return render(request, "desk/no_access.html", {"admin_only": True}, status=403)
        return view(request, *args, **kwargs)

    return wrapper
