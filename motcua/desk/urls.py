from django.urls import path

from motcua.desk import audit, callbacks, keys, messages_page, procedures, staff, usage, views, zns

app_name = "desk"
urlpatterns = [
    path("", views.dossier_list, name="list"),
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("tiep-nhan", views.receive, name="receive"),
    path("kiem-tra-so", views.phone_check, name="phone_check"),
    path("ho-so/<int:pk>", views.dossier_detail, name="dossier"),
    path("ho-so/<int:pk>/cap-nhat", views.dossier_action, name="action"),
    path("mau-tin-nhan", views.template_editor, name="templates"),
    path("mau-tin-nhan/xem-truoc", views.template_preview, name="template_preview"),
    path("zalo-zns", zns.zns_settings, name="zns"),
    path("ket-noi", views.connections, name="connections"),
    path("bao-cao", views.report_page, name="reports"),
    path("bao-cao.xlsx", views.report_xlsx, name="reports_xlsx"),
    path("callback", callbacks.callbacks, name="callbacks"),
    path("can-bo", staff.staff_list, name="staff"),
    path("can-bo/<int:pk>/trang-thai", staff.staff_active, name="staff_active"),
    path("can-bo/<int:pk>/mat-khau", staff.staff_password, name="staff_password"),
    path("ca-nhan", staff.my_profile, name="profile"),
    path("khoa-api", keys.api_keys, name="keys"),
    path("khoa-api/<int:pk>/thu-hoi", keys.revoke_key, name="key_revoke"),
    path("nhat-ky", audit.audit_log, name="audit"),
    path("tin-nhan", messages_page.messages_page, name="messages"),
    path("su-dung", usage.usage_page, name="usage"),
    path("thu-tuc-cho-xac-nhan", procedures.awaiting, name="procedures"),
]
