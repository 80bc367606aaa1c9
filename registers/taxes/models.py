"""The property-tax register: yearly parameters, rate resolutions, taxpayers, tax objects,
assessment years and reconciliation cases.

Tax objects point at the cadastre by identity (``cadastral_id`` / ``building_id`` strings, which
survive re-imports) and, where the row exists, by a nullable foreign key for convenient joins.
Amounts are never stored per object: the roll computes them set-based (``services.roll``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registers.common.editing import Versioned
from registers.taxes.rules import CATEGORY_LABELS, CessationEvent, ObligationEvent

CATEGORY_CHOICES = [(code, f"{code} – {label}") for code, label in CATEGORY_LABELS.items()]
AROSE_EVENT_CHOICES = [
    (ObligationEvent.ACQUISITION.value, _("acquisition (purchase, inheritance, lease…)")),
    (ObligationEvent.COMPLETION.value, _("completion of the building / structure")),
    (ObligationEvent.START_OF_USE.value, _("start of use before completion")),
    (ObligationEvent.OTHER.value, _("other circumstance")),
]
CEASED_EVENT_CHOICES = [
    (CessationEvent.SALE.value, _("sale / transfer")),
    (CessationEvent.DEMOLITION.value, _("demolition")),
    (CessationEvent.OTHER.value, _("other circumstance")),
]
AROSE_HELP = _(
    "The date of the event itself. A new building or structure: the date its construction was "
    "completed or its use began (taxed from 1 January of the next year, art. 6 ust. 2 UPOL). "
    "An acquisition or other event: its date (taxed from the first day of the next month, "
    "art. 6 ust. 1).")
CEASED_HELP = _("The date of the sale, demolition or other event: the obligation ends with "
                "that month (art. 6 ust. 3 UPOL).")
_money: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
_rate: dict[str, Any] = {"max_digits": 10, "decimal_places": 4,
                         "validators": [MinValueValidator(Decimal("0"))]}
_area: dict[str, Any] = {"max_digits": 14, "decimal_places": 2,
                         "validators": [MinValueValidator(Decimal("0"))]}


class YearlyParameters(models.Model):
    """Numbers of one tax year that the law takes from announcements (rye, timber, threshold)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    rye_price_per_dt = models.DecimalField(_("rye price [zł/dt]"), null=True, blank=True, **_rate)
    timber_price_per_m3 = models.DecimalField(_("timber price [zł/m³]"), null=True, blank=True,
                                              **_rate)
    minimum_threshold = models.DecimalField(
        _("minimum threshold [zł]"), **_money,
        help_text=_("no assessment when the year's tax would not exceed it (art. 6 ust. 8a)"))
    note = models.TextField(_("source / note"), blank=True)

    class Meta:
        verbose_name = _("yearly tax parameters")
        verbose_name_plural = _("yearly tax parameters")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class RateCap(models.Model):
    """The statutory maximum of one category in one year (art. 5 ust. 1, art. 20 UPOL)."""

    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("category"), max_length=2, choices=CATEGORY_CHOICES)
    cap = models.DecimalField(_("maximum rate"), **_rate)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("statutory maximum rate")
        verbose_name_plural = _("statutory maximum rates")
        ordering = ["-year", "category"]
        constraints = [models.UniqueConstraint(fields=["year", "category"],
                                               name="taxes_ratecap_year_category_uniq")]

    def __str__(self) -> str:
        return f"{self.year} {self.category} ≤ {self.cap}"


class ConversionFactor(models.Model):
    """Conversion hectares per physical hectare (art. 4 UPR) by tax district, OFU and class."""

    district = models.CharField(_("tax district"), max_length=4, blank=True,
                                help_text=_("I–IV; empty = any district"))
    ofu = models.CharField(_("land use (OFU)"), max_length=8)
    soil_class = models.CharField(_("soil class"), max_length=8, blank=True)
    factor = models.DecimalField(_("factor"), max_digits=6, decimal_places=3)

    class Meta:
        verbose_name = _("conversion-hectare factor")
        verbose_name_plural = _("conversion-hectare factors")
        constraints = [models.UniqueConstraint(fields=["district", "ofu", "soil_class"],
                                               name="taxes_conversion_key_uniq")]

    def __str__(self) -> str:
        return f"{self.ofu} {self.soil_class} {self.district}: {self.factor}"


