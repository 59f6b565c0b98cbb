"""Desk forms. Phone numbers are checked with the same normaliser the outbox uses, so a number the
desk accepts is a number an SMS can be sent to."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.domain.phones import InvalidPhone, normalise_phone
from motcua.dossiers.models import Procedure


class ProcedureChoice(forms.ModelChoiceField):
    def __init__(self, *args, show_agency: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.show_agency = show_agency

    def label_from_instance(self, obj: Procedure) -> str:
        prefix = f"[{obj.agency.code}] " if self.show_agency else ""
        days = _("trong ngày") if obj.same_day else _("%(days)s ngày làm việc") % {
            "days": f"{obj.processing_days.normalize():f}"}
        if obj.same_day and "trong ngày" in obj.name.lower():
            return f"{prefix}{obj.code} — {obj.name}"  # the name already says it: no "(…) (trong ngày)"
        return f"{prefix}{obj.code} — {obj.name} ({days})"


def check_phone(raw: str) -> str:
    """The national form of ``raw``, or ``ValidationError`` with the normaliser's Vietnamese reason."""
    try:
        return normalise_phone(raw).national
    except InvalidPhone as e:
        raise forms.ValidationError(e.reason) from None


class ReceiveForm(forms.Form):
    procedure = ProcedureChoice(queryset=Procedure.objects.none(), label=gettext_lazy("Thủ tục hành chính"),
                                empty_label=gettext_lazy("— Chọn thủ tục —"), widget=forms.Select(attrs={"autofocus": True}))
    applicant = forms.CharField(label=gettext_lazy("Chủ hồ sơ"), max_length=255)
    phone = forms.CharField(
        label=gettext_lazy("Số điện thoại di động"), max_length=32, required=False,
        help_text=gettext_lazy("Để trống nếu công dân không nhận tin nhắn"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    documents = forms.CharField(
        label=gettext_lazy("Thành phần hồ sơ (giấy tờ nộp kèm)"), required=False, max_length=4000,
        help_text=gettext_lazy("Mỗi dòng một giấy tờ; số bản sau dấu |, ví dụ: Bản sao CCCD | 2"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, procedures=None, show_agency: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["procedure"]
        field.queryset = procedures if procedures is not None else Procedure.objects.none()
        field.show_agency = show_agency

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"].strip()
        return check_phone(raw) if raw else ""

    def clean_documents(self) -> list[dict]:
        return parse_documents(self.cleaned_data["documents"])


def parse_documents(text: str) -> list[dict]:
    """"Tên giấy tờ | số bản" per line (the count defaults to 1) -> the receipt's list of documents."""
    documents = []
    for line in (text or "").splitlines():
        name, _sep, count = line.partition("|")
        name = " ".join(name.split())[:255]
        if not name:
            continue
        try:
            copies = max(1, min(int(count.strip() or 1), 999))
        except ValueError:
            raise forms.ValidationError(_("Số bản phải là số: %(line)s") % {"line": line.strip()}) from None
        documents.append({"name": name, "copies": copies})
    return documents[:50]


def parse_local(value: str) -> datetime | None:
    """``<input type=datetime-local>`` (or a bare date, read as 17:00) as an aware Vietnam time."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value) if "T" in value else datetime.fromisoformat(value + "T17:00")
    except ValueError:
        raise forms.ValidationError(_("Ngày giờ không hợp lệ")) from None
    return timezone.make_aware(naive) if timezone.is_naive(naive) else naive


def to_input(dt: datetime | None) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M") if dt else ""

