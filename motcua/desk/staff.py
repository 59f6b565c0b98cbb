"""The "Cán bộ" page: an agency administrator manages their own agency's accounts, the province
administrator every agency's. Passwords go through Django's password validators; a password made here
is shown once, in the answer to the form, and never put in a redirect, a message or a log."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from motcua.desk.access import DeskUser, agency_ids, desk_view, visible_agencies
from motcua.desk.audit import record
from motcua.desk.forms import check_phone
from motcua.desk.models import AuditAction, Role, StaffProfile

User = get_user_model()


def managed_profiles(who: DeskUser) -> QuerySet[StaffProfile]:
    """Accounts this administrator may manage: their agency's (and merged agencies'), or every one."""
    qs = StaffProfile.objects.select_related("user", "agency").order_by("agency__code", "user__username")
    return qs if who.is_province_admin else qs.filter(agency_id__in=agency_ids(who.agency))


def roles_for(who: DeskUser) -> list[tuple[str, str]]:
    roles = [Role.STAFF, Role.AGENCY_ADMIN] + ([Role.PROVINCE_ADMIN] if who.is_province_admin else [])
    return [(r.value, r.label) for r in roles]


def new_password() -> str:
    """A password to hand to a new colleague, long enough for any validator."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


class StaffForm(forms.Form):
    username = forms.RegexField(label=gettext_lazy("Tên đăng nhập"), max_length=150, regex=r"^[\w.@+-]+\Z",
                                error_messages={"invalid": gettext_lazy("Chỉ dùng chữ, số và . @ + - _")})
    full_name = forms.CharField(label=gettext_lazy("Họ và tên"), max_length=150)
    role = forms.ChoiceField(label=gettext_lazy("Vai trò"))
    agency = forms.ModelChoiceField(label=gettext_lazy("Cơ quan"), queryset=None, required=False,
                                    empty_label=gettext_lazy("— Chọn cơ quan —"))
    password = forms.CharField(label=gettext_lazy("Mật khẩu ban đầu"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                               help_text=gettext_lazy("Để trống: hệ thống tạo mật khẩu và hiển thị một lần."))

    def __init__(self, *args, who: DeskUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.who = who
        self.fields["role"].choices = roles_for(who)
        self.fields["agency"].queryset = visible_agencies(who).filter(successor__isnull=True)
        if not who.is_province_admin:
            del self.fields["agency"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("Tên đăng nhập này đã có."))
        return username

    def clean(self) -> dict:
        data = super().clean()
        role = data.get("role")
        if self.who.is_province_admin:
            if role and role != Role.PROVINCE_ADMIN and not data.get("agency"):
                self.add_error("agency", _("Cần chọn cơ quan cho vai trò này."))
            if role == Role.PROVINCE_ADMIN:
                data["agency"] = None
        else:
            data["agency"] = self.who.agency
        password = data.get("password")
        if password and data.get("username"):
            try:
                validate_password(password, User(username=data["username"], first_name=data.get("full_name", "")))
            except ValidationError as e:
                self.add_error("password", e)
        return data


def split_name(full: str) -> tuple[str, str]:
    """Vietnamese names: the given name is the last word (``first_name``), the rest is the family part."""
    words = full.split()
    return (words[-1], " ".join(words[:-1])) if words else ("", "")


@desk_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def staff_list(request: HttpRequest) -> HttpResponse:
    who = request.desk
    form = StaffForm(request.POST or None, who=who)
    shown_password: tuple[str, str] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = data["password"] or new_password()
        first, last = split_name(data["full_name"])
        with transaction.atomic():
            user = User.objects.create_user(data["username"], password=password, first_name=first, last_name=last)
            StaffProfile.objects.create(user=user, agency=data["agency"], role=data["role"])
            record(who, AuditAction.STAFF_CREATED, data["username"], agency=data["agency"], role=data["role"])
        if data["password"]:
            messages.success(request, _("Đã tạo tài khoản %(username)s.") % {"username": data["username"]})
            return redirect("desk:staff")
        shown_password = (data["username"], password)  # made here: shown in this answer, once
        form = StaffForm(who=who)
    return render(request, "desk/staff.html", {
        "desk": who, "form": form, "profiles": managed_profiles(who), "shown_password": shown_password,
    }, status=422 if form.errors else 200)


def managed_profile(who: DeskUser, pk: int) -> StaffProfile:
    return get_object_or_404(managed_profiles(who), pk=pk)


@desk_view(admin_only=True)
@require_POST
def staff_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate or reactivate; nobody locks themselves out."""
    who = request.desk
    profile = managed_profile(who, pk)
    user = profile.user
    if user.get_username() == who.username:
        messages.error(request, _("Không thể tự khóa tài khoản của mình."))
        return redirect("desk:staff")
    active = request.POST.get("active") == "1"
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        record(who, AuditAction.STAFF_REACTIVATED if active else AuditAction.STAFF_DEACTIVATED,
               user.get_username(), agency=profile.agency)
    messages.success(request, (_("Đã mở lại tài khoản %(username)s.") if active else
                               _("Đã khóa tài khoản %(username)s.")) % {"username": user.get_username()})
    return redirect("desk:staff")


@desk_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def staff_password(request: HttpRequest, pk: int) -> HttpResponse:
    who = request.desk
    profile = managed_profile(who, pk)
    form = SetPasswordForm(profile.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        record(who, AuditAction.PASSWORD_RESET, profile.user.get_username(), agency=profile.agency)
        messages.success(request, _("Đã đặt lại mật khẩu cho %(username)s.") % {"username": profile.user.get_username()})
        return redirect("desk:staff")
    return render(request, "desk/staff_password.html", {"desk": who, "form": form, "profile": profile},
                  status=422 if form.errors else 200)


class ProfileForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Số điện thoại di động của tôi"), max_length=32, required=False,
                            help_text=gettext_lazy("Tin nhắn gửi thử sẽ đến số này."),
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"].strip()
        return check_phone(raw) if raw else ""


@desk_view()
@require_http_methods(["GET", "POST"])
def my_profile(request: HttpRequest) -> HttpResponse:
    """Every desk user's own page: the phone that test messages go to."""
    who = request.desk
    profile, _created = StaffProfile.objects.get_or_create(
        user=request.user, defaults={"agency": who.agency,
                                     "role": Role.PROVINCE_ADMIN if who.is_province_admin else Role.STAFF})
    form = ProfileForm(request.POST or None, initial={"phone": profile.phone})
    if request.method == "POST" and form.is_valid():
        profile.phone = form.cleaned_data["phone"]
        profile.save(update_fields=["phone"])
        record(who, AuditAction.PROFILE_CHANGED, who.username, fields=["phone"])
        messages.success(request, _("Đã lưu."))
        return redirect("desk:profile")
    return render(request, "desk/profile.html", {"desk": who, "form": form}, status=422 if form.errors else 200)
