"""Forms of the protected-housing register (counts only, never residents)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from layers.models import Municipality
from registers.common.constraints import ConstraintMessagesMixin
from registers.housing.models import (
    Candidate,
    Category,
    Demand,
    ProtectedFlat,
    Resident,
    Stay,
    WaitingListEntry,
)


class FlatForm(ConstraintMessagesMixin, forms.ModelForm):
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.none(),
                                          label=_("municipality"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProtectedFlat
        fields = [
            "address", "cadastral_id", "building_id", "premises_id", "kind", "operator_kind",
            "operator_name", "places", "occupied_places", "usable_area_m2", "accessible",
            "target_group", "voivode_register_date", "stay_months", "notes",
        ]
        widgets = {"voivode_register_date": forms.DateInput(attrs={"type": "date"},
                                                            format="%Y-%m-%d"),
                   "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, municipalities: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        if self.instance.pk:
            self.fields["municipality"].disabled = True
            self.initial["municipality"] = self.instance.municipality_id
            self.initial["version"] = self.instance.version
        elif municipalities is not None and municipalities.count() == 1:
            self.initial["municipality"] = municipalities.first()


class _VersionedForm(ConstraintMessagesMixin, forms.ModelForm):
    """A form of the residents' part or the plan: the version it was built from rides along."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        for field in self.fields.values():
            if isinstance(field.widget, forms.DateInput):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ResidentForm(_VersionedForm):
    class Meta:
        model = Resident
        fields = ["full_name", "birth_year", "category", "needs_accessible", "household_size",
                  "monthly_income", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class StayForm(_VersionedForm):
    class Meta:
        model = Stay
        fields = ["flat", "referral_number", "referral_date", "welfare_centre", "support",
                  "planned_from", "planned_until", "actual_from", "actual_until"]

    def __init__(self, *args: Any, flats: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["flat"].queryset = flats


class WaitingForm(_VersionedForm):
    criteria = forms.MultipleChoiceField(choices=Category.choices, required=False,
                                         widget=forms.CheckboxSelectMultiple,
                                         label=_("criteria met"))

    class Meta:
        model = WaitingListEntry
        fields = ["kind", "applied_on", "criteria", "status"]


class DemandForm(_VersionedForm):
    class Meta:
        model = Demand
        fields = ["year", "category", "kind", "persons", "accessible_persons", "entered_by"]


class CandidateForm(_VersionedForm):
    class Meta:
        model = Candidate
        fields = ["address", "cadastral_id", "premises_id", "kind", "planned_places",
                  "usable_area_m2", "accessible", "must_be_accessible", "needs_refurbishment",
                  "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
