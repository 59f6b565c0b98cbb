"""A small demo province: two departments, a retired district and its successor, dossiers in every state."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from motcua.desk.models import Role, StaffProfile
from motcua.domain.states import DossierState
from motcua.dossiers import services
from motcua.dossiers.models import Agency, Dossier, DossierEvent, Procedure
from motcua.messaging.models import Kind, ZnsAgency, ZnsTemplate

DEMO_ACTOR = "demo"
# The example dossier's access code is fixed, so the README can print it; every other access code is random.
DEMO_ACCESS_CODE = "KHDV26"
HOURS = "Sáng 7h00–11h30, chiều 13h30–17h00, thứ Hai đến thứ Sáu"
# Giấy tờ handed in with the demo dossiers, as the receipt lists them.
DEMO_DOCUMENTS = [
    {"name": "Đơn đề nghị (theo mẫu)", "copies": 1},
    {"name": "Bản sao giấy tờ tùy thân", "copies": 1},
    {"name": "Giấy tờ chứng minh điều kiện theo quy định", "copies": 2},
]


def seed_demo(now: datetime | None = None, zns: bool = False) -> list[Dossier]:
    """Idempotent: does nothing when the demo agencies exist already. With ``zns``, Sở Thông tin và Truyền
    thông sends by Zalo ZNS first (before its dossiers are seeded, so their notices go that way)."""
    if Agency.objects.filter(code="016").exists():
        return []
    now = now or timezone.now()
    du_lich = Agency.objects.create(
        code="016", name="Sở Du lịch tỉnh Khánh Hòa", sms_name="Sở Du lịch",
        address="Trung tâm Phục vụ hành chính công tỉnh, 01 Trần Phú, Nha Trang", opening_hours=HOURS,
        hotline="0258 3822 753",
    )
    tttt = Agency.objects.create(
        code="010", name="Sở Thông tin và Truyền thông tỉnh Khánh Hòa", sms_name="Sở Thông tin và Truyền thông",
        address="Trung tâm Phục vụ hành chính công tỉnh, 01 Trần Phú, Nha Trang", opening_hours=HOURS,
        hotline="0258 3560 229",
    )
    ward = Agency.objects.create(
        code="051", name="UBND phường Nha Trang", sms_name="UBND phường Nha Trang", valid_from=date(2025, 7, 1),
        address="Bộ phận Một cửa, 18 Lê Thánh Tôn, phường Nha Trang", opening_hours=HOURS + ", sáng thứ Bảy",
        hotline="0258 3829 026",
    )
    if zns:
        seed_demo_zns(tttt.code)
    Agency.objects.create(
        code="050", name="UBND thành phố Nha Trang", sms_name="UBND thành phố Nha Trang",
        valid_to=date(2025, 6, 30), successor=ward,
    )
    p_tour = Procedure.objects.create(
        agency=du_lich, code="1.001622", name="Cấp giấy phép kinh doanh dịch vụ lữ hành nội địa", processing_days=10
    )
    p_guide = Procedure.objects.create(
        agency=du_lich, code="1.004628", name="Cấp thẻ hướng dẫn viên du lịch", processing_days=5
    )
    p_sameday = Procedure.objects.create(
        agency=du_lich, code="1.000000", name="Xác nhận thông tin (giải quyết trong ngày)", processing_days=0
    )
    p_press = Procedure.objects.create(
        agency=tttt, code="1.003920", name="Cấp giấy phép xuất bản bản tin", processing_days=7
    )
    Procedure.objects.create(agency=ward, code="2.000815", name="Chứng thực bản sao từ bản chính", processing_days=1)

    def make(agency, procedure, days_ago, phone, applicant, appointment=None):
        received = now - timedelta(days=days_ago)
        return services.create_dossier(
            services.NewDossier(
                agency=agency, procedure=procedure, received_at=received, applicant=applicant, phone=phone,
                appointment_at=appointment, source="demo",
            ),
            actor=DEMO_ACTOR,
        )

    tomorrow_noon = timezone.localtime(now).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    dossiers = [
        make(du_lich, p_tour, 12, "0912 345 678", "Công ty TNHH Lữ hành Biển Xanh"),
        make(du_lich, p_guide, 3, "0168 912 3456", "Nguyễn Văn An"),
        make(du_lich, p_guide, 4, "+84 935 111 222", "Trần Thị Bình", appointment=tomorrow_noon),
        make(du_lich, p_sameday, 0, "0987654321", "Lê Văn Cường"),
        make(tttt, p_press, 2, "0903 000 111", "Báo Khánh Hòa"),
        make(tttt, p_press, 9, "", "Hội Nhà báo tỉnh"),
        make(du_lich, p_tour, 20, "0977 222 333", "Công ty CP Du lịch Vịnh"),
        make(du_lich, p_guide, 6, "0919 444 555", "Phạm Thị Dung"),
        make(tttt, p_press, 5, "0868 777 888", "Tạp chí Thông tin"),
        make(du_lich, p_guide, 1, "0944 999 000", "Hoàng Văn Em"),
    ]
    moves = [
        (dossiers[1], DossierEvent.STEP_CHANGED, "Thẩm định hồ sơ"),
        (dossiers[2], DossierEvent.STEP_CHANGED, "Phê duyệt"),
        (dossiers[4], DossierEvent.SUPPLEMENT_REQUESTED, None),
        (dossiers[5], DossierEvent.RESULT_READY, None),
        (dossiers[6], DossierEvent.RESULT_READY, None),
        (dossiers[6], DossierEvent.RETURNED, None),
        (dossiers[7], DossierEvent.WITHDRAWN, None),
        (dossiers[8], DossierEvent.STOPPED, None),
        (dossiers[9], DossierEvent.PAYMENT_REQUESTED, None),
    ]
    Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).update(documents=DEMO_DOCUMENTS)
    Dossier.objects.filter(pk=dossiers[0].pk).update(access_code=DEMO_ACCESS_CODE)
    for dossier, kind, step in moves:
        services.apply_event(dossier, kind, actor=DEMO_ACTOR, at=now - timedelta(hours=1), step=step)
    # a dossier of the retired city, still resolvable by its code
    old_proc = Procedure.objects.create(
        agency=Agency.objects.get(code="050"), code="2.000815", name="Chứng thực bản sao từ bản chính",
        processing_days=1,
    )
    dossiers.append(
        services.create_dossier(
            services.NewDossier(
                agency=old_proc.agency, procedure=old_proc, received_at=datetime(2025, 6, 20, 9, tzinfo=now.tzinfo),
                code="0502500042", applicant="Võ Thị Giang", phone="0905 123 456", state=DossierState.RETURNED,
                source="demo",
            ),
            actor=DEMO_ACTOR,
        )
    )
    return dossiers


DEMO_NAMES = {"staff": ("Lan", "Nguyễn Thị"), "admin": ("Hùng", "Trần Văn")}


def seed_demo_accounts(password: str) -> list[str]:
    """For each agency in force: a front-desk account ``canbo<code>`` and an agency administrator
    ``quantri<code>``, all with ``password`` (reset on every run, like the demo's other accounts).
    Returns the banner's lines naming them."""
    User = get_user_model()
    lines = []
    for agency in Agency.objects.filter(successor__isnull=True).order_by("code"):
        for prefix, role, names in (("canbo", Role.STAFF, DEMO_NAMES["staff"]),
                                    ("quantri", Role.AGENCY_ADMIN, DEMO_NAMES["admin"])):
            user, _ = User.objects.get_or_create(username=f"{prefix}{agency.code}")
            user.first_name, user.last_name, user.is_active = names[0], names[1], True
            user.set_password(password)
            user.save()
            StaffProfile.objects.update_or_create(user=user, defaults={"agency": agency, "role": role})
        lines.append(f"  {agency.code} {agency.sms_name}: canbo{agency.code} (cán bộ một cửa), "
                     f"quantri{agency.code} (quản trị cơ quan)\n")
    return lines


def demo_dossier() -> Dossier | None:
    """The dossier the banner and the README use as the example: Sở Du lịch's first, still being processed."""
    return Dossier.objects.filter(source="demo", agency__code="016").order_by("pk").first()


# Template ids and parameter names as an agency would copy them from Zalo's ZNS management site.
DEMO_ZNS_TEMPLATES = {Kind.RESULT: "300001", Kind.SUPPLEMENT: "300002", Kind.APOLOGY: "300003"}
DEMO_ZNS_PARAMS = {"code": "ma_ho_so", "agency": "co_quan", "appointment_date": "ngay_hen", "lookup_link": "tra_cuu"}


def seed_demo_zns(agency_code: str = "010") -> None:
    """One demo agency sends by Zalo ZNS first, so the simulator shows both channels side by side."""
    agency = Agency.objects.get(code=agency_code)
    ZnsAgency.objects.update_or_create(agency=agency, defaults={"enabled": True})
    for kind, template_id in DEMO_ZNS_TEMPLATES.items():
        ZnsTemplate.objects.update_or_create(agency=agency, kind=kind,
                                             defaults={"template_id": template_id, "params": DEMO_ZNS_PARAMS})
