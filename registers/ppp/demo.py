"""Demo PPP projects for the demo town (idempotent): a multi-storey car park on the plot the
investment offer proposes for a partnership (preliminary assessment, open for partners) and
street lighting in operation on a municipal plot (partner, indexed monthly payments,
obligations). Dates are relative to today so the reminders stay live."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from django.db import transaction

from layers.models import Municipality
from registers.leases.models import InvestmentOffer
from registers.leases.selectors import municipal_parcels
from registers.ppp import services
from registers.ppp.models import PppProject
from registers.ppp.rules import add_months

CAR_PARK = "Parking wielopoziomowy – ul. Kościuszki"
LIGHTING = "Modernizacja i utrzymanie oświetlenia ulicznego"
CONTACT = "Wydział Mienia Komunalnego, ppp@jaslo.example, tel. 13 443 62 00"


def _years(capex: D, opex: D, fees: D, payment: D, risk: D, n: int) -> list[dict[str, D]]:
    rows = [dict(capex=capex, risk_construction=risk)]
    rows += [dict(opex=opex, user_fees=fees, availability_payment=payment,
                  risk_availability=risk / 10, risk_demand=risk / 10) for _ in range(n - 1)]
    return rows


@transaction.atomic
def load_demo(municipality: Municipality) -> list[PppProject]:
    out = []
    today = date.today()
    existing = {p.title: p for p in PppProject.objects.filter(municipality=municipality)}
    offer = InvestmentOffer.objects.filter(municipality=municipality, mode="ppp").first()
    if CAR_PARK in existing:
        out.append(existing[CAR_PARK])
    elif offer is not None:
        p = services.project_save(None, dict(
            municipality_id=municipality.id, title=CAR_PARK, offer=offer, cadastral_ids=[],
            description="Budowa i utrzymanie parkingu na 240 miejsc; opłaty pobiera partner.",
            open_for_partners=True, contact=CONTACT))
        p = services.worksheet_save(None, p.pk, p.version, dict(
            discount_rate=D("0.05"), public_keeps_user_fees=False,
            construction_bearer="partner", availability_bearer="partner",
            demand_bearer="shared", public_share=D("0.5")),
            _years(D("18000000"), D("350000"), D("900000"), D("1650000"), D("1200000"), 16))
        p = services.project_save(None, dict(
            municipality_id=municipality.id, stage="selection", route="procurement"), p.pk,
            expected_version=p.version)
        services.milestone_add(None, p, dict(
            stage="assessment", title="Wstępna ocena efektywności (art. 6 ustawy o PPP)",
            reference="zarządzenie Burmistrza", due_on=add_months(today, -2),
            done_on=add_months(today, -2)))
        services.milestone_add(None, p, dict(
            stage="selection", title="Ogłoszenie o zamówieniu (BZP)", reference="",
            due_on=date.fromordinal(today.toordinal() + 20), done_on=None))
        out.append(p)
    if LIGHTING in existing:
        out.append(existing[LIGHTING])
        return out
    taken = {c for ids in InvestmentOffer.objects.filter(municipality=municipality)
             .values_list("cadastral_ids", flat=True) for c in ids}
    plot = (municipal_parcels([municipality.id]).exclude(cadastral_id__in=taken)
            .order_by("-cadastral_id").first())
    if plot is None:
        return out
    start = date(today.year - 2, 1, 1)
    p = services.project_save(None, dict(
        municipality_id=municipality.id, title=LIGHTING, cadastral_ids=[plot.cadastral_id],
        description="Wymiana 1 800 opraw na LED i ich utrzymanie przez 15 lat."))
    p = services.worksheet_save(None, p.pk, p.version, dict(
        discount_rate=D("0.05"), public_keeps_user_fees=False, construction_bearer="partner",
        availability_bearer="partner", demand_bearer="public", public_share=D("0.5")),
        _years(D("6500000"), D("420000"), D("0"), D("690000"), D("500000"), 16))
    p = services.project_save(None, dict(
        municipality_id=municipality.id, stage="operation", route="procurement",
        partner_name="Światło Podkarpacia sp. z o.o.", partner_tax_id="6851234567",
        contract_number="PPP/1/2024", contract_date=date(today.year - 3, 11, 20),
        operation_start=start, operation_end=date(today.year + 12, 12, 31),
        payment_amount=D("57500.00"), payment_period="monthly", vat_rate=D("23"),
        indexation="cpi"), p.pk, expected_version=p.version)
    services.obligation_add(None, p, dict(
        party="partner", title="Raport roczny o dostępności oświetlenia", frequency="yearly",
        first_due=date(today.year - 1, 1, 31), last_due=None, notes=""))
    services.obligation_add(None, p, dict(
        party="partner", title="Polisa OC partnera – odnowienie", frequency="yearly",
        first_due=add_months(date.fromordinal(today.toordinal() + 14), -12),
        last_due=None, notes=""))
    out.append(p)
    return out
