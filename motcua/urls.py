from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from motcua.callbacks.api import router as callbacks_router
from motcua.desk import receipt as desk_receipt
from motcua.desk import simulator as desk_simulator
from motcua.desk.access import province_admin_required
from motcua.dossiers.api import api, api_urls
from motcua.lookup import views as lookup_views
from motcua.lookup.api import router as lookup_router
from motcua.messaging import gateway_views, zns_webhook

api.add_router("/v1/lookup", lookup_router)
api.add_router("/v1/dossiers", callbacks_router)

urlpatterns = [
    path("", lookup_views.home, name="home"),
    path("favicon.ico", lookup_views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/huong-dan", lookup_views.api_quickstart, name="api-quickstart"),
    path("api/", api_urls()),
    # The phone simulator is a desk page for the province administrator; the old address leads there.
    path("simulator", RedirectView.as_view(pattern_name="desk-simulator", permanent=False), name="simulator"),
    path("desk/gia-lap", desk_simulator.simulator, name="desk-simulator"),
    path("desk/gia-lap/tin-nhan", desk_simulator.simulator_feed, name="desk-simulator-feed"),
    path("tra-cuu/bao-cao/mo", province_admin_required(lookup_views.mo_report), name="lookup-mo-report"),
    path("sms/mo", gateway_views.sms_mo, name="sms_mo"),
    path("sms/dlr", gateway_views.sms_dlr, name="sms_dlr"),
    path("zalo/webhook", zns_webhook.zalo_webhook, name="zalo_webhook"),
    path("desk/", include("motcua.desk.urls")),
    path("tra-cuu/bien-nhan/<str:code>", desk_receipt.receipt, name="receipt"),
    path("", include("motcua.ops.urls")),
    path("", include("motcua.lookup.urls")),
]
