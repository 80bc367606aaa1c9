"""Protected housing: training and assisted flats, and the standards they are checked against.

A flat keeps counts only (places, occupied places); who lives there is in ``Resident`` and
``Stay``, readable with VIEW_RESIDENTS alone (the social-welfare housing officer).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registers.common.editing import Versioned
from registers.housing.rules import FlatKind


class HousingStandard(models.Model):
    """The standards in force from ``valid_from`` (draft values until the final text is read)."""

    valid_from = models.DateField(_("valid from"), unique=True)
    max_persons = models.PositiveSmallIntegerField(_("maximum persons per flat"))
    min_m2_per_person = models.DecimalField(_("minimum usable area per person [m²]"),
                                            max_digits=6, decimal_places=2)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("housing standard")
        verbose_name_plural = _("housing standards")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from}: ≤{self.max_persons}, ≥{self.min_m2_per_person} m²"


class ProtectedFlat(Versioned):
    """A training or assisted flat (mieszkanie treningowe / wspomagane, art. 53 u.p.s.)."""

    audit_type = "protected_flat"

    class Operator(models.TextChoices):
        MUNICIPALITY = "municipality", _("municipality")
        COUNTY = "county", _("county")
        NGO = "ngo", _("NGO under contract")

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("municipality"))
    address = models.CharField(_("address"), max_length=300)
    cadastral_id = models.CharField(_("parcel id"), max_length=64)
    building_id = models.CharField(_("building id"), max_length=80, blank=True)
    premises_id = models.CharField(_("premises id"), max_length=100, blank=True)
    kind = models.CharField(_("type"), max_length=16,
                            choices=[(FlatKind.TRAINING.value, _("training flat")),
                                     (FlatKind.ASSISTED.value, _("assisted flat"))])
    # (KIND_CHOICES below repeats these for the new models; the migration keeps this one)
    operator_kind = models.CharField(_("operator"), max_length=16, choices=Operator.choices)
    operator_name = models.CharField(_("operator name"), max_length=200, blank=True)
    places = models.PositiveSmallIntegerField(_("places"))
    occupied_places = models.PositiveSmallIntegerField(_("occupied places"), default=0)
    usable_area_m2 = models.DecimalField(_("usable area [m²]"), max_digits=8, decimal_places=2)
    accessible = models.BooleanField(_("accessible for wheelchairs"), default=False)
    target_group = models.CharField(_("target group"), max_length=200, blank=True)
    voivode_register_date = models.DateField(_("entered in the voivode's register"),
                                             null=True, blank=True)
    stay_months = models.PositiveSmallIntegerField(
        _("period of stay [months]"), null=True, blank=True,
        help_text=_("training flats are for a fixed period"))
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("protected flat")
        verbose_name_plural = _("protected flats")
        ordering = ["address"]
        indexes = [models.Index(fields=["municipality", "cadastral_id"],
                                name="housing_flat_parcel_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(places__gt=0), name="housing_flat_places_positive"),
            models.CheckConstraint(condition=Q(usable_area_m2__gt=0),
                                   name="housing_flat_area_positive"),
        ]

    def __str__(self) -> str:
        return self.address


# --- residents, stays, the waiting list (sensitive: VIEW_RESIDENTS only) ------------------------

KIND_CHOICES = [(FlatKind.TRAINING.value, _("training flat")),
                (FlatKind.ASSISTED.value, _("assisted flat"))]


class Category(models.TextChoices):
    """Groups of art. 53 ust. 1 u.p.s. a referral names (the resolution may weigh them)."""

    MENTAL = "mental", _("mental disorders")
    HOMELESS = "homeless", _("homeless")
    FOSTER_CARE = "foster_care", _("leaving foster care or an educational institution")
    DISABILITY = "disability", _("disability")
    SENIOR = "senior", _("senior")
    REFUGEE = "refugee", _("foreigner with protection")
    OTHER = "other", _("other difficult situation")


class HousingResolution(Versioned):
    """The council's resolution on protected flats: the fee table (income against the
    criterion), the monthly cost of a place and the waiting list's criteria with their points.

    The criteria amounts (art. 8 u.p.s., set by regulation) and the brackets are this town's
    data, marked UNCONFIRMED until read from the published texts."""

    audit_type = "housing.resolution"

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("municipality"))
    number = models.CharField(_("resolution number"), max_length=64)
    valid_from = models.DateField(_("valid from"))
    criterion_single = models.DecimalField(_("income criterion, person living alone [zł]"),
                                           max_digits=8, decimal_places=2)
    criterion_family = models.DecimalField(_("income criterion, person in a family [zł]"),
                                           max_digits=8, decimal_places=2)
    monthly_cost = models.DecimalField(_("monthly cost of a place [zł]"), max_digits=8,
                                       decimal_places=2)
    fee_brackets = models.JSONField(
        _("fee table"), help_text=_('[[upper bound % of the criterion or null, fee % of the '
                                    'cost], …], e.g. [[100, 0], [150, 10], [null, 50]]'))
    waiting_points = models.JSONField(_("waiting list criteria (points)"), default=dict,
                                      blank=True, help_text=_('{"homeless": 3, …}'))
    adaptation_per_m2 = models.DecimalField(_("refurbishment estimate [zł/m²]"), max_digits=9,
                                            decimal_places=2, default=0)
    adaptation_accessibility = models.DecimalField(_("accessibility works estimate [zł]"),
                                                   max_digits=10, decimal_places=2, default=0)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("housing resolution")
        verbose_name_plural = _("housing resolutions")
        ordering = ["municipality_id", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["municipality", "valid_from"],
                                               name="housing_resolution_uniq")]

    def __str__(self) -> str:
        return f"{self.number} ({self.valid_from})"

    def brackets(self) -> list[Any]:
        from registers.housing.rules import FeeBracket

        return [FeeBracket(None if up is None else Decimal(str(up)), Decimal(str(pct)))
                for up, pct in self.fee_brackets]

    def clean(self) -> None:
        from registers.housing.rules import bracket_issues

        try:
            problems = bracket_issues(self.brackets())
        except (TypeError, ValueError, ArithmeticError):
            problems = ["each bracket is [upper bound or null, fee %]"]
        if problems:
            raise ValidationError({"fee_brackets": [gettext(p) for p in problems]})


class Resident(Versioned):
    """A person referred to a protected flat. Only what the stay and the fee need."""

    audit_type = "housing.resident"

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("municipality"))
    full_name = models.CharField(_("full name"), max_length=200)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    needs_accessible = models.BooleanField(_("needs an accessible flat"), default=False)
    household_size = models.PositiveSmallIntegerField(
        _("persons in the family"), default=1,
        help_text=_("1: living alone (the single-person criterion applies)"))
    monthly_income = models.DecimalField(_("monthly income per person [zł]"), max_digits=10,
                                         decimal_places=2, default=0)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["full_name", "id"]
        constraints = [models.CheckConstraint(condition=Q(household_size__gt=0),
                                              name="housing_resident_household_positive"),
                       models.CheckConstraint(condition=Q(monthly_income__gte=0),
                                              name="housing_resident_income_nonnegative")]

    def __str__(self) -> str:
        return self.full_name


class Stay(Versioned):
    """A resident's stay in a flat on a referral decision of the social-welfare centre."""

    audit_type = "housing.stay"

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="stays",
                                 verbose_name=_("resident"))
    flat = models.ForeignKey(ProtectedFlat, on_delete=models.PROTECT, related_name="stays",
                             verbose_name=_("flat"))
    referral_number = models.CharField(_("referral decision number"), max_length=64)
    referral_date = models.DateField(_("referral decision date"))
    welfare_centre = models.CharField(_("social-welfare centre"), max_length=200)
    support = models.CharField(_("kind of support"), max_length=300, blank=True,
                               help_text=_("e.g. social work, training in independence"))
    planned_from = models.DateField(_("planned from"))
    planned_until = models.DateField(_("planned until"), null=True, blank=True,
                                     help_text=_("a training flat is for a fixed period"))
    actual_from = models.DateField(_("moved in"), null=True, blank=True)
    actual_until = models.DateField(_("moved out"), null=True, blank=True)

    class Meta:
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        ordering = ["-planned_from", "id"]

    def __str__(self) -> str:
        return f"{self.referral_number} ({self.planned_from})"


