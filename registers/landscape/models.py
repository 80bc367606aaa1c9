"""Landscape rules per area, inspections with photos, registered advertising boards, fee rates."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from layers.domain.srid import STORAGE_SRID
from layers.models import LandscapeArea, Municipality
from registers.common.editing import Versioned
from registers.landscape import rules


class AdvertisingFeeCap(models.Model):
    """The year's statutory maxima of the advertising fee (M.P. announcement): a parameter."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    fixed = models.DecimalField(_("fixed part cap [zł/day]"), max_digits=8, decimal_places=2)
    variable = models.DecimalField(_("variable part cap [zł/m²/day]"), max_digits=8,
                                   decimal_places=2)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("advertising fee cap")
        verbose_name_plural = _("advertising fee caps")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.fixed} + {self.variable}/m²"


class LandscapeResolution(models.Model):
    """The town's landscape resolution (art. 37a u.p.z.p.): its number, when it came into force
    and the period it gives existing boards, devices and fences to adjust (not shorter than the
    statutory minimum, rules.ADJUSTMENT_MIN_MONTHS). The one in force at a date is the latest
    that came into force by then."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="landscape_resolutions",
                                     verbose_name=_("municipality"))
    number = models.CharField(_("resolution number"), max_length=64)
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    in_force_on = models.DateField(_("in force from"))
    adjustment_months = models.PositiveSmallIntegerField(
        _("adjustment period for existing objects [months]"),
        default=rules.ADJUSTMENT_MIN_MONTHS)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("landscape resolution")
        verbose_name_plural = _("landscape resolutions")
        ordering = ["municipality_id", "-in_force_on"]
        constraints = [models.UniqueConstraint(fields=["municipality", "number"],
                                               name="landscape_resolution_uniq")]

    def __str__(self) -> str:
        return f"{self.number} ({self.in_force_on:%Y-%m-%d})"

    def clean(self) -> None:
        problems = rules.adjustment_months_issues(self.adjustment_months or 0)
        if problems:
            raise ValidationError({"adjustment_months": [
                gettext(p) % {"months": self.adjustment_months, "min": rules.ADJUSTMENT_MIN_MONTHS}
                for p in problems]})
        if self.adopted_on and self.in_force_on < self.adopted_on:
            raise ValidationError({"in_force_on": _(
                "A resolution cannot come into force before it was adopted.")})

    @property
    def adjustment_ends(self) -> date:
        return self.lifecycle().adjustment_ends

    def lifecycle(self) -> rules.Lifecycle:
        return rules.Lifecycle(self.in_force_on, self.adjustment_months)


class AdvertisingFeeRate(Versioned):
    """The council's rates for a year (art. 17a UPOL), within that year's caps."""

    audit_type = "landscape.advertising_fee_rate"

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="advertising_fee_rates")
    year = models.PositiveSmallIntegerField(_("year"))
    fixed = models.DecimalField(_("fixed part [zł/day]"), max_digits=8, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0"))])
    variable = models.DecimalField(_("variable part [zł/m²/day]"), max_digits=8,
                                   decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    resolution_number = models.CharField(_("resolution number"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("advertising fee rate")
        verbose_name_plural = _("advertising fee rates")
        constraints = [models.UniqueConstraint(fields=["municipality", "year"],
                                               name="landscape_feerate_uniq")]

    def __str__(self) -> str:
        return f"{self.year}: {self.fixed} + {self.variable}/m²"


class AreaRuleSet(Versioned):
    """The rules of one landscape area as the unit its page edits: their version is that page's
    optimistic lock (the area itself is imported into ``layers`` and knows no registers). A
    row appears with the area's first saved change of rules."""

    audit_type = "landscape.area_rules"

    area = models.OneToOneField(LandscapeArea, on_delete=models.CASCADE, primary_key=True,
                                related_name="rule_set", verbose_name=_("area"))

    class Meta:
        verbose_name = _("rules of a landscape area")
        verbose_name_plural = _("rules of landscape areas")

    def __str__(self) -> str:
        return f"{self.area_id} v{self.version}"

    @classmethod
    def version_of(cls, area_id: int) -> int | None:
        """The version an edit form of the area's rules is built from (None: never edited)."""
        return cls.objects.filter(area_id=area_id).values_list("version", flat=True).first()


