"""Municipal property, lease agreements, perpetual usufruct and the investment offer.

Records point at plots by ``cadastral_id`` (the identity that survives cadastre re-imports), not
by a foreign key to a parcel row. Leased areas are their own MultiPolygons in 2180.
"""

from __future__ import annotations

import os
import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.db.models import F, Func, Q
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from layers.domain.srid import STORAGE_SRID
from registers.common.editing import Versioned
from registers.leases.rules import Indexation, RentPeriod, UsufructPurpose

RENT_PERIOD_CHOICES = [(RentPeriod.MONTHLY.value, _("monthly")),
                       (RentPeriod.QUARTERLY.value, _("quarterly")),
                       (RentPeriod.YEARLY.value, _("yearly"))]
INDEXATION_CHOICES = [(Indexation.NONE.value, _("none")),
                      (Indexation.CPI.value, _("consumer price index (GUS)"))]
USUFRUCT_PURPOSE_CHOICES = [
    (UsufructPurpose.DEFENCE_CHARITY.value, _("defence, religious, charitable, education (0.3 %)")),
    (UsufructPurpose.AGRICULTURE.value, _("agriculture (1 %)")),
    (UsufructPurpose.GARAGES.value, _("garages not used for business (1 %)")),
    (UsufructPurpose.HOUSING_PUBLIC.value,
     _("housing, infrastructure, public purposes, sport (1 %)")),
    (UsufructPurpose.TOURISM.value, _("tourism (2 %)")),
    (UsufructPurpose.OTHER.value, _("other purposes (3 %)")),
]


class PropertyOverride(Versioned):
    """A hand correction of the cadastre's answer to "is this plot the town's?", and the
    management fields of a municipal plot (who manages it, in which form, inventory number)."""

    audit_type = "property_override"

    class Status(models.TextChoices):
        CADASTRE = "cadastre", _("as in the cadastre")
        INCLUDE = "include", _("municipal (added by hand)")
        EXCLUDE = "exclude", _("not municipal (removed by hand)")

    class ManagementForm(models.TextChoices):
        OWN = "own", _("own administration")
        PERMANENT_MANAGEMENT = "permanent_management", _("permanent management (trwały zarząd)")
        LEASED = "leased", _("leased out")
        USUFRUCT = "usufruct", _("perpetual usufruct")
        OTHER = "other", _("other")

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("municipality"))
    cadastral_id = models.CharField(_("parcel id"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.CADASTRE)
    manager = models.CharField(_("managing unit"), max_length=200, blank=True)
    management_form = models.CharField(_("form of management"), max_length=32,
                                       choices=ManagementForm.choices, blank=True)
    inventory_number = models.CharField(_("inventory number"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("municipal property record")
        verbose_name_plural = _("municipal property records")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "cadastral_id"],
                                    name="leases_propertyoverride_parcel_uniq"),
        ]

    def __str__(self) -> str:
        return self.cadastral_id


