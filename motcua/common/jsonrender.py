"""The API's JSON: UTF-8 text as it is, so ``curl`` shows Vietnamese instead of ``\\u``-escapes."""

from __future__ import annotations

from typing import Any

from ninja.renderers import JSONRenderer


class Utf8JSONRenderer(JSONRenderer):
    """django-ninja's renderer without ASCII escaping (the response says ``charset=utf-8``)."""

    json_dumps_params: dict[str, Any] = {"ensure_ascii": False}
