"""Forms of the landscape register: rules of an area (validated by rules.parse_value)."""

from __future__ import annotations

from django import forms
from django.forms import inlineformset_factory

from layers.models import LandscapeArea
from registers.landscape import rules
from registers.landscape.models import AreaRule


class AreaRuleForm(forms.ModelForm):
    class Meta:
        model = AreaRule
        fields = ["subject", "kind", "value", "citation"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") and data.get("value") is not None and not data.get("DELETE"):
            try:
                rules.parse_value(data["kind"], data["value"])
            except ValueError as exc:
                self.add_error("value", str(exc))
        return data


AreaRuleFormSet = inlineformset_factory(LandscapeArea, AreaRule, form=AreaRuleForm, extra=3,
                                        can_delete=True)
