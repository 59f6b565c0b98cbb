"""The smpp:// URL: every parameter read, anything else refused with a message naming it."""

from __future__ import annotations

import pytest

from motcua.messaging.connections import Router
from motcua.messaging.transports.smpp.config import PARAMETERS, SmppSettings

BASE = "smpp://khanhhoa:b%C3%AD%40m%E1%BA%ADt@smsc.telco.vn"


def test_defaults_from_a_bare_url():
    s = SmppSettings.from_url(BASE)
    assert (s.host, s.port, s.system_id, s.password, s.name) == ("smsc.telco.vn", 2775, "khanhhoa", "bí@mật", "smsc.telco.vn")
    assert (s.source_addr, s.source_ton, s.source_npi, s.system_type) == ("8083", None, None, "")
    assert (s.window, s.tps, s.enquire_link, s.reconnect_max) == (10, 100, 30, 30)
    assert (s.resp_timeout, s.connect_timeout, s.throttle_pause, s.mo_dedup) == (10, 10, 10, 120)


def test_every_parameter_is_read():
    s = SmppSettings.from_url(
        "smpp://u:p@10.0.0.7:3000?name=vtl&carriers=viettel&source_addr=UBND-KH&source_ton=5&source_npi=0"
        "&system_type=VMA&window=4&tps=150&enquire_link=20&reconnect_max=60&resp_timeout=5"
        "&connect_timeout=3&throttle_pause=15&mo_dedup=0"
    )
    assert (s.host, s.port, s.name, s.source_addr, s.source_ton, s.source_npi, s.system_type) == (
        "10.0.0.7", 3000, "vtl", "UBND-KH", 5, 0, "VMA"
    )
    assert (s.window, s.tps, s.enquire_link, s.reconnect_max) == (4, 150, 20, 60)
    assert (s.resp_timeout, s.connect_timeout, s.throttle_pause, s.mo_dedup) == (5, 3, 15, 0)


def test_source_ton_auto_leaves_the_choice_to_the_sender():
    assert SmppSettings.from_url(f"{BASE}?source_ton=auto&source_npi=").source_ton is None


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("unrecorded=500", "unrecorded= is not supported"),
        ("receipt_timeout=3600", "MOTCUA_RECEIPT_TIMEOUT"),
    ],
)
def test_parameters_that_would_do_nothing_are_refused_by_name(query, says):
    with pytest.raises(ValueError, match=says):
        SmppSettings.from_url(f"{BASE}?window=10&{query}")


def test_an_unknown_parameter_is_refused_with_the_valid_ones():
    with pytest.raises(ValueError) as error:
        SmppSettings.from_url(f"{BASE}?windw=4&tsp=100")
    message = str(error.value)
    assert message.startswith("unknown smpp:// parameters tsp, windw; valid: ")
    assert all(name in message for name in PARAMETERS)
    assert "bí" not in message and "m%E1" not in message  # never the password


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("window=0", "window=0: must be more than 0"),
        ("window=ten", "window=ten: expected an integer"),
        ("window=2.5", "window=2.5: expected an integer"),
        ("tps=-1", "tps=-1: must be at least 0"),
        ("tps=nan", "tps=nan: expected a number"),
        ("resp_timeout=0", "resp_timeout=0: must be more than 0"),
        ("source_ton=300", "source_ton=300: must be auto or 0–255"),
    ],
)
def test_a_value_out_of_range_is_refused_with_the_parameter(query, says):
    with pytest.raises(ValueError, match=says):
        SmppSettings.from_url(f"{BASE}?{query}")


def test_not_an_smpp_url():
    with pytest.raises(ValueError, match="not an smpp:// URL"):
        SmppSettings.from_url("kannel://h")
    with pytest.raises(ValueError, match="needs a host"):
        SmppSettings.from_url("smpp://?window=1")


def test_the_worker_does_not_start_with_a_refused_parameter():
    with pytest.raises(ValueError, match="unrecorded"):
        Router.from_setting(f"sim:// {BASE}?unrecorded=50")
