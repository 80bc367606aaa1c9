"""Forms of the parking register: the tariff, its subscriptions, the fee query."""

from __future__ import annotations

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from layers.models import ParkingZone
from registers.common.constraints import ConstraintMessagesMixin
from registers.parking import rules
from registers.parking.models import Subscription, Tariff


class TariffForm(ConstraintMessagesMixin, forms.ModelForm):
    # Optimistic locking: the tariff's version when the form was served.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Tariff
        fields = ["zone", "resolution_number", "resolution_date", "valid_from", "valid_to",
                  "first_hour", "second_hour", "third_hour", "later_hours", "step_minutes",
                  "minimum_charge", "paid_weekdays", "paid_from", "paid_to", "surcharge",
                  "surcharge_reduced", "surcharge_reduced_days", "surcharge_due_days",
                  "surcharge_reminder_days", "parking_card_zero_rate"]
        widgets = {f: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
                   for f in ("resolution_date", "valid_from", "valid_to")}

    def __init__(self, *args, municipality_ids: set[int], **kw) -> None:
        super().__init__(*args, **kw)
        self.fields["zone"].queryset = ParkingZone.objects.filter(
            municipality_id__in=municipality_ids, retired_at__isnull=True).order_by("code")
        if self.instance.pk:
            self.initial["version"] = self.instance.version

    def clean_paid_weekdays(self) -> str:
        try:
            return rules.format_weekdays(rules.parse_weekdays(self.cleaned_data["paid_weekdays"]))
        except ValueError:
            raise forms.ValidationError(
                _("Enter weekday numbers 0 (Monday) … 6 (Sunday), e.g. 0-4.")) from None


SubscriptionFormSet = inlineformset_factory(
    Tariff, Subscription, fields=["kind", "period_days", "price"], extra=2, can_delete=True)
