from django.urls import path  # noqa: F401 - filled in by the lookup pages

urlpatterns: list = []
