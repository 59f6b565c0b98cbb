from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from motcua.callbacks.api import router as callbacks_router
from motcua.desk import receipt as desk_receipt
from motcua.desk.access import province_admin_required
from motcua.dossiers.api import api, api_urls
from motcua.lookup import views as lookup_views
from motcua.lookup.api import router as lookup_router
from motcua.messaging import gateway_views
from motcua.messaging import views as messaging_views

api.add_router("/v1/lookup", lookup_router)
api.add_router("/v1/dossiers", callbacks_router)

urlpatterns = [
    path("", RedirectView.as_view(url="/desk/", permanent=False)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api_urls()),
    # Province-wide pages: the province administrator only (their views sit below the desk's access rules).
    path("simulator", province_admin_required(messaging_views.simulator), name="simulator"),
    path("tra-cuu/bao-cao/mo", province_admin_required(lookup_views.mo_report), name="lookup-mo-report"),
    path("sms/mo", gateway_views.sms_mo, name="sms_mo"),
    path("sms/dlr", gateway_views.sms_dlr, name="sms_dlr"),
    path("desk/", include("motcua.desk.urls")),
    path("tra-cuu/bien-nhan/<str:code>", desk_receipt.receipt, name="receipt"),
    path("", include("motcua.ops.urls")),
    path("", include("motcua.lookup.urls")),
]
