from django.urls import path

from motcua.lookup import views

urlpatterns = [
    path("tra-cuu", views.lookup, name="lookup"),
]
