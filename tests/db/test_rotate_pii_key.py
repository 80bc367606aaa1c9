"""A PII key that fails the deploy check can be replaced: the PESELs are re-encrypted (issue 14)."""

from __future__ import annotations

import io
import secrets

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from gis_app.audit.models import AuditEvent
from layers import pii

pytestmark = pytest.mark.django_db


def _subject(town, n: int, pesel: str):
    from layers.models import Subject

    return Subject.objects.create(municipality=town, kind="person", name=f"Osoba {n}",
                                  source_namespace="test", local_id=f"s-{n}", version_id="1",
                                  pesel_encrypted=pii.encrypt(pesel))


def test_rotation_re_encrypts_every_pesel(make_municipality, settings, monkeypatch):
    town = make_municipality()
    old_key = secrets.token_urlsafe(32)  # the kind of key check --deploy now refuses
    settings.GEOGMINA_PII_KEY = old_key
    people = [_subject(town, n, f"8001011234{n}") for n in range(3)]
    new_key = Fernet.generate_key().decode()
    settings.GEOGMINA_PII_KEY = new_key
    assert pii.decrypt(people[0].pesel_encrypted) is None  # unreadable under the new key

    monkeypatch.setenv("GEOGMINA_OLD_PII_KEY", old_key)
    out = io.StringIO()
    call_command("rotate_pii_key", stdout=out)
    assert "3 PESEL(s) re-encrypted" in out.getvalue()
    for n, person in enumerate(people):
        person.refresh_from_db()
        assert pii.decrypt(person.pesel_encrypted) == f"8001011234{n}"
    event = AuditEvent.objects.get(detail="command manage.py rotate_pii_key")
    assert event.after == {"pesel_reencrypted": 3, "already_under_new_key": 0}
    assert "8001011234" not in str(event.after)
    # a second run changes nothing
    call_command("rotate_pii_key", stdout=out)
    assert "0 PESEL(s) re-encrypted under the new key, 3 already" in out.getvalue()


def test_rotation_refuses_a_weak_new_key_or_no_old_key(make_municipality, settings,
                                                       monkeypatch):
    settings.GEOGMINA_PII_KEY = "changeme"
    monkeypatch.setenv("GEOGMINA_OLD_PII_KEY", "whatever")
    with pytest.raises(CommandError, match="refused as the new key"):
        call_command("rotate_pii_key")
    settings.GEOGMINA_PII_KEY = Fernet.generate_key().decode()
    monkeypatch.delenv("GEOGMINA_OLD_PII_KEY")
    with pytest.raises(CommandError, match="GEOGMINA_OLD_PII_KEY"):
        call_command("rotate_pii_key")


def test_a_pesel_neither_key_opens_changes_nothing(make_municipality, settings, monkeypatch):
    town = make_municipality()
    settings.GEOGMINA_PII_KEY = secrets.token_urlsafe(32)
    stray = _subject(town, 1, "80010112345")  # under a third key
    settings.GEOGMINA_PII_KEY = old_key = secrets.token_urlsafe(32)
    good = _subject(town, 2, "80010112346")
    settings.GEOGMINA_PII_KEY = Fernet.generate_key().decode()
    monkeypatch.setenv("GEOGMINA_OLD_PII_KEY", old_key)
    before = bytes(good.pesel_encrypted)
    with pytest.raises(CommandError, match=f"subject {stray.pk} decrypts with neither key"):
        call_command("rotate_pii_key")
    good.refresh_from_db()
    assert bytes(good.pesel_encrypted) == before