class RateResolution(models.Model):
    """A council's resolution setting the year's rates (uchwała w sprawie stawek)."""

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="tax_resolutions")
    year = models.PositiveSmallIntegerField(_("tax year"))
    number = models.CharField(_("resolution number"), max_length=64)
    adopted_on = models.DateField(_("adopted on"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("rate resolution")
        verbose_name_plural = _("rate resolutions")
        ordering = ["municipality", "-year"]
        constraints = [models.UniqueConstraint(fields=["municipality", "year"],
                                               name="taxes_resolution_year_uniq")]

    def __str__(self) -> str:
        return f"{self.number} ({self.year})"


class Rate(models.Model):
    """One rate of a resolution; ``variant`` differentiates (art. 5 ust. 2–4), '' is the base."""

    resolution = models.ForeignKey(RateResolution, on_delete=models.CASCADE,
                                   related_name="rates")
    category = models.CharField(_("category"), max_length=2, choices=CATEGORY_CHOICES)
    variant = models.CharField(_("variant"), max_length=32, blank=True,
                               help_text=_("code of a differentiated rate; empty = general"))
    description = models.CharField(_("applies to"), max_length=200, blank=True)
    rate = models.DecimalField(_("rate"), **_rate)

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        ordering = ["category", "variant"]
        constraints = [models.UniqueConstraint(fields=["resolution", "category", "variant"],
                                               name="taxes_rate_variant_uniq")]

    def __str__(self) -> str:
        return f"{self.category}{'/' + self.variant if self.variant else ''} {self.rate}"


class Taxpayer(models.Model):
    """A taxpayer: a natural person (IN-1, decision, four instalments) or a company (DN-1)."""

    class Kind(models.TextChoices):
        PERSON = "person", _("natural person")
        COMPANY = "company", _("legal person / organisational unit")

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="taxpayers")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=300)
    tax_id = models.CharField(_("NIP / REGON"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    business = models.BooleanField(
        _("runs a business"), default=False,
        help_text=_("holds land/buildings for business: business rates (art. 1a ust. 1 pkt 3)"))
    subject_local_id = models.CharField(_("cadastre subject id"), max_length=128, blank=True)
    external_ref = models.CharField(_("reference in the tax system"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("taxpayer")
        verbose_name_plural = _("taxpayers")
        ordering = ["name"]
        indexes = [models.Index(fields=["municipality", "name"], name="taxes_taxpayer_name_idx")]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "external_ref"],
                                    condition=~Q(external_ref=""),
                                    name="taxes_taxpayer_ref_uniq"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def legal_person(self) -> bool:
        return self.kind == self.Kind.COMPANY


class TaxObject(models.Model):
    """Land, a building (or part) or a structure as declared, with its base and category.

    ``taxpayer`` is the addressee of the decision; co-owners (jointly liable, art. 3 ust. 4) are
    listed in ``CoOwner`` with their shares. Obligation months follow from ``arose_on`` and
    ``ceased_on`` (the dates of the events, art. 6).
    """

    class Kind(models.TextChoices):
        LAND = "land", _("land")
        BUILDING = "building", _("building or part")
        STRUCTURE = "structure", _("structure")

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="tax_objects")
    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT,
                                 related_name="tax_objects")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    category = models.CharField(_("category"), max_length=2, choices=CATEGORY_CHOICES)
    variant = models.CharField(_("rate variant"), max_length=32, blank=True)
    cadastral_id = models.CharField(_("parcel id"), max_length=64, blank=True, db_index=True)
    building_id = models.CharField(_("building id"), max_length=80, blank=True, db_index=True)
    parcel_row = models.ForeignKey("layers.Parcel", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="tax_objects",
                                   verbose_name=_("parcel (current row)"))
    building_row = models.ForeignKey("layers.Building", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="tax_objects",
                                     verbose_name=_("building (current row)"))
    area_m2 = models.DecimalField(_("land area [m²]"), null=True, blank=True, **_area)
    usable_full_m2 = models.DecimalField(_("usable area ≥ 2.20 m [m²]"), null=True, blank=True,
                                         **_area)
    usable_half_m2 = models.DecimalField(_("usable area 1.40–2.20 m [m²]"), null=True,
                                         blank=True, **_area)
    usable_low_m2 = models.DecimalField(_("area below 1.40 m [m²]"), null=True, blank=True,
                                        **_area)
    value = models.DecimalField(_("value of the structure [zł]"), null=True, blank=True, **_area)
    exempt = models.BooleanField(_("exempt"), default=False)
    exemption_basis = models.CharField(_("legal basis of the exemption"), max_length=200,
                                       blank=True)
    arose_event = models.CharField(_("event that made the obligation arise"), max_length=16,
                                   choices=AROSE_EVENT_CHOICES, blank=True,
                                   db_default="")
    arose_on = models.DateField(_("date of that event"), null=True, blank=True,
                                help_text=AROSE_HELP)
    ceased_event = models.CharField(_("event that ended the obligation"), max_length=16,
                                    choices=CEASED_EVENT_CHOICES, blank=True,
                                    db_default="")
    ceased_on = models.DateField(_("date of the ending event"), null=True, blank=True,
                                 help_text=CEASED_HELP)
    declaration = models.CharField(_("declaration (IN-1/DN-1) ref."), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tax object")
        verbose_name_plural = _("tax objects")
        ordering = ["cadastral_id", "building_id", "id"]
        indexes = [models.Index(fields=["municipality", "kind"], name="taxes_object_kind_idx"),
                   models.Index(fields=["taxpayer"], name="taxes_object_taxpayer_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="land", area_m2__isnull=False, category__startswith="G")
                | Q(kind="building", usable_full_m2__isnull=False, category__startswith="B")
                & ~Q(category="BU")
                | Q(kind="structure", value__isnull=False, category="BU"),
                name="taxes_object_base_matches_kind"),
            models.CheckConstraint(condition=~Q(exempt=True) | ~Q(exemption_basis=""),
                                   name="taxes_object_exemption_has_basis"),
            models.CheckConstraint(
                condition=Q(arose_on__isnull=True) | Q(ceased_on__isnull=True)
                | Q(ceased_on__gte=models.F("arose_on")),
                name="taxes_object_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.building_id or self.cadastral_id} {self.category}"


class CoOwner(models.Model):
    """A co-owner of a tax object, jointly liable with the addressee (art. 3 ust. 4)."""

    tax_object = models.ForeignKey(TaxObject, on_delete=models.CASCADE, related_name="co_owners")
    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="co_owned")
    numerator = models.PositiveIntegerField(_("share numerator"), default=1)
    denominator = models.PositiveIntegerField(_("share denominator"), default=1)

    class Meta:
        verbose_name = _("co-owner")
        verbose_name_plural = _("co-owners")
        constraints = [
            models.UniqueConstraint(fields=["tax_object", "taxpayer"],
                                    name="taxes_coowner_uniq"),
            models.CheckConstraint(condition=Q(denominator__gt=0)
                                   & Q(numerator__lte=models.F("denominator")),
                                   name="taxes_coowner_share_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.taxpayer_id} {self.numerator}/{self.denominator}"


class AssessmentYear(models.Model):
    """The state of one municipality's tax year: when the roll was computed and its totals."""

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="tax_years")
    year = models.PositiveSmallIntegerField(_("year"))
    closed = models.BooleanField(_("closed"), default=False)
    computed_at = models.DateTimeField(_("roll computed"), null=True, blank=True)
    total = models.DecimalField(_("assessed total [zł]"), null=True, blank=True, **_money)
    taxpayers_assessed = models.PositiveIntegerField(_("taxpayers assessed"), default=0)

    class Meta:
        verbose_name = _("assessment year")
        verbose_name_plural = _("assessment years")
        constraints = [models.UniqueConstraint(fields=["municipality", "year"],
                                               name="taxes_assessmentyear_uniq")]

    def __str__(self) -> str:
        return str(self.year)


class ReconciliationCase(Versioned):
    """A disagreement between the tax register and the cadastre, worked as a case.

    Keyed by a stable ``fingerprint`` (kind + cadastral identity) so that a re-computation or a
    re-import updates the estimate and keeps the officer's status. The ``version`` locks the
    officer's status change only; a reconciliation run leaves it alone.
    """

    audit_type = "taxes.reconciliationcase"

    class Kind(models.TextChoices):
        PARCEL_UNTAXED = "parcel_untaxed", _("parcel with no tax object")
        BUILDING_UNTAXED = "building_untaxed", _("building with no tax object")
        AREA_MISMATCH = "area_mismatch", _("declared land area differs from the legal area")
        BUSINESS_AS_OTHER = "business_as_other", _("business land taxed as other land")
        BUILDING_UNDERDECLARED = "building_underdeclared", _(
            "building much larger than its declared usable area")
        LEASE_UNTAXED = "lease_untaxed", _("leased municipal land with no taxpayer")
        OBJECT_ORPHANED = "object_orphaned", _(
            "tax object pointing at a parcel or building the cadastre no longer has")

    class Status(models.TextChoices):
        NEW = "new", _("new")
        IN_REVIEW = "in_review", _("in review")
        EXPLAINED = "explained", _("explained")
        CORRECTED = "corrected", _("corrected")

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="tax_cases")
    fingerprint = models.CharField(_("fingerprint"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    cadastral_id = models.CharField(_("parcel id"), max_length=64, blank=True, db_index=True)
    building_id = models.CharField(_("building id"), max_length=80, blank=True)
    tax_object_id = models.BigIntegerField(_("tax object"), null=True, blank=True)
    estimated_loss = models.DecimalField(_("estimated lost revenue [zł/year]"), **_money)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.NEW)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    status_note = models.TextField(_("note"), blank=True)
    still_detected = models.BooleanField(_("found by the last run"), default=True)
    first_seen_at = models.DateTimeField(_("first found"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last found"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation case")
        verbose_name_plural = _("reconciliation cases")
        ordering = ["-estimated_loss", "fingerprint"]
        constraints = [models.UniqueConstraint(fields=["municipality", "fingerprint"],
                                               name="taxes_case_fingerprint_uniq")]
        indexes = [models.Index(fields=["municipality", "status", "-estimated_loss"],
                                name="taxes_case_rank_idx")]

    def __str__(self) -> str:
        return self.fingerprint


class TaxOfficeSettings(models.Model):
    """A municipality's tax organ as its decisions name it, and its tax district."""

    class District(models.TextChoices):
        I = "I", "I"  # noqa: E741
        II = "II", "II"
        III = "III", "III"
        IV = "IV", "IV"

    municipality = models.OneToOneField("layers.Municipality", on_delete=models.CASCADE,
                                        related_name="tax_office")
    organ = models.CharField(_("tax organ"), max_length=200,
                             help_text=_("e.g. Burmistrz Miasta Jasła"))
    organ_address = models.CharField(_("organ's address"), max_length=300, blank=True)
    appeal_body = models.CharField(
        _("appeal body (SKO)"), max_length=200,
        help_text=_("e.g. Samorządowe Kolegium Odwoławcze w Krośnie"))
    number_prefix = models.CharField(_("decision number prefix"), max_length=40,
                                     default="FN.3120")
    district = models.CharField(
        _("agricultural tax district"), max_length=4, choices=District.choices, blank=True,
        help_text=_("okręg podatkowy of the municipality (rozporządzenie w sprawie zaliczenia "
                    "gmin do okręgów podatkowych); UNCONFIRMED until checked"))

    class Meta:
        verbose_name = _("tax office settings")
        verbose_name_plural = _("tax office settings")

    def __str__(self) -> str:
        return self.organ


class RuralLandObject(models.Model):
    """Farmland (agricultural tax) or forest (forest tax) of a taxpayer, one land-use contour
    of a parcel: OFU, soil class and physical hectares (IR-1 / IL-1 data)."""

    class Tax(models.TextChoices):
        AGRICULTURAL = "agricultural", _("agricultural tax")
        FOREST = "forest", _("forest tax")

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="rural_tax_objects")
    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT,
                                 related_name="rural_objects")
    tax = models.CharField(_("tax"), max_length=12, choices=Tax.choices)
    cadastral_id = models.CharField(_("parcel id"), max_length=64, db_index=True)
    parcel_row = models.ForeignKey("layers.Parcel", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="rural_tax_objects",
                                   verbose_name=_("parcel (current row)"))
    ofu = models.CharField(_("land use (OFU)"), max_length=8)
    soil_class = models.CharField(_("soil class"), max_length=8, blank=True)
    area_ha = models.DecimalField(_("area [ha]"), max_digits=12, decimal_places=4,
                                  validators=[MinValueValidator(Decimal("0"))])
    reserve = models.BooleanField(
        _("in a nature reserve or national park"), default=False,
        help_text=_("forest tax at half the rate (art. 4 ust. 3 ustawy o podatku leśnym)"))
    young_stand = models.BooleanField(
        _("stand up to 40 years"), default=False,
        help_text=_("exempt from forest tax (art. 7 ust. 1 pkt 1 ustawy o podatku leśnym)"))
    exempt = models.BooleanField(_("exempt (other basis)"), default=False)
    exemption_basis = models.CharField(_("legal basis of the exemption"), max_length=200,
                                       blank=True)
    arose_event = models.CharField(_("event that made the obligation arise"), max_length=16,
                                   choices=AROSE_EVENT_CHOICES, blank=True,
                                   db_default="")
    arose_on = models.DateField(_("date of that event"), null=True, blank=True)
    ceased_event = models.CharField(_("event that ended the obligation"), max_length=16,
                                    choices=CEASED_EVENT_CHOICES, blank=True,
                                    db_default="")
    ceased_on = models.DateField(_("date of the ending event"), null=True, blank=True)
    declaration = models.CharField(_("information (IR-1/IL-1) ref."), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("farmland or forest object")
        verbose_name_plural = _("farmland and forest objects")
        ordering = ["cadastral_id", "ofu", "id"]
        indexes = [models.Index(fields=["taxpayer", "tax"], name="taxes_rural_taxpayer_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(exempt=True) | ~Q(exemption_basis=""),
                                   name="taxes_rural_exemption_has_basis"),
            models.CheckConstraint(condition=Q(tax="forest") | (Q(reserve=False)
                                                                & Q(young_stand=False)),
                                   name="taxes_rural_forest_flags_only_on_forest"),
            models.CheckConstraint(
                condition=Q(arose_on__isnull=True) | Q(ceased_on__isnull=True)
                | Q(ceased_on__gte=models.F("arose_on")),
                name="taxes_rural_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.cadastral_id} {self.ofu}{self.soil_class} {self.area_ha} ha"


class DecisionSequence(models.Model):
    """The last decision number used per municipality and year (numbers never repeat)."""

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.CASCADE,
                                     related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipality", "year"],
                                               name="taxes_decision_seq_uniq")]

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class DecisionBatch(models.Model):
    """One run of issuing the decisions of a whole roll; resumable from ``last_taxpayer_id``."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    issued_on = models.DateField(_("date of issue"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.RUNNING)
    total = models.PositiveIntegerField(_("taxpayers to go through"), default=0)
    done = models.PositiveIntegerField(_("taxpayers gone through"), default=0)
    issued = models.PositiveIntegerField(_("decisions issued"), default=0)
    last_taxpayer_id = models.BigIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last progress"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("decision batch")
        verbose_name_plural = _("decision batches")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.year} {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


class Decision(models.Model):
    """A tax decision (decyzja wymiarowa) for a taxpayer and year.

    ``lines`` keeps what the decision says about each object (description, base, unit, rate,
    months, amount) as issued, so the decision stays as it was when the register changes later.
    An amending decision points at the one it changes (``amends``), which becomes AMENDED.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("issued")
        DELIVERED = "delivered", _("delivered")
        AMENDED = "amended", _("amended")
        EXPIRED = "expired", _("expired")

    class TaxKind(models.TextChoices):
        PROPERTY = "property", _("property tax")
        AGRICULTURAL = "agricultural", _("agricultural tax")
        FOREST = "forest", _("forest tax")
        COMBINED = "combined", _("combined liability (art. 6c)")

    IN_FORCE = (Status.DRAFT, Status.ISSUED, Status.DELIVERED)

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="tax_decisions")
    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="decisions")
    year = models.PositiveSmallIntegerField(_("tax year"))
    tax_kind = models.CharField(_("tax"), max_length=12, choices=TaxKind.choices)
    number = models.CharField(_("number"), max_length=64)
    issued_on = models.DateField(_("date of issue"), null=True, blank=True)
    delivered_on = models.DateField(_("date of delivery"), null=True, blank=True)
    amount = models.DecimalField(_("amount [zł]"), **_money)
    parts = models.JSONField(_("amount per tax"), default=dict, blank=True)
    lines = models.JSONField(_("objects"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    amends = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="amended_by", verbose_name=_("amends decision"))
    reason = models.TextField(_("reasons"), blank=True)
    batch = models.ForeignKey(DecisionBatch, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="decisions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("tax decision")
        verbose_name_plural = _("tax decisions")
        ordering = ["-year", "number"]
        indexes = [models.Index(fields=["taxpayer", "year"], name="taxes_decision_tp_year_idx")]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "number"],
                                    name="taxes_decision_number_uniq"),
            # one decision in force per taxpayer, year and tax: amend, never duplicate
            models.UniqueConstraint(fields=["taxpayer", "year", "tax_kind"],
                                    condition=Q(status__in=["draft", "issued", "delivered"]),
                                    name="taxes_decision_in_force_uniq"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="taxes_decision_amount_ge0"),
            models.CheckConstraint(
                condition=Q(delivered_on__isnull=True) | Q(issued_on__isnull=False)
                & Q(delivered_on__gte=models.F("issued_on")),
                name="taxes_decision_delivered_after_issue"),
        ]

    def __str__(self) -> str:
        return self.number


class DecisionInstalment(models.Model):
    """One instalment of a decision: number, due date (already a working day), amount."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("instalment"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount [zł]"), **_money)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["decision", "number"]
        constraints = [models.UniqueConstraint(fields=["decision", "number"],
                                               name="taxes_instalment_number_uniq")]

    def __str__(self) -> str:
        return f"{self.number}: {self.due_date} {self.amount}"
