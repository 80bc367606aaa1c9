"""The zone manager's permits page: list, create, renew and cancel residents' and business
permits at the fee of the resolution in force (``registers.parking.permits``)."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from gis_app.accounts.access import access
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from gis_app.listing import list_page
from registers.common.editing import attempt, posted_version, submit
from registers.parking import permits
from registers.parking.models import Subscription


class PermitForm(forms.Form):
    zone = forms.ModelChoiceField(queryset=None, label=gettext_lazy("zone"))
    kind = forms.ChoiceField(choices=Subscription.Kind.choices, label=gettext_lazy("kind"))
    plate = forms.CharField(max_length=16, label=gettext_lazy("registration number"))
    valid_from = forms.DateField(label=gettext_lazy("valid from"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    period_days = forms.IntegerField(min_value=1, max_value=3660,
                                     label=gettext_lazy("period [days]"))

    def __init__(self, *args, user, **kw) -> None:
        super().__init__(*args, **kw)
        self.fields["zone"].queryset = permits.zones_for(user)


PERMIT_SORTS = [("plate", gettext_lazy("registration number")), ("zone", gettext_lazy("zone")),
                ("kind", gettext_lazy("kind")), ("valid_from", gettext_lazy("valid from")),
                ("valid_to", gettext_lazy("valid to")), ("price", gettext_lazy("price [zł]"))]


@require_http_methods(["GET", "HEAD", "POST"])
@access(Capability.MANAGE_PERMITS, description="residents' and business permits: list (paged, "
                                               "sortable), create at the resolution's fee "
                                               "(audited)")
def permit_list(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = PermitForm(request.POST, user=request.user)
        outcome = submit(form, lambda d: permits.create(
            request.user, d["zone"], d["kind"], d["plate"], d["valid_from"], d["period_days"]))
        if outcome.saved:
            return redirect("parking:permits")
        status = outcome.status
    else:
        form = PermitForm(user=request.user, initial={"valid_from": timezone.localdate(),
                                                      "period_days": 30})
    show = request.GET.get("show", "current")
    rows = permits.permits_for(request.user).order_by("zone__code", "-valid_to")
    today = timezone.localdate()
    if show == "current":
        rows = rows.filter(valid_to__gte=today, cancelled_at__isnull=True)
    listing = list_page(request, rows, PERMIT_SORTS, numeric=("price",),
                        fields={"zone": "zone__code"})
    shown = list(listing.rows)
    audit(request.user, AuditAction.READ_OWNERS, "parking.permit",
          ",".join(str(p.pk) for p in shown)[:128],
          detail=Note(gettext_noop("permit list (%(filter)s), page %(page)s: %(shown)s of "
                                   "%(count)s"),
                      filter=Note(gettext_noop("current")) if show == "current"
                      else Note(gettext_noop("all")), page=listing.page.number,
                      shown=len(shown), count=listing.page.paginator.count))
    offers = {}
    for zone in permits.zones_for(request.user):
        from registers.parking.services import tariff_at

        t = tariff_at(zone, today)
        offers[zone] = list(t.subscriptions.all()) if t else []
    return render(request, "parking/permit_list.html", {
        "form": form, "listing": listing, "rows": shown, "show": show, "today": today,
        "offers": offers},
        status=status)


@require_POST
@access(Capability.MANAGE_PERMITS, description="renew or cancel a permit (with a reason)")
def permit_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    version = posted_version(request.POST)
    if action == "renew":
        outcome = attempt(lambda: permits.renew(request.user, pk, version))
    elif action == "cancel":
        outcome = attempt(lambda: permits.cancel(request.user, pk, version,
                                                 request.POST.get("reason", "")))
    else:
        raise Http404
    if outcome.saved:
        return redirect("parking:permits")
    return HttpResponse("\n".join(outcome.messages) or _("refused"), status=outcome.status,
                        content_type="text/plain; charset=utf-8")