class AreaRule(models.Model):
    """One rule of the landscape resolution (or of a form of protection) for one area; a part
    of the area's ``AreaRuleSet``, whose version moves with every change of a rule."""

    area = models.ForeignKey(LandscapeArea, on_delete=models.CASCADE, related_name="rules",
                             verbose_name=_("area"))
    subject = models.CharField(_("subject"), max_length=24, choices=[
        (rules.Subject.ADVERTISING, _("advertising boards and devices")),
        (rules.Subject.SIGN, _("signs")),
        (rules.Subject.FENCE, _("fences")),
        (rules.Subject.SMALL_ARCHITECTURE, _("small architecture")),
    ])
    kind = models.CharField(_("rule"), max_length=32, choices=[
        (rules.RuleKind.ALLOWED, _("allowed (yes/no)")),
        (rules.RuleKind.MAX_AREA_M2, _("maximum area [m²]")),
        (rules.RuleKind.MAX_HEIGHT_M, _("maximum height [m]")),
        (rules.RuleKind.MAX_COUNT, _("maximum number per property")),
        (rules.RuleKind.LIT_ALLOWED, _("lighting allowed (yes/no)")),
        (rules.RuleKind.MOVING_IMAGES_ALLOWED, _("moving images allowed (yes/no)")),
        (rules.RuleKind.MOUNTINGS_ALLOWED,
         _("mountings allowed (free_standing, building, fence)")),
        (rules.RuleKind.BANNED_MATERIALS, _("banned materials")),
        (rules.RuleKind.ALLOWED_MATERIALS, _("allowed materials")),
        (rules.RuleKind.ALLOWED_COLOURS, _("allowed colours")),
        (rules.RuleKind.MIN_SEE_THROUGH, _("minimum see-through share [%]")),
        (rules.RuleKind.PLACEMENT, _("placement (text)")),
    ])
    value = models.CharField(_("value"), max_length=300)
    citation = models.CharField(_("paragraph"), max_length=200,
                                help_text=_("e.g. § 5 ust. 1 uchwały Nr XV/13/2019"))

    class Meta:
        verbose_name = _("landscape rule")
        verbose_name_plural = _("landscape rules")
        ordering = ["area_id", "subject", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.area.code} {self.subject} {self.kind}={self.value} ({self.citation})"

    def versioned_whole(self) -> AreaRuleSet:
        """The record whose version a change of this rule moves on (the Django admin's)."""
        return AreaRuleSet.objects.get_or_create(area_id=self.area_id)[0]

    def as_rule(self) -> rules.Rule:
        return rules.Rule(rules.Subject(self.subject), rules.RuleKind(self.kind), self.value,
                          self.citation)


