"""The province's name, logo and contacts for every page (front page, lookup, receipt, error pages).

From settings (``MOTCUA_PROVINCE_*``), so another province deploys the same code as its own.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static


def money(amount: int) -> str:
    """1000 -> "1.000" (Vietnamese thousands separator)."""
    return f"{amount:,}".replace(",", ".")


def province(request: HttpRequest | None = None) -> dict:
    conf = settings.MOTCUA
    return {
        "province": {
            "name": conf.get("PROVINCE_NAME", ""),
            "logo": conf.get("PROVINCE_LOGO_URL") or static("motcua/favicon.svg"),
            "address": conf.get("PROVINCE_ADDRESS", ""),
            "hotline": conf.get("PROVINCE_HOTLINE", ""),
            "email": conf.get("PROVINCE_EMAIL", ""),
        },
        "own_language_names": settings.LANGUAGES,
        "sms": {
            "keyword": conf["KEYWORD"],
            "short_code": conf["SHORT_CODE"],
            "price": money(int(conf["MO_PRICE"])),
        },
    }
