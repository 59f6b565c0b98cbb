"""The OA's access token, kept in the database (``ZnsToken``): the one place every worker reads it from.

Zalo's refresh token can be used once and lasts about three months; each refresh returns a new pair. Two
rules follow, and this module is where they hold:

* the refresh happens with the row locked (``SELECT ... FOR UPDATE``; SQLite's write lock), and the new
  pair is saved in that same transaction before anybody uses it: a second worker waiting on the lock
  then finds a fresh access token and does not spend the (now spent) refresh token again;
* the row is the truth: a worker that was down while another one rotated the pair reads the new one; the
  refresh token in the settings only seeds the row (and replaces it when an operator pastes a new one).

The one window left: Zalo answered the refresh but the process died before the commit. The new pair is then
lost and ZNS stops until an operator pastes a new refresh token (every notice still goes by SMS).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.messaging.models import ZnsToken
from motcua.messaging.transports.zns.client import ZnsClient

log = logging.getLogger(__name__)

# Refresh this long before the access token expires, so that no send goes out with one about to lapse.
MARGIN = timedelta(minutes=30)


def seed_digest(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest() if refresh_token else ""


class TokenStore:
    def __init__(self, name: str, client: ZnsClient, seed_refresh_token: str = "",
                 clock: Callable[[], datetime] = timezone.now) -> None:
        self.name = name
        self.client = client
        self._seed = seed_refresh_token
        self.clock = clock

    def __repr__(self) -> str:
        return f"TokenStore({self.name!r})"

    def _row(self) -> ZnsToken:
        seed = seed_digest(self._seed)
        try:
            row, _ = ZnsToken.objects.get_or_create(
                name=self.name, defaults={"refresh_token": self._seed, "seed": seed}
            )
        except IntegrityError:  # another worker created it at the same moment
            row = ZnsToken.objects.get(name=self.name)
        if seed and row.seed != seed:
            with transaction.atomic():
                row = ZnsToken.objects.select_for_update().get(name=self.name)
                if row.seed != seed:
                    log.warning("ZNS refresh token replaced from the settings for %s", self.name)
                    row.refresh_token, row.seed, row.access_token, row.access_expires_at = self._seed, seed, "", None
                    row.save()
        return row

    def fresh(self, row: ZnsToken) -> bool:
        return bool(row.access_token and row.access_expires_at and row.access_expires_at > self.clock() + MARGIN)

    def access_token(self, stale: str = "") -> str:
        """A valid access token, refreshed first when it is about to expire or when Zalo refused ``stale``.
        Raises ``ZnsUnavailable`` (try later) or ``TokenRefused`` (the pair is no longer valid)."""
        row = self._row()
        if self.fresh(row) and row.access_token != stale:
            return row.access_token
        with transaction.atomic():
            row = ZnsToken.objects.select_for_update().get(name=self.name)
            if self.fresh(row) and row.access_token != stale:
                return row.access_token  # another worker refreshed while we waited for the lock
            pair = self.client.refresh(row.refresh_token)
            now = self.clock()
            row.access_token, row.refresh_token = pair.access_token, pair.refresh_token
            row.access_expires_at = now + pair.expires_in
            row.refreshed_at, row.refreshes, row.last_error = now, row.refreshes + 1, ""
            row.save()
        log.info("ZNS access token of %s refreshed", self.name)
        return row.access_token
