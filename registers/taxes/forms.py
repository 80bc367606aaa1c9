"""Forms of the tax pages; validation messages name the field and the problem."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from layers.validators import clean_tax_id
from registers.common.constraints import ConstraintMessagesMixin
from registers.taxes import rules
from registers.taxes.models import (
    Decision,
    ReconciliationCase,
    RuralLandObject,
    TaxObject,
    Taxpayer,
)
from registers.taxes.services import RateInput, object_problems


class ResolutionForm(forms.Form):
    year = forms.IntegerField(label=_("tax year"), min_value=2000, max_value=2100)
    number = forms.CharField(label=_("resolution number"), max_length=64)
    adopted_on = forms.DateField(label=_("adopted on"),
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in rules.CATEGORY_LABELS.items():
            self.fields[f"rate_{code}"] = forms.DecimalField(
                label=f"{code} – {label} [{rules.category_unit(code)}]", required=False,
                min_value=Decimal("0"), max_digits=10, decimal_places=4)

        self.fields["variants"] = forms.CharField(
            label=_("differentiated rates"), required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("one per line: category;variant code;applies to;rate, e.g. "
                        "B1;GAR;garages in residential buildings;0.90"))

    def rates(self) -> dict[str, Decimal]:
        return {code: self.cleaned_data[f"rate_{code}"] for code in rules.CATEGORY_LABELS
                if self.cleaned_data.get(f"rate_{code}") is not None}

    def clean_variants(self) -> list[RateInput]:
        """Differentiated rates (art. 5 ust. 2–4); each line's error names the line."""
        out, errors = [], []
        for n, line in enumerate((self.cleaned_data.get("variants") or "").splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(";")]
            if len(parts) != 4:
                errors.append(_("line %(n)d: expected category;variant;applies to;rate")
                              % {"n": n})
                continue
            category, variant, description, raw = parts
            if category not in rules.CATEGORY_LABELS:
                errors.append(_("line %(n)d: unknown category %(c)s") % {"n": n, "c": category})
                continue
            if not variant:
                errors.append(_("line %(n)d: the variant code is empty") % {"n": n})
                continue
            try:
                rate = Decimal(raw.replace(",", "."))
            except InvalidOperation:
                errors.append(_("line %(n)d: %(r)s is not a number") % {"n": n, "r": raw})
                continue
            if rate < 0:
                errors.append(_("line %(n)d: a rate cannot be negative") % {"n": n})
                continue
            out.append(RateInput(category, rate, variant=variant, description=description))
        if errors:
            raise forms.ValidationError(errors)
        return out

    def rate_inputs(self) -> list[RateInput]:
        return [RateInput(c, r) for c, r in self.rates().items()] + self.cleaned_data["variants"]


class TaxpayerForm(ConstraintMessagesMixin, forms.ModelForm):
    class Meta:
        model = Taxpayer
        fields = ["kind", "name", "tax_id", "address", "business", "external_ref"]

    def clean_tax_id(self) -> str:
        return clean_tax_id(self.cleaned_data.get("tax_id", ""))


class TaxObjectForm(ConstraintMessagesMixin, forms.ModelForm):
    class Meta:
        model = TaxObject
        fields = ["taxpayer", "kind", "category", "variant", "cadastral_id", "building_id",
                  "area_m2", "usable_full_m2", "usable_half_m2", "usable_low_m2", "value",
                  "exempt", "exemption_basis", "arose_event", "arose_on", "ceased_event",
                  "ceased_on", "declaration", "note"]
        widgets = {"arose_on": forms.DateInput(attrs={"type": "date"}),
                   "ceased_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, municipality_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["taxpayer"].queryset = Taxpayer.objects.filter(
            municipality_id=municipality_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for problem in object_problems(data):
            field, _sep, message = problem.partition(": ")
            field = {"object_kind": "kind"}.get(field, field)
            self.add_error(field if field in self.fields else None, message)
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file with declaration lines"))


class CaseStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=ReconciliationCase.Status.choices)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)  # the case's, when the list was served


_date_widget = forms.DateInput(attrs={"type": "date"})


class DecisionNewForm(forms.Form):
    year = forms.IntegerField(label=_("tax year"), min_value=2000, max_value=2100)
    issued_on = forms.DateField(label=_("date of issue (empty: a draft)"), required=False,
                                widget=_date_widget)


class DecisionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=[
        (Decision.Status.ISSUED, Decision.Status.ISSUED.label),
        (Decision.Status.DELIVERED, Decision.Status.DELIVERED.label),
        (Decision.Status.EXPIRED, Decision.Status.EXPIRED.label)])
    on = forms.DateField(label=_("date"), widget=_date_widget)
    version = forms.IntegerField(widget=forms.HiddenInput)


class DecisionAmendForm(forms.Form):
    issued_on = forms.DateField(label=_("date of the amending decision"), widget=_date_widget)
    reason = forms.CharField(label=_("what changed"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class BatchForm(forms.Form):
    year = forms.IntegerField(label=_("tax year"), min_value=2000, max_value=2100)
    issued_on = forms.DateField(label=_("date of issue"), widget=_date_widget)


class RuralLandObjectForm(ConstraintMessagesMixin, forms.ModelForm):
    """Farmland or forest of a taxpayer (IR-1 / IL-1 data)."""

    class Meta:
        model = RuralLandObject
        fields = ["taxpayer", "tax", "cadastral_id", "ofu", "soil_class", "area_ha", "reserve",
                  "young_stand", "exempt", "exemption_basis", "arose_event", "arose_on",
                  "ceased_event", "ceased_on", "declaration"]
        widgets = {"arose_on": _date_widget, "ceased_on": _date_widget}

    def __init__(self, *args: Any, municipality_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["taxpayer"].queryset = Taxpayer.objects.filter(
            municipality_id=municipality_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        tax, ofu = data.get("tax"), (data.get("ofu") or "").strip()
        if tax == RuralLandObject.Tax.FOREST and ofu != "Ls":
            self.add_error("ofu", _("Forest tax applies to land recorded as forest (Ls)."))
        if tax == RuralLandObject.Tax.AGRICULTURAL and ofu not in rules.AGRICULTURAL_LAND \
                and ofu != "Lzr":
            self.add_error("ofu", _("Agricultural tax applies to farmland (R, S, Ł, Ps, Br, "
                                    "Wsr, W, Lzr)."))
        if tax != RuralLandObject.Tax.FOREST and (data.get("reserve") or data.get("young_stand")):
            self.add_error("reserve", _("Reserve and stand age apply to forest only."))
        if data.get("exempt") and not data.get("exemption_basis"):
            self.add_error("exemption_basis", _("An exemption needs its legal basis."))
        arose, ceased = data.get("arose_on"), data.get("ceased_on")
        if arose and ceased and ceased < arose:
            self.add_error("ceased_on", _("The obligation cannot end before it arose."))
        return data