class Inspection(models.Model):
    """An inspector's check on site, saved with its findings (the inspections register)."""

    class Outcome(models.TextChoices):
        PASS = "pass", _("compliant")
        FAIL = "fail", _("non-compliant")
        REVIEW = "review", _("needs review")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="landscape_inspections")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="landscape_inspections")
    inspected_at = models.DateTimeField(_("inspected at"))
    geom = models.PointField(_("location"), srid=STORAGE_SRID, spatial_index=False)
    parcel_cadastral_id = models.CharField(_("parcel"), max_length=64, blank=True)
    object = models.JSONField(_("object"))
    findings = models.JSONField(_("findings"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_at", "-id"]
        indexes = [GistIndex(fields=["geom"], name="inspection_geom_gist")]

    def __str__(self) -> str:
        return f"{self.inspected_at:%Y-%m-%d} {self.object.get('type', '')} {self.outcome}"


def photo_path(instance: InspectionPhoto, filename: str) -> str:
    """A generated name: the user's file name never reaches the file system."""
    ext = PurePosixPath(filename).suffix.lower()
    return f"landscape/inspections/{uuid.uuid4().hex}{ext}"


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path, max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")

    def __str__(self) -> str:
        return self.file.name


class AdvertisingDevice(Versioned):
    """A registered advertising board or device on a property (the basis of the fee)."""

    audit_type = "landscape.advertising_device"

    class Kind(models.TextChoices):
        BOARD = "board", _("advertising board")
        DEVICE = "device", _("advertising device")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="advertising_devices")
    parcel_cadastral_id = models.CharField(_("parcel"), max_length=64)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.BOARD)
    label = models.CharField(_("label"), max_length=120, blank=True)
    area_m2 = models.DecimalField(_("exposure area [m²]"), max_digits=8, decimal_places=2,
                                  validators=[MinValueValidator(Decimal("0"))])
    height_m = models.DecimalField(_("height [m]"), max_digits=6, decimal_places=2,
                                   null=True, blank=True)
    lit = models.BooleanField(_("lit"), default=False)
    moving_images = models.BooleanField(_("moving images"), default=False)
    mounting = models.CharField(_("mounting"), max_length=16, choices=[
        (rules.Mounting.FREE_STANDING, _("free-standing")),
        (rules.Mounting.BUILDING, _("on a building")),
        (rules.Mounting.FENCE, _("on a fence")),
    ])
    geom = models.PointField(_("location"), srid=STORAGE_SRID, spatial_index=False)
    placed_from = models.DateField(_("placed from"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    property_tax_paid = models.DecimalField(_("property tax paid this year [zł]"), max_digits=10,
                                            decimal_places=2, default=Decimal("0"))
    proceedings_started = models.DateField(_("penalty proceedings started"), null=True,
                                           blank=True)
    compliance_date = models.DateField(_("brought into compliance"), null=True, blank=True)

    class Meta:
        verbose_name = _("advertising board or device")
        verbose_name_plural = _("advertising boards and devices")
        ordering = ["parcel_cadastral_id", "id"]
        indexes = [GistIndex(fields=["geom"], name="advertisingdevice_geom_gist")]

    def __str__(self) -> str:
        name = self.label or self.get_kind_display()
        return f"{name} {self.area_m2} m² ({self.parcel_cadastral_id})"

    def as_spec(self) -> rules.ObjectSpec:
        return rules.ObjectSpec(rules.ObjectType(self.kind), area_m2=self.area_m2,
                                height_m=self.height_m, lit=self.lit,
                                moving_images=self.moving_images,
                                mounting=rules.Mounting(self.mounting))


def device_photo_path(instance: DevicePhoto, filename: str) -> str:
    ext = PurePosixPath(filename).suffix.lower()
    return f"landscape/devices/{uuid.uuid4().hex}{ext}"


class DevicePhoto(models.Model):
    """A photo of a registered board (the register's record of how it looks)."""

    device = models.ForeignKey(AdvertisingDevice, on_delete=models.CASCADE,
                               related_name="photos")
    file = models.FileField(upload_to=device_photo_path, max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    taken_on = models.DateField(_("taken on"))

    class Meta:
        verbose_name = _("board photo")
        verbose_name_plural = _("board photos")
        ordering = ["-taken_on", "-id"]

    def __str__(self) -> str:
        return self.file.name


class EnforcementStep(models.Model):
    """One step of the inspector's proceedings about a board (art. 37d u.p.z.p.): the notice
    that starts them, a call to adjust, the penalty decision with its period priced at that
    period's own rates (``lines``: one per calendar year). Steps are added, never changed."""

    class Kind(models.TextChoices):
        NOTICE = rules.StepKind.NOTICE, _("notice of proceedings")
        CALL_TO_ADJUST = rules.StepKind.CALL_TO_ADJUST, _("call to adjust")
        PENALTY_DECISION = rules.StepKind.PENALTY_DECISION, _("penalty decision")

    device = models.ForeignKey(AdvertisingDevice, on_delete=models.PROTECT,
                               related_name="steps")
    kind = models.CharField(_("step"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("case number"), max_length=64)
    issued_on = models.DateField(_("issued on"))
    adjust_by = models.DateField(_("adjust by"), null=True, blank=True)
    period_from = models.DateField(_("penalty from"), null=True, blank=True)
    period_to = models.DateField(_("penalty to"), null=True, blank=True)
    amount = models.DecimalField(_("penalty [zł]"), max_digits=12, decimal_places=2,
                                 null=True, blank=True)
    lines = models.JSONField(_("priced per year"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inspector's step")
        verbose_name_plural = _("inspector's steps")
        ordering = ["issued_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class FeeDeclaration(models.Model):
    """The payer's advertising-fee declaration for a property and year (art. 19 pkt 5 UPOL:
    the council may require one); added, never changed (a correction is a new declaration)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    parcel_cadastral_id = models.CharField(_("parcel"), max_length=64)
    payer = models.CharField(_("payer"), max_length=200)
    filed_on = models.DateField(_("filed on"))
    declared_amount = models.DecimalField(_("declared fee [zł]"), max_digits=12,
                                          decimal_places=2,
                                          validators=[MinValueValidator(Decimal("0"))])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("advertising fee declaration")
        verbose_name_plural = _("advertising fee declarations")
        ordering = ["-filed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.year} {self.parcel_cadastral_id}: {self.declared_amount}"


class FeeDecision(models.Model):
    """The decision assessing the fee where no declaration was filed or it was incorrect."""

    class Reason(models.TextChoices):
        NONE = "none", _("no declaration filed")
        INCORRECT = "incorrect", _("declaration incorrect")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    parcel_cadastral_id = models.CharField(_("parcel"), max_length=64)
    payer = models.CharField(_("payer"), max_length=200)
    number = models.CharField(_("decision number"), max_length=64)
    issued_on = models.DateField(_("issued on"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    declaration = models.ForeignKey(FeeDeclaration, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="decisions")
    amount = models.DecimalField(_("assessed fee [zł]"), max_digits=12, decimal_places=2)
    basis = models.JSONField(_("boards and rates"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", null=True)

    class Meta:
        verbose_name = _("advertising fee decision")
        verbose_name_plural = _("advertising fee decisions")
        ordering = ["-issued_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["municipality", "number"],
                                               name="landscape_feedecision_number_uniq")]

    def __str__(self) -> str:
        return f"{self.number}: {self.amount}"
