"""Threat: the Django admin editing a dossier's state, code, agency, phone or dates with no event, or
deleting a dossier with its events and SMS history. Read-only and undeletable there."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from motcua.dossiers.models import Dossier, DossierEvent
from motcua.messaging.models import IncomingMessage, Message, MessagePart

READ_ONLY = [Dossier, DossierEvent, Message, MessagePart, IncomingMessage]


@pytest.fixture
def history(people, make_dossier):
    dossier = make_dossier()
    message = Message.objects.filter(dossier=dossier).first() or Message.objects.create(
        kind="result", cause="admin-test", dossier=dossier, to="84912345678", text="TB")
    part = MessagePart.objects.create(message=message, connection="vtl", remote_id="r1")
    mo = IncomingMessage.objects.create(connection="vtl", remote_id="m1", sender="84912345678", recipient="8083",
                                        text="MCKH 1", outcome="answered")
    return {Dossier: dossier, DossierEvent: dossier.events.first(), Message: message, MessagePart: part,
            IncomingMessage: mo}


def admin_url(model, action: str, pk=None) -> str:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return base + (f"{pk}/{action}/" if pk else f"{action}/" if action else "")


@pytest.mark.django_db
@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_no_add_change_or_delete_permission(people, model, rf):
    request = rf.get("/admin/")
    request.user = people["province"]
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)


@pytest.mark.django_db
@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_the_superuser_can_look_but_not_post_changes_or_delete(people, history, model):
    c = Client()
    c.force_login(people["province"])
    obj = history[model]
    assert c.get(admin_url(model, "change", obj.pk)).status_code == 200  # a read-only page
    assert c.get(admin_url(model, "add")).status_code == 403
    assert c.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert c.post(admin_url(model, ""), {"action": "delete_selected", "_selected_action": [obj.pk],
                                          "post": "yes"}).status_code in (200, 302)
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.django_db
def test_posting_a_dossier_change_changes_nothing(people, history):
    dossier = history[Dossier]
    c = Client()
    c.force_login(people["province"])
    before = (dossier.state, dossier.code, dossier.phone, dossier.appointment_at)
    response = c.post(admin_url(Dossier, "change", dossier.pk), {"state": "returned", "code": "X", "phone": "0900000000"})
    assert response.status_code == 403
    dossier.refresh_from_db()
    assert (dossier.state, dossier.code, dossier.phone, dossier.appointment_at) == before
