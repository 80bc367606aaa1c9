"""Pages of the payments register per role: tax officers of the town read and write, every
other role and other towns are refused; every read of a taxpayer's account is audited; the
account statement and the reminders print as PDFs; debtors export as CSV/XLSX."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client
from pypdf import PdfReader

from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from registers.payments import samples, services
from registers.payments.models import BankSettings, Payment, Reminder
from registers.taxes.models import Taxpayer
from registers.taxes.signals import decision_issued

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_municipality, make_user):
    town = make_municipality("180501_1", "Jasło")
    other = make_municipality("186101_1", "Krosno")
    services.bank_settings_save(None, town, "10201026", "1805")
    tp = Taxpayer.objects.create(municipality=town, name="Zofia Dłużna", address="ul. Długa 1")
    services.ensure_accounts(town.pk)
    decision_issued.send(sender=None, decision=None, municipality_id=town.pk, taxpayer_id=tp.pk,
                         year=2025, tax_kind="property", decision_number="PN.1.2025",
                         instalments=[(1, date(2025, 3, 17), D("1000.00")),
                                      (2, date(2025, 5, 15), D("500.00"))])
    users = {role: make_user(f"u_{role}", town, (role,)) for role in Role.values}
    users["other_tax"] = make_user("other_tax", other, (Role.TAX_OFFICER,))
    return town, tp, users


def _client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_pages_by_role(setup):
    town, tp, users = setup
    reads = [f"/payments/{town.pk}/", f"/payments/{town.pk}/queue/",
             f"/payments/{town.pk}/debtors/", f"/payments/{town.pk}/reminders/",
             f"/payments/{town.pk}/enforcement/", f"/payments/taxpayer/{tp.pk}/",
             f"/payments/{town.pk}/reminders/print/?date=2025-04-16"]
    for path in reads:
        assert _client(users[Role.TAX_OFFICER]).get(path).status_code == 200, path
        assert _client().get(path).status_code in (302, 401), path
        for role in (Role.PLANNER, Role.PROPERTY_OFFICER, Role.LANDSCAPE_INSPECTOR,
                     Role.ADMINISTRATOR):
            assert _client(users[role]).get(path).status_code == 403, (path, role)
        assert _client(users["other_tax"]).get(path).status_code == 403, path
    body = _client(users[Role.TAX_OFFICER]).get(f"/payments/taxpayer/{tp.pk}/").content
    assert "Zofia Dłużna".encode() in body and tp.individual_account.formatted.encode() in body


def test_statement_read_is_audited_and_prints(setup):
    _, tp, users = setup
    officer = _client(users[Role.TAX_OFFICER])
    before = AuditEvent.objects.filter(action="read_tax", object_id=str(tp.pk)).count()
    resp = officer.get(f"/payments/taxpayer/{tp.pk}/?date=2025-04-16&format=pdf")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.content)).pages)
    assert "Zofia Dłużna" in text and "1 012,00" in text  # 1,000.00 arrears + 12 zł interest
    assert AuditEvent.objects.filter(action="read_tax", object_id=str(tp.pk)).count() \
        == before + 1


def test_import_queue_resolve_and_debtors_export(setup):
    town, tp, users = setup
    officer = _client(users[Role.TAX_OFFICER])
    data = samples.mt940("63102010260000000000000000", "W1", [
        samples.Credit(date(2025, 4, 16), D("500.00"), tp.individual_account.nrb),
        samples.Credit(date(2025, 4, 17), D("20.00"), "63102010260000000000000000",
                       title="nie wiadomo")])
    resp = officer.post(f"/payments/{town.pk}/import/",
                        {"file": SimpleUploadedFile("w1.sta", data)})
    assert resp.status_code == 302
    # a planner cannot import, nor resolve
    denied = _client(users[Role.PLANNER]).post(f"/payments/{town.pk}/import/",
                                               {"file": SimpleUploadedFile("w1.sta", data)})
    assert denied.status_code == 403
    queued = Payment.objects.get(status="queued")
    stale = officer.post(f"/payments/{town.pk}/queue/resolve/",
                         {"payment": queued.pk, "version": queued.version + 5,
                          "taxpayer": tp.pk})
    assert stale.status_code == 409
    ok = officer.post(f"/payments/{town.pk}/queue/resolve/",
                      {"payment": queued.pk, "version": queued.version, "taxpayer": tp.pk})
    assert ok.status_code == 302
    assert Payment.objects.get(pk=queued.pk).status == "allocated"
    csv = officer.get(f"/payments/{town.pk}/debtors/?date=2025-06-01&format=csv")
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert "Zofia Dłużna" in text.splitlines()[1]
    xlsx = officer.get(f"/payments/{town.pk}/debtors/?date=2025-06-01&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert AuditEvent.objects.filter(action="export", object_type="payments.debtors").exists()


def test_refused_statement_names_line_and_reason(setup):
    town, tp, users = setup
    officer = _client(users[Role.TAX_OFFICER])
    data = samples.camt053("63102010260000000000000000", "B1", [
        samples.Credit(date(2025, 4, 16), D("500.00"), tp.individual_account.nrb)])
    data = data.replace(b'Ccy="PLN">500.00', b'Ccy="EUR">500.00')
    resp = officer.post(f"/payments/{town.pk}/import/",
                        {"file": SimpleUploadedFile("b1.xml", data)}, follow=True)
    assert "line 5" in resp.content.decode() and "EUR" in resp.content.decode()
    assert not Payment.objects.exists()


def test_reminders_issue_and_print(setup):
    town, tp, users = setup
    officer = _client(users[Role.TAX_OFFICER])
    assert officer.post(f"/payments/{town.pk}/reminders/issue/",
                        {"on_date": "2025-04-16"}).status_code == 302
    resp = officer.get(f"/payments/{town.pk}/reminders/print/?date=2025-04-16")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages)
    assert "UP/2025/1" in text and "11,60" in text and tp.individual_account.formatted in text
    assert _client(users[Role.ADMINISTRATOR]).post(
        f"/payments/{town.pk}/reminders/issue/", {"on_date": "2025-04-16"}).status_code == 403


def test_bank_and_reminder_delivery_answer_409_on_a_stale_version(setup):
    """The payments register's two in-place edits on the editing kernel: a form served before
    a colleague's save is refused with 409 and writes nothing; the current version saves."""
    town, tp, users = setup
    officer = Client(headers={"accept-language": "en"})
    officer.force_login(users[Role.TAX_OFFICER])
    page = officer.get(f"/payments/{town.pk}/bank/")
    bank = BankSettings.objects.get(municipality=town)
    assert f'name="version" value="{bank.version}"' in page.content.decode()
    form = {"settlement_number": "10201026", "account_prefix": "1806", "version": bank.version}
    BankSettings.objects.filter(pk=bank.pk).update(version=F("version") + 1)  # a colleague
    stale = officer.post(f"/payments/{town.pk}/bank/", form)
    assert stale.status_code == 409 and "Someone else" in stale.content.decode()
    assert BankSettings.objects.get(pk=bank.pk).account_prefix == "1805"
    ok = officer.post(f"/payments/{town.pk}/bank/", form | {"version": bank.version + 1})
    assert ok.status_code == 302
    assert BankSettings.objects.get(pk=bank.pk).account_prefix == "1806"

    services.issue_reminders(None, town.pk, date(2025, 4, 16))
    reminder = Reminder.objects.get(taxpayer=tp)
    listing = officer.get(f"/payments/{town.pk}/reminders/").content.decode()
    assert f'name="version" value="{reminder.version}"' in listing
    Reminder.objects.filter(pk=reminder.pk).update(version=F("version") + 1)
    sent = {"reminder": reminder.pk, "version": reminder.version, "delivered_on": "2025-04-20"}
    stale = officer.post(f"/payments/{town.pk}/reminders/delivered/", sent)
    assert stale.status_code == 409
    assert Reminder.objects.get(pk=reminder.pk).delivered_on is None
    ok = officer.post(f"/payments/{town.pk}/reminders/delivered/",
                      sent | {"version": reminder.version + 1})
    assert ok.status_code == 302
    stored = Reminder.objects.get(pk=reminder.pk)
    assert stored.delivered_on == date(2025, 4, 20) and stored.version == reminder.version + 2