class PriceIndex(models.Model):
    """The yearly average consumer price index (GUS), previous year = 100: data keyed by year."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    cpi = models.DecimalField(_("CPI (previous year = 100)"), max_digits=7, decimal_places=2)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("price index")
        verbose_name_plural = _("price indices")
        ordering = ["year"]
        constraints = [models.CheckConstraint(condition=Q(cpi__gt=0),
                                              name="leases_priceindex_cpi_positive")]

    def __str__(self) -> str:
        return f"{self.year}: {self.cpi}"


class Lease(Versioned):
    """A lease (dzierżawa), rental (najem) or free use (użyczenie) of municipal land."""

    audit_type = "lease"

    class Kind(models.TextChoices):
        LEASE = "lease", _("lease (dzierżawa)")
        RENTAL = "rental", _("rental (najem)")
        FREE_USE = "free_use", _("free use (użyczenie)")

    class LesseeKind(models.TextChoices):
        PERSON = "person", _("natural person")
        COMPANY = "company", _("company or institution")

    class Purpose(models.TextChoices):
        AGRICULTURE = "agriculture", _("agriculture")
        COMMERCIAL = "commercial", _("commercial")
        GARDEN = "garden", _("garden")
        GARAGE = "garage", _("garage or parking")
        ADVERTISING = "advertising", _("advertising")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACTIVE = "active", _("active")
        ENDED = "ended", _("ended")
        TERMINATED = "terminated", _("terminated")
        REFUSED = "refused", _("refused")

    class Procedure(models.TextChoices):
        TENDER = "tender", _("tender")
        NO_TENDER = "no_tender", _("without tender")

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("municipality"))
    number = models.CharField(_("contract number"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.LEASE)
    lessee_kind = models.CharField(_("lessee kind"), max_length=16, choices=LesseeKind.choices,
                                   default=LesseeKind.PERSON)
    lessee_name = models.CharField(_("lessee"), max_length=300)
    lessee_tax_id = models.CharField(_("lessee NIP / REGON"), max_length=20, blank=True)
    lessee_address = models.CharField(_("lessee address"), max_length=300, blank=True)
    cadastral_ids = ArrayField(models.CharField(max_length=64), verbose_name=_("plots"),
                               default=list)
    whole_plot = models.BooleanField(_("the whole plot"), default=False)
    geom = models.MultiPolygonField(_("leased area"), srid=STORAGE_SRID, spatial_index=False)
    area_m2 = models.GeneratedField(
        expression=Func(F("geom"), function="ST_Area", output_field=models.FloatField()),
        output_field=models.FloatField(), db_persist=True, verbose_name=_("leased area [m²]"))
    shared = models.BooleanField(
        _("shared use"), default=False,
        help_text=_("may overlap other active leases that are also marked as shared"))
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices,
                               default=Purpose.OTHER)
    purpose_detail = models.CharField(_("purpose in detail"), max_length=300, blank=True)
    rent_amount = models.DecimalField(_("rent (net) per period"), max_digits=12,
                                      decimal_places=2, default=0)
    rent_period = models.CharField(_("rent period"), max_length=16,
                                   choices=RENT_PERIOD_CHOICES,
                                   default=RentPeriod.YEARLY.value)
    vat_rate = models.DecimalField(_("VAT rate [%]"), max_digits=5, decimal_places=2, default=23)
    indexation = models.CharField(_("indexation"), max_length=8,
                                  choices=INDEXATION_CHOICES,
                                  default=Indexation.CPI.value)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True,
                                help_text=_("empty for an open term"))
    contract_date = models.DateField(_("contract date"), null=True, blank=True)
    procedure = models.CharField(_("procedure"), max_length=16, choices=Procedure.choices,
                                 default=Procedure.NO_TENDER)
    council_resolution = models.CharField(
        _("council resolution waiving the tender"), max_length=100, blank=True)
    follow_up = models.BooleanField(
        _("follows an earlier contract for the same land"), default=False)
    notice_reference = models.CharField(_("public notice (wykaz) reference"), max_length=100,
                                        blank=True)
    notice_posted_on = models.DateField(_("notice posted on"), null=True, blank=True)
    notice_removed_on = models.DateField(_("notice removed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PROPOSED)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    ownership_reason = models.TextField(
        _("reason for leasing land the municipality does not own"), blank=True,
        help_text=_("required when a plot is not municipal property in the cadastre and the "
                    "property register: on what basis the municipality leases it"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("lease agreement")
        verbose_name_plural = _("lease agreements")
        ordering = ["end_date", "id"]
        indexes = [
            GistIndex(fields=["geom"], name="leases_lease_geom_gist"),
            GinIndex(fields=["cadastral_ids"], name="leases_lease_cadastral_gin"),
            models.Index(fields=["municipality", "status", "end_date"],
                         name="leases_lease_status_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="leases_lease_geom_valid"),
            models.CheckConstraint(condition=Q(end_date__isnull=True)
                                   | Q(end_date__gte=F("start_date")),
                                   name="leases_lease_end_after_start"),
            models.CheckConstraint(condition=Q(rent_amount__gte=0),
                                   name="leases_lease_rent_nonnegative"),
            models.CheckConstraint(condition=~Q(cadastral_ids=[]),
                                   name="leases_lease_has_plots"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


def lease_document_path(instance: LeaseDocument, filename: str) -> str:
    """Never trust the uploaded name: a random prefix, a cleaned base name, the lower-case
    extension, under the municipality and the lease."""
    name = PurePath(os.path.basename(filename or "document"))
    stem = get_valid_filename(name.stem)[:60] or "document"
    suffix = name.suffix.lower()
    return (f"leases/{instance.lease.municipality_id}/{instance.lease_id}/"
            f"{uuid.uuid4().hex[:12]}-{stem}{suffix}")


class LeaseDocument(models.Model):
    """A document attached to a lease (the contract, the notice, a protocol)."""

    lease = models.ForeignKey(Lease, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=lease_document_path, max_length=300)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveIntegerField(_("size [bytes]"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("lease document")
        verbose_name_plural = _("lease documents")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.title


class Usufruct(Versioned):
    """A perpetual usufruct (użytkowanie wieczyste) of municipal land and its annual fee."""

    audit_type = "usufruct"

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("municipality"))
    cadastral_id = models.CharField(_("parcel id"), max_length=64)
    holder_name = models.CharField(_("perpetual usufructuary"), max_length=300)
    purpose = models.CharField(_("purpose"), max_length=24,
                               choices=USUFRUCT_PURPOSE_CHOICES)
    land_value = models.DecimalField(_("land value"), max_digits=14, decimal_places=2)
    fee_updated_year = models.PositiveSmallIntegerField(
        _("year the current fee took effect"), null=True, blank=True)
    previous_fee = models.DecimalField(_("fee before the last update"), max_digits=12,
                                       decimal_places=2, null=True, blank=True)
    fee_notice_on = models.DateField(_("notice of the last update given on"), null=True,
                                     blank=True)

    class Meta:
        verbose_name = _("perpetual usufruct")
        verbose_name_plural = _("perpetual usufructs")
        constraints = [models.CheckConstraint(condition=Q(land_value__gte=0),
                                              name="leases_usufruct_value_nonnegative")]

    def __str__(self) -> str:
        return f"{self.cadastral_id} {self.holder_name}"


class InvestmentOffer(Versioned):
    """Municipal plots offered to investors: published on the public map when ``published``."""

    audit_type = "investment_offer"

    class Mode(models.TextChoices):
        SALE = "sale", _("sale")
        LEASE = "lease", _("lease")
        PPP = "ppp", _("public-private partnership")

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("municipality"))
    title = models.CharField(_("title"), max_length=200)
    mode = models.CharField(_("offered for"), max_length=8, choices=Mode.choices)
    cadastral_ids = ArrayField(models.CharField(max_length=64), verbose_name=_("plots"))
    geom = models.MultiPolygonField(_("area"), srid=STORAGE_SRID, spatial_index=False)
    area_m2 = models.GeneratedField(
        expression=Func(F("geom"), function="ST_Area", output_field=models.FloatField()),
        output_field=models.FloatField(), db_persist=True, verbose_name=_("area [m²]"))
    conditions = models.TextField(_("conditions"), blank=True)
    price = models.DecimalField(_("asking price or rent"), max_digits=14, decimal_places=2,
                                null=True, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    published = models.BooleanField(_("published"), default=False)

    class Meta:
        verbose_name = _("investment offer")
        verbose_name_plural = _("investment offers")
        indexes = [GistIndex(fields=["geom"], name="leases_offer_geom_gist")]
        constraints = [models.CheckConstraint(condition=Q(geom__isvalid=True),
                                              name="leases_offer_geom_valid")]

    def __str__(self) -> str:
        return self.title
