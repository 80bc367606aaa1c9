from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

STATEMENT_MAX_BYTES = 64 * 1024 * 1024


class StatementForm(forms.Form):
    file = forms.FileField(label=_("bank statement (MT940 or camt.053)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > STATEMENT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 64 MB."))
        return f


class ResolveForm(forms.Form):
    payment = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    taxpayer = forms.IntegerField(label=_("taxpayer id"), required=False,
                                  help_text=_("empty: not a tax payment, to be returned"))
    note = forms.CharField(label=_("note"), required=False, max_length=500)


class BankForm(forms.Form):
    settlement_number = forms.CharField(label=_("bank settlement number"), max_length=8)
    account_prefix = forms.CharField(label=_("individual account prefix"), max_length=6)
    collection_account = forms.CharField(label=_("collection account (NRB)"), max_length=32,
                                         required=False)
    bank_name = forms.CharField(label=_("bank"), max_length=200, required=False)
    # the version of the bank the form was built from (empty: there was none yet)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_collection_account(self) -> str:
        return "".join(self.cleaned_data["collection_account"].split()).upper() \
            .removeprefix("PL")


class ReminderForm(forms.Form):
    on_date = forms.DateField(label=_("issue date"))


class DeliveredForm(forms.Form):
    reminder = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    delivered_on = forms.DateField(label=_("delivered on"))
