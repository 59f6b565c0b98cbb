"""The OA's refresh token, used once, is never spent twice and never lost to a worker that was down.

Real concurrency: each "worker" is a thread with its own database connection, on the committed test
database (SQLite file or PostgreSQL), against the ZNS peer whose token endpoint refuses a spent token.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from motcua.messaging.models import ZnsToken
from motcua.messaging.transports.zns.client import ZnsClient
from motcua.messaging.transports.zns.tokens import TokenStore
from tests.peers.zns import ZnsPeer

pytestmark = pytest.mark.django_db(transaction=True)

SEED = "refresh-0"


def store(peer: ZnsPeer, seed: str = SEED) -> TokenStore:
    return TokenStore("zns", ZnsClient(peer.app_id, peer.app_secret, api=peer.url, oauth=peer.url, timeout=10), seed)


def test_two_workers_refreshing_at_once_spend_the_refresh_token_once():
    with ZnsPeer(refresh_token=SEED) as peer:
        peer.token_delay = 0.5  # both are waiting while the first refresh is under way
        ZnsToken.objects.create(name="zns", refresh_token=SEED, seed="")  # both find it expired
        start = threading.Barrier(2)
        tokens: list[str] = []
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                start.wait()
                tokens.append(store(peer, seed="").access_token())
            except BaseException as e:  # reported below, with the assertion
                errors.append(e)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert len(peer.refreshes) == 1 and peer.refused_refreshes == 0
        assert tokens[0] == tokens[1]  # the second one took the pair the first one saved
        row = ZnsToken.objects.get(name="zns")
        assert row.refresh_token in peer.refresh_tokens  # the row holds the one valid refresh token
        assert row.refreshes == 1


def test_a_worker_that_was_down_while_the_token_rotated_uses_the_rotated_pair():
    with ZnsPeer(refresh_token=SEED) as peer:
        first = store(peer)
        first.access_token()  # worker 1 rotates: SEED is spent
        # worker 2 was down all along; it starts with the settings' (spent) refresh token, after the access
        # token has expired, so it must refresh too.
        ZnsToken.objects.filter(name="zns").update(access_expires_at=timezone.now() - timedelta(minutes=1))
        second = store(peer)
        token = second.access_token()
        assert peer.refused_refreshes == 0 and len(peer.refreshes) == 2
        assert peer.refreshes[1] != SEED  # it spent the rotated one, read from the database
        assert token == ZnsToken.objects.get(name="zns").access_token


def test_a_new_refresh_token_pasted_in_the_settings_replaces_a_lost_pair():
    with ZnsPeer(refresh_token="pasted-1") as peer:
        ZnsToken.objects.create(name="zns", refresh_token="lost", seed="digest-of-an-old-seed")
        assert store(peer, seed="pasted-1").access_token()
        assert peer.refreshes == ["pasted-1"]
