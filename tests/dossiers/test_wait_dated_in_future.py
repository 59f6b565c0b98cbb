"""A vendor's record may date a supplement request in the future (a typo in the year); when the dossier
moves on today, the wait ends before it started. The service answers, and counts no excused time."""

from __future__ import annotations

import pytest

from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from tests.conftest import local


@pytest.mark.django_db
def test_a_supplement_dated_in_the_future_then_answered_is_no_excuse_and_no_error(make_dossier):
    dossier = make_dossier(received=local(2026, 11, 23, 9, 0))
    due = dossier.late_after
    services.apply_event(dossier, "supplement_requested", "test", at=local(2099, 12, 31, 23, 59))
    services.apply_event(Dossier.objects.get(pk=dossier.pk), "supplement_received", "test", at=local(2026, 11, 24, 9, 0))
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.late_after == due  # no working time excused by a wait that ended before it began
