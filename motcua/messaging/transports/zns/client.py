"""Zalo's two HTTP endpoints we use, and nothing else: the OAuth v4 refresh-token grant and the ZNS template send.

No database and no Django here: :mod:`.tokens` keeps the token pair, the transport decides what an answer
means for a notice. Secrets go in headers and form bodies, never in a URL or a log line.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

DEFAULT_API = "https://business.openapi.zalo.me"
DEFAULT_OAUTH = "https://oauth.zaloapp.com"
SEND_PATH = "/message/template"
TOKEN_PATH = "/v4/oa/access_token"


class ZnsUnavailable(Exception):
    """No answer we can read (refused, timeout, 5xx, not JSON). For a send, Zalo may or may not have
    accepted the message: its outcome is unknown."""


class TokenRefused(Exception):
    """Zalo answered the refresh with an error: the refresh token (or the app's secret) is not valid."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: timedelta


@dataclass(frozen=True)
class SendAnswer:
    error: int  # 0 = accepted
    message: str
    msg_id: str = ""
    remaining_quota: int | None = None


class ZnsClient:
    def __init__(self, app_id: str, app_secret: str, api: str = DEFAULT_API, oauth: str = DEFAULT_OAUTH,
                 timeout: float = 10.0) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.api = api.rstrip("/")
        self.oauth = oauth.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:  # never the secret, even in a traceback's locals
        return f"ZnsClient(app_id={self.app_id!r}, api={self.api!r})"

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> dict:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as e:
            raise ZnsUnavailable(f"HTTP {e.code}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            raise ZnsUnavailable(type(getattr(e, "reason", e)).__name__) from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise ZnsUnavailable("answer is not JSON") from None
        if not isinstance(answer, dict):
            raise ZnsUnavailable("answer is not a JSON object")
        return answer

    def refresh(self, refresh_token: str) -> TokenPair:
        """The refresh-token grant: ``app_id``, ``grant_type=refresh_token``, ``refresh_token`` as a form,
        the app's secret in the ``secret_key`` header. The answer is a new access token *and* a new refresh
        token: the one sent is spent."""
        answer = self._post(
            self.oauth + TOKEN_PATH,
            urlencode({"app_id": self.app_id, "grant_type": "refresh_token", "refresh_token": refresh_token}).encode(),
            {"secret_key": self._app_secret, "Content-Type": "application/x-www-form-urlencoded"},
        )
        access, new_refresh = answer.get("access_token"), answer.get("refresh_token")
        if not access or not new_refresh:
            raise TokenRefused(f"{answer.get('error', '?')} {str(answer.get('error_name') or answer.get('message') or '')[:80]}")
        try:
            expires = int(answer.get("expires_in") or 90000)
        except (TypeError, ValueError):
            expires = 90000  # Zalo's documented 25 hours
        return TokenPair(str(access), str(new_refresh), timedelta(seconds=expires))

    def send(self, access_token: str, phone: str, template_id: str, data: dict, tracking_id: str) -> SendAnswer:
        answer = self._post(
            self.api + SEND_PATH,
            json.dumps({"phone": phone, "template_id": template_id, "template_data": data,
                        "tracking_id": tracking_id}, ensure_ascii=False).encode(),
            {"access_token": access_token, "Content-Type": "application/json"},
        )
        try:
            error = int(answer.get("error", -100))
        except (TypeError, ValueError):
            error = -100
        data_out = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        quota = data_out.get("quota") if isinstance(data_out.get("quota"), dict) else {}
        try:
            remaining = int(quota["remainingQuota"]) if "remainingQuota" in quota else None
        except (TypeError, ValueError):
            remaining = None
        return SendAnswer(error, str(answer.get("message") or "")[:120], str(data_out.get("msg_id") or ""), remaining)
