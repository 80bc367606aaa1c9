"""Forms of the protected-housing register (counts only, never residents)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from layers.models import Municipality
from registers.common.constraints import ConstraintMessagesMixin
from registers.housing.models import ProtectedFlat


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
