"""The project's URLs plus the ops app, until motcua/urls.py includes ``motcua.ops.urls`` itself."""

from django.urls import include, path

from motcua.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("", include("motcua.ops.urls")), *project_urlpatterns]
