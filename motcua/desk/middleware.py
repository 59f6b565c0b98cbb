"""The desk's language: Vietnamese unless the user chose English with the language switch.

Django's LocaleMiddleware also reads the browser's Accept-Language, so a browser set to English
would show staff an English desk they never asked for, and one shared office PC would show the desk
differently to different staff. For the desk and the admin, only the choice stored by
``set_language`` (the language cookie) counts; the public pages keep LocaleMiddleware's behaviour."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

CHOSEN_ONLY_PREFIXES = ("/desk/", "/admin/")


class DeskLanguageMiddleware:
    """Runs after LocaleMiddleware and overrides its choice on desk and admin paths."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(CHOSEN_ONLY_PREFIXES):
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            language = chosen if chosen in self.available else settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
