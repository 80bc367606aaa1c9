"""Pages of the protected-housing register."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from gis_app.accounts.access import access, has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction
from gis_app.listing import list_page
from layers.exports import EXPORT_FORMATS, csv_dialect, write_table
from layers.models import Municipality
from registers.common.editing import submit
from registers.housing import selectors, services
from registers.housing.forms import FlatForm
from registers.housing.messages import issue_text
from registers.housing.models import ProtectedFlat

COLUMNS = [
    ("municipality", _l("municipality")), ("address", _l("address")),
    ("cadastral_id", _l("parcel id")), ("building_id", _l("building id")),
    ("premises_id", _l("premises id")), ("kind_label", _l("type")), ("operator", _l("operator")),
    ("operator_name", _l("operator name")), ("places", _l("places")),
    ("occupied_places", _l("occupied places")), ("usable_area_m2", _l("usable area [m²]")),
    ("m2_per_person", _l("m² per person")), ("accessible", _l("accessible for wheelchairs")),
    ("target_group", _l("target group")),
    ("voivode_register_date", _l("entered in the voivode's register")),
    ("stay_months", _l("period of stay [months]")), ("issues_text", _l("breaches of the standard")),
]


SORTS = ("address", "cadastral_id", "kind_label", "operator", "places", "occupied_places",
         "usable_area_m2", "m2_per_person")


@access(Capability.VIEW_HOUSING, description="protected flats (training / assisted): list "
                                              "with the standard check, CSV/XLSX export")
def flat_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    rows = selectors.flat_rows(request.user, kind=g.get("kind", ""),
                               operator=g.get("operator", ""), flagged=g.get("flagged", ""),
                               q=g.get("q", ""))
    for r in rows:
        r["issues_text"] = "; ".join(issue_text(i) for i in r["issues"])
    listing = list_page(request, rows, [(k, label) for k, label in COLUMNS if k in SORTS],
                        default_sort="address", numeric=("places", "occupied_places",
                                                         "usable_area_m2", "m2_per_person"))
    rows = list(listing.page.paginator.object_list)  # every filtered row, in the list's order
    fmt = g.get("export", "")
    if fmt:
        if fmt not in EXPORT_FORMATS:
            return HttpResponse(_("Unknown export format %(fmt)s; use csv or xlsx.")
                                % {"fmt": fmt}, status=400)
        data, mime = write_table(rows, [(k, str(label)) for k, label in COLUMNS], fmt,
                                 csv_dialect(g))
        # one event per municipality in the export's scope, so each town's administrator sees it
        for mid in sorted(municipality_ids(request.user, Capability.VIEW_HOUSING)):
            audit(request.user, AuditAction.EXPORT, "protected_flat", "", municipality_id=mid,
                  detail=f"{fmt}, {len(rows)} rows")
        response = HttpResponse(data, content_type=mime)
        response["Content-Disposition"] = f'attachment; filename="protected-flats.{fmt}"'
        return response
    return render(request, "housing/flat_list.html", {
        "listing": listing, "rows": listing.rows, "filters": g, "standard": selectors.standard_on(),
        "kinds": ProtectedFlat._meta.get_field("kind").choices,
        "operators": ProtectedFlat.Operator.choices,
        "can_edit": has_capability(request.user, Capability.EDIT_HOUSING),
    })


@access(Capability.EDIT_HOUSING, description="add or change a protected flat (optimistic "
                                              "locking)")
def flat_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    towns = Municipality.objects.filter(
        id__in=municipality_ids(request.user, Capability.EDIT_HOUSING))
    flat = None
    if pk is not None:
        flat = selectors.flat_get(request.user, pk, Capability.EDIT_HOUSING)
        if flat is None:
            if selectors.flat_get(request.user, pk) is not None:
                raise PermissionDenied(_("You may read this flat but not edit it."))
            raise Http404
    form = FlatForm(request.POST or None, instance=flat, municipalities=towns)
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda data: services.flat_save(
            request.user, flat.municipality_id if flat else data["municipality"].id,
            {k: data[k] for k in FlatForm.Meta.fields}, flat_id=pk,
            expected_version=data["version"]))
        if outcome.saved:
            return redirect("housing:flat_list")
        status = outcome.status
    issues = [issue_text(i) for i in selectors.flat_check(flat)] if flat else []
    return render(request, "housing/flat_form.html", {"form": form, "flat": flat,
                                                      "issues": issues}, status=status)
