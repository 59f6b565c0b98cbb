"""What the client promises before any SMSC is reached (the rest runs against the node SMSC in
tests/integration/test_smpp.py)."""

from __future__ import annotations

from motcua.messaging.transports.base import OutgoingSMS
from motcua.messaging.transports.smpp import SmppTransport

URL = "smpp://u:p@127.0.0.1:9?name=vtl&window=7&tps=150"


def test_the_worker_hands_it_one_window_at_a_time():
    assert SmppTransport.from_url(URL).batch_size == 7


def test_submit_while_unbound_answers_at_once_that_the_link_is_down():
    transport = SmppTransport.from_url(URL)
    future = transport.submit([OutgoingSMS(1, "84912345678", "x", "gsm"), OutgoingSMS(2, "84912345679", "y", "gsm")])
    assert future.done()
    results = future.result()
    assert [r.message_id for r in results] == [1, 2]
    assert all(not r.ok and r.temporary and r.error.startswith("link down") for r in results)
    assert transport.submit([]).result() == []


def test_state_before_the_first_bind():
    state = SmppTransport.from_url(URL).state()
    assert state == {
        "name": "vtl", "scheme": "smpp", "up": False, "bound_since": None, "last_error": "",
        "sent": 0, "failed": 0, "receipts": 0, "mo": 0,
        "tps": 0.0, "tps_limit": 150.0, "window": 7, "outstanding": 0,
    }
