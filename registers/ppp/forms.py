"""Forms of the PPP register: they parse input; the rules live in services and rules.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from layers.models import Municipality
from registers.leases.forms import DATE, PlotsField
from registers.leases.models import InvestmentOffer
from registers.ppp.models import PppCashflow, PppMilestone, PppObligation, PppProject


class ProjectForm(forms.ModelForm):
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.none(),
                                          label=_("municipality"))
    cadastral_ids = PlotsField(
        label=_("plots"), required=False,
        help_text=_("parcel ids separated by commas; municipal plots of the property register, "
                    "or empty to take the chosen investment offer's plots"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = PppProject
        fields = ["title", "description", "offer", "stage", "route", "open_for_partners",
                  "contact", "partner_name", "partner_tax_id", "contract_number",
                  "contract_date", "operation_start", "operation_end", "payment_amount",
                  "payment_period", "vat_rate", "indexation", "notes"]
        widgets = {"contract_date": DATE, "operation_start": DATE, "operation_end": DATE,
                   "description": forms.Textarea(attrs={"rows": 3}),
                   "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, municipalities: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        self.fields["offer"].queryset = InvestmentOffer.objects.filter(
            municipality__in=municipalities).order_by("title")
        if self.instance.pk:
            self.fields["municipality"].disabled = True
            self.initial["municipality"] = self.instance.municipality_id
            self.initial["cadastral_ids"] = ", ".join(self.instance.cadastral_ids)
            self.initial["version"] = self.instance.version

    def project_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in self.Meta.fields}
        data["cadastral_ids"] = self.cleaned_data["cadastral_ids"]
        return data


class WorksheetForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = PppProject
        fields = ["discount_rate", "public_keeps_user_fees", "construction_bearer",
                  "availability_bearer", "demand_bearer", "public_share"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "version" not in self.initial:
            self.initial["version"] = self.instance.version


CASHFLOW_FIELDS = ["capex", "opex", "user_fees", "availability_payment", "public_contribution",
                   "risk_construction", "risk_availability", "risk_demand"]


class CashflowForm(forms.ModelForm):
    class Meta:
        model = PppCashflow
        fields = CASHFLOW_FIELDS
        widgets = {f: forms.NumberInput(attrs={"step": "0.01", "min": "0"})
                   for f in CASHFLOW_FIELDS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False  # an empty cell is 0


CashflowFormSet = forms.formset_factory(CashflowForm, extra=3, min_num=1, validate_min=True,
                                        can_delete=True, max_num=60, validate_max=True)


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = PppMilestone
        fields = ["stage", "title", "reference", "due_on", "done_on"]
        widgets = {"due_on": DATE, "done_on": DATE}


class ObligationForm(forms.ModelForm):
    class Meta:
        model = PppObligation
        fields = ["party", "title", "frequency", "first_due", "last_due", "notes"]
        widgets = {"first_due": DATE, "last_due": DATE, "notes": forms.TextInput()}
