"""Protected housing: training and assisted flats, and the standards they are checked against.

Only counts are stored (places, occupied places), never who lives in a flat.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models import Q
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
