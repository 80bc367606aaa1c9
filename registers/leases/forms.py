"""Forms of the leases register. The rules live in services; forms only parse input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from layers.models import Municipality
from layers.validators import clean_tax_id
from registers.common.constraints import ConstraintMessagesMixin
from registers.leases.models import InvestmentOffer, Lease, PropertyOverride


def _split_ids(text: str) -> list[str]:
    parts = [p.strip() for p in text.replace(";", ",").replace("\n", ",").split(",")]
    out: list[str] = []
    for p in parts:
        if p and p not in out:
            out.append(p)
    return out


class PlotsField(forms.CharField):
    """Parcel ids separated by commas (e.g. ``180501_1.0001.12, 180501_1.0001.13``)."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return _split_ids(super().to_python(value) or "")


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LeaseForm(ConstraintMessagesMixin, forms.ModelForm):
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.none(),
                                          label=_("municipality"))
    cadastral_ids = PlotsField(
        label=_("plots"), required=False,
        help_text=_("parcel ids separated by commas; leave empty to take the plots under the "
                    "drawn area; click a plot on the map to add it"))
    area_geojson = forms.CharField(widget=forms.HiddenInput, required=False)
    area_file = forms.FileField(
        label=_("leased area as a file"), required=False,
        help_text=_("GeoJSON, GeoPackage or zipped Shapefile in PL-1992, PL-2000 or WGS 84"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Lease
        fields = [
            "number", "kind", "status", "lessee_kind", "lessee_name", "lessee_tax_id",
            "lessee_address", "whole_plot", "shared", "purpose", "purpose_detail",
            "rent_amount", "rent_period", "vat_rate", "indexation", "start_date", "end_date",
            "contract_date", "procedure", "council_resolution", "follow_up", "notice_reference",
            "notice_posted_on", "notice_removed_on", "notes", "ownership_reason",
        ]
        widgets = {name: DATE for name in ("start_date", "end_date", "contract_date",
                                           "notice_posted_on", "notice_removed_on")}

    def __init__(self, *args: Any, municipalities: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        self.fields["status"].choices = [c for c in Lease.Status.choices
                                         if c[0] != Lease.Status.REFUSED]
        self.fields["notes"].widget.attrs["rows"] = 2
        self.fields["ownership_reason"].widget.attrs["rows"] = 2
        if self.instance.pk:
            self.fields["municipality"].disabled = True
            self.initial["municipality"] = self.instance.municipality_id
            self.initial["cadastral_ids"] = ", ".join(self.instance.cadastral_ids)
            self.initial["version"] = self.instance.version
            self.initial["area_geojson"] = ""
        elif municipalities is not None and municipalities.count() == 1:
            self.initial["municipality"] = municipalities.first()

    AREA_FIELDS = ("municipality", "cadastral_ids", "whole_plot", "area_file", "area_geojson",
                   "version")

    def contract_fields(self) -> list[Any]:
        """The bound fields of the contract part of the page (the area part is laid out apart)."""
        return [self[name] for name in self.fields if name not in self.AREA_FIELDS]

    def clean_lessee_tax_id(self) -> str:
        return clean_tax_id(self.cleaned_data.get("lessee_tax_id", ""))

    def lease_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["cadastral_ids"] = self.cleaned_data["cadastral_ids"]
        return data


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    file = forms.FileField(label=_("file"))


class PropertyOverrideForm(ConstraintMessagesMixin, forms.ModelForm):
    # The version the form was built from (empty: the plot had no record yet).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = PropertyOverride
        fields = ["status", "manager", "management_form", "inventory_number", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version"] = self.instance.version


class OfferForm(ConstraintMessagesMixin, forms.ModelForm):
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.none(),
                                          label=_("municipality"))
    cadastral_ids = PlotsField(label=_("plots"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = InvestmentOffer
        fields = ["title", "mode", "conditions", "price", "contact", "published"]

    def __init__(self, *args: Any, municipalities: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        if self.instance.pk:
            self.fields["municipality"].disabled = True
            self.initial["municipality"] = self.instance.municipality_id
            self.initial["cadastral_ids"] = ", ".join(self.instance.cadastral_ids)
            self.initial["version"] = self.instance.version


class UsufructUpdateForm(forms.Form):
    new_land_value = forms.DecimalField(label=_("new land value"), max_digits=14,
                                        decimal_places=2, min_value=0)
    effective_year = forms.IntegerField(label=_("takes effect in"), min_value=1990,
                                        max_value=2100)
    notice_on = forms.DateField(label=_("notice given on"),
                                widget=forms.DateInput(attrs={"type": "date"}),
                                help_text=_("art. 78 UGN: notice by 31 December, the new fee "
                                            "applies from 1 January of the next year"))
    version = forms.IntegerField(widget=forms.HiddenInput)