class WaitingListEntry(Versioned):
    audit_type = "housing.waiting"

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        PLACED = "placed", _("placed")
        WITHDRAWN = "withdrawn", _("withdrawn")

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="waiting",
                                 verbose_name=_("resident"))
    kind = models.CharField(_("type of flat"), max_length=16, choices=KIND_CHOICES)
    applied_on = models.DateField(_("applied on"))
    criteria = ArrayField(models.CharField(max_length=32), verbose_name=_("criteria met"),
                          default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.WAITING)

    class Meta:
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        ordering = ["applied_on", "id"]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.applied_on}"


# --- the plan (counts only: no residents) ------------------------------------------------------

class Demand(Versioned):
    """Places the social-welfare centre expects to need in a year, per category and kind."""

    audit_type = "housing.demand"

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("municipality"))
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    kind = models.CharField(_("type of flat"), max_length=16, choices=KIND_CHOICES)
    persons = models.PositiveSmallIntegerField(_("persons"))
    accessible_persons = models.PositiveSmallIntegerField(_("of them needing accessibility"),
                                                          default=0)
    entered_by = models.CharField(_("entered by (centre)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("demand for places")
        verbose_name_plural = _("demand for places")
        ordering = ["year", "kind", "category"]
        constraints = [models.UniqueConstraint(fields=["municipality", "year", "category", "kind"],
                                               name="housing_demand_uniq")]

    def __str__(self) -> str:
        return f"{self.year} {self.category} {self.kind}: {self.persons}"


class Candidate(Versioned):
    """A municipal flat (on a plot of the property register) considered for protected housing."""

    audit_type = "housing.candidate"

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("municipality"))
    address = models.CharField(_("address"), max_length=300)
    cadastral_id = models.CharField(_("parcel id"), max_length=64)
    premises_id = models.CharField(_("premises id"), max_length=100, blank=True)
    kind = models.CharField(_("type of flat"), max_length=16, choices=KIND_CHOICES)
    planned_places = models.PositiveSmallIntegerField(_("planned places"))
    usable_area_m2 = models.DecimalField(_("usable area [m²]"), max_digits=8, decimal_places=2)
    accessible = models.BooleanField(_("accessible for wheelchairs"), default=False)
    must_be_accessible = models.BooleanField(_("to be made accessible"), default=False)
    needs_refurbishment = models.BooleanField(_("needs refurbishment"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("candidate flat")
        verbose_name_plural = _("candidate flats")
        ordering = ["address"]
        constraints = [
            models.CheckConstraint(condition=Q(planned_places__gt=0),
                                   name="housing_candidate_places_positive"),
            models.CheckConstraint(condition=Q(usable_area_m2__gt=0),
                                   name="housing_candidate_area_positive")]

    def __str__(self) -> str:
        return self.address
