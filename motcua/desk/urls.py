from django.urls import path

from motcua.desk import callbacks, procedures, views, zns

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
    path("thu-tuc-cho-xac-nhan", procedures.awaiting, name="procedures"),
]
