"""The upload form of an import from the browser."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from importers.web.models import WebImport
from layers.models import Municipality

NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=WebImport.Kind.choices)
    municipality = forms.ModelChoiceField(label=_("Municipality"),
                                          queryset=Municipality.objects.none())
    file = forms.FileField(label=_("File"), help_text=_(
        "Cadastre: EGiB or INSPIRE GML. Zones and areas: GeoPackage, Shapefile (zipped), "
        "GeoJSON, GML or FlatGeobuf. Rasters: GeoTIFF. The format is recognised by content."))
    complete = forms.BooleanField(label=_("Complete extract"), required=False, help_text=_(
        "Stored objects missing from the file are retired."))
    name = forms.RegexField(label=_("Raster name"), regex=NAME_PATTERN, required=False,
                            help_text=_("Rasters only: letters, digits, '-' and '_' "
                                        "(default: from the town and the kind)."),
                            error_messages={"invalid": _(
                                "Use letters, digits, '-' and '_' (at most 64).")})
    mapping = forms.CharField(label=_("Field mapping"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}), help_text=_(
                                  "Vector files only: one FIELD=COLUMN a line, e.g. "
                                  "code=SYMBOL (empty: the default column names)."))

    def __init__(self, *args: Any, municipalities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities

    def clean_mapping(self) -> dict[str, str]:
        from importers.vector import VectorImportError, parse_mapping

        lines = [s.strip() for s in self.cleaned_data.get("mapping", "").splitlines()]
        try:
            return parse_mapping([s for s in lines if s])
        except VectorImportError as exc:
            raise ValidationError(_("Write one FIELD=COLUMN a line: %(reason)s")
                                  % {"reason": exc}) from None
