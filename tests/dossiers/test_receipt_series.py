"""Which agency's issued series a supplied code lies in (pure domain)."""

from __future__ import annotations

import pytest

from motcua.domain.receipt_codes import issued_serial, series_owner

DEFAULT = "{agency}{yy}{serial:05d}"


@pytest.mark.parametrize("fmt, code, agency, expected", [
    (DEFAULT, "0162600012", "016", (2026, 12)),
    (DEFAULT, " 016 26 00012 ", "016", (2026, 12)),
    (DEFAULT, "0162600012", "010", None),
    (DEFAULT, "016260001", "016", None),  # one digit short: not our code
    ("{agency}-{yy}-{serial:05d}", "016-26-00012", "016", (2026, 12)),
    ("{agency}-{yy}-{serial:05d}", "016.26.00012", "016", (2026, 12)),
    ("MC{agency}.{yyyy}.{serial:06d}", "mc016.2026.000012", "016", (2026, 12)),
    ("{agency}{serial:07d}", "0160000012", "016", (None, 12)),
    (DEFAULT, "000.00.16.H35-261005-0001", "016", None),  # a national code is nobody's series
])
def test_issued_serial(fmt, code, agency, expected):
    assert issued_serial(fmt, code, agency) == expected


def test_series_owner_names_the_agency():
    agencies = [f"{n:03d}" for n in range(1, 400)]
    assert series_owner(DEFAULT, "0162600001", agencies) == "016"
    assert series_owner(DEFAULT, "G09.20-20260609-0092637", agencies) is None
