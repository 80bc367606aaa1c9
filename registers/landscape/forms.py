"""Forms of the landscape register: rules of an area (validated by rules.parse_value)."""

from __future__ import annotations

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from layers.domain.srid import PL2000_SRIDS, STORAGE_SRID, WGS84_SRID
from layers.models import LandscapeArea, Municipality
from registers.common.constraints import ConstraintMessagesMixin
from registers.landscape import rules
from registers.landscape.models import (
    AdvertisingDevice,
    AdvertisingFeeCap,
    AdvertisingFeeRate,
    AreaRule,
)


class AreaRuleForm(ConstraintMessagesMixin, forms.ModelForm):
    class Meta:
        model = AreaRule
        fields = ["subject", "kind", "value", "citation"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") and data.get("value") is not None and not data.get("DELETE"):
            try:
                rules.parse_value(data["kind"], data["value"])
            except rules.RuleValueError as exc:
                self.add_error("value", gettext(exc.template) % exc.params)
        return data


AreaRuleFormSet = inlineformset_factory(LandscapeArea, AreaRule, form=AreaRuleForm, extra=3,
                                        can_delete=True)


class DeviceForm(ConstraintMessagesMixin, forms.ModelForm):
    """A board or device on a property; its place is given as coordinates."""

    # Optimistic locking: the board's version when the form was served.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # the map's convention: X is the northing (latitude), Y the easting (longitude)
    x = forms.FloatField(label=_("X (northing or latitude)"))
    y = forms.FloatField(label=_("Y (easting or longitude)"))
    srid = forms.TypedChoiceField(
        label=_("Coordinate system"), coerce=int, initial=STORAGE_SRID,
        choices=[(s, f"EPSG:{s}") for s in (STORAGE_SRID, *PL2000_SRIDS, WGS84_SRID)])

    class Meta:
        model = AdvertisingDevice
        fields = ["kind", "label", "area_m2", "height_m", "lit", "moving_images", "mounting",
                  "placed_from", "removed_on", "property_tax_paid", "proceedings_started",
                  "compliance_date"]
        widgets = {f: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
                   for f in ("placed_from", "removed_on", "proceedings_started",
                             "compliance_date")}

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        if self.instance.pk and not self.is_bound:
            self.initial.update({"x": round(self.instance.geom.y, 2),
                                 "y": round(self.instance.geom.x, 2), "srid": STORAGE_SRID,
                                 "version": self.instance.version})

    def clean(self) -> dict:
        data = super().clean()
        placed, removed = data.get("placed_from"), data.get("removed_on")
        if placed and removed and removed < placed:
            self.add_error("removed_on", _("a board cannot be removed before it was placed"))
        started, fixed = data.get("proceedings_started"), data.get("compliance_date")
        if fixed and not started:
            self.add_error("proceedings_started",
                           _("give the start of proceedings before the compliance date"))
        if started and fixed and fixed < started:
            self.add_error("compliance_date",
                           _("compliance cannot come before the proceedings started"))
        return data


class FeeRateForm(ConstraintMessagesMixin, forms.ModelForm):
    # Optimistic locking: the version of the year's rates the form was built from (empty: the
    # form was blank, the officer meant a year without rates).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = AdvertisingFeeRate
        fields = ["municipality", "year", "fixed", "variable", "resolution_number"]

    def __init__(self, *args, municipality_ids: set[int], opened: bool = False, **kw) -> None:
        """``opened``: the form edits the rates the officer opened from the table; their town
        and year are then fixed, so that the version sent back belongs to the row saved."""
        super().__init__(*args, **kw)
        self.fields["municipality"].queryset = Municipality.objects.filter(
            id__in=municipality_ids)
        if opened:
            self.fields["municipality"].disabled = True
            self.fields["year"].disabled = True
            self.initial["version"] = self.instance.version

    def _get_validation_exclusions(self) -> set[str]:
        # One row per town and year is fee_rate_save's to enforce, under its lock: a row a
        # colleague saved since this form was served is a conflict (409) there, whereas the
        # form's own unique check would race with that save and call it an invalid form (400).
        return super()._get_validation_exclusions() | {"year"}

    def clean(self) -> dict:
        data = super().clean()
        year = data.get("year")
        if year is None or data.get("fixed") is None or data.get("variable") is None:
            return data
        from registers.landscape.services import ensure_seed

        ensure_seed()
        cap = AdvertisingFeeCap.objects.filter(year=year).first()
        if cap is None:
            raise forms.ValidationError(
                _("no statutory caps are recorded for %(y)s; add them first") % {"y": year})
        for problem in rules.rates_within_caps(
                rules.FeeRates(data["fixed"], data["variable"]),
                rules.FeeRates(cap.fixed, cap.variable)):
            self.add_error(None, f"{problem} ({cap.source or year})")
        return data


class StepForm(forms.Form):
    """The inspector's next step about a board (the page posts the board's version)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("step"), choices=[
        (rules.StepKind.NOTICE, _("notice of proceedings")),
        (rules.StepKind.CALL_TO_ADJUST, _("call to adjust")),
        (rules.StepKind.PENALTY_DECISION, _("penalty decision"))])
    number = forms.CharField(label=_("case number"), max_length=64)
    issued_on = forms.DateField(label=_("issued on"), widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))
    adjust_by = forms.DateField(label=_("adjust by (call)"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"},
                                                       format="%Y-%m-%d"))
    period_from = forms.DateField(label=_("penalty from (decision)"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"},
                                                         format="%Y-%m-%d"))
    period_to = forms.DateField(label=_("penalty to (decision)"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"},
                                                       format="%Y-%m-%d"))
    note = forms.CharField(label=_("note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class DevicePhotoForm(forms.Form):
    photo = forms.FileField(label=_("photo"))
    taken_on = forms.DateField(label=_("taken on"), widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))


class DeclarationForm(forms.Form):
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.none(),
                                          label=_("municipality"))
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    parcel_cadastral_id = forms.CharField(label=_("parcel"), max_length=64)
    payer = forms.CharField(label=_("payer"), max_length=200)
    filed_on = forms.DateField(label=_("filed on"), widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))
    declared_amount = forms.DecimalField(label=_("declared fee [zł]"), min_value=0,
                                         max_digits=12, decimal_places=2)

    def __init__(self, *args, municipality_ids: set[int], **kw) -> None:
        super().__init__(*args, **kw)
        self.fields["municipality"].queryset = Municipality.objects.filter(
            id__in=municipality_ids)


class DecisionForm(forms.Form):
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.none(),
                                          label=_("municipality"))
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    parcel_cadastral_id = forms.CharField(label=_("parcel"), max_length=64)
    payer = forms.CharField(label=_("payer"), max_length=200)
    number = forms.CharField(label=_("decision number"), max_length=64)
    issued_on = forms.DateField(label=_("issued on"), widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, municipality_ids: set[int], **kw) -> None:
        super().__init__(*args, **kw)
        self.fields["municipality"].queryset = Municipality.objects.filter(
            id__in=municipality_ids)
