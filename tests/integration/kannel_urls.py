"""motcua.urls plus the Kannel gateway endpoints (until they are added to motcua/urls.py itself)."""

from django.urls import path

from motcua.messaging import gateway_views
from motcua.urls import urlpatterns as base_patterns

urlpatterns = [
    *base_patterns,
    path("sms/mo", gateway_views.sms_mo, name="sms_mo"),
    path("sms/dlr", gateway_views.sms_dlr, name="sms_dlr"),
]
