from django.urls import path

from motcua.lookup import views

urlpatterns = [
    path("tra-cuu", views.lookup, name="lookup"),
    path("tra-cuu/qr/<str:token>", views.lookup_qr, name="lookup-qr"),
]
