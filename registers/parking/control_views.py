"""The controller's phone page (check a car, issue a notice) and the surcharge notices register."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST, require_safe

from gis_app.accounts.access import access, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from gis_app.listing import list_page
from registers.parking import enforcement
from registers.parking.models import NoticePhoto


def _refusal(exc: enforcement.EnforcementError) -> JsonResponse:
    return JsonResponse({"error": exc.message, "field": exc.field}, status=exc.status)


@require_safe
@access(Capability.ENFORCE_PARKING, description="the controller's phone page: check a car, "
                                                "issue a surcharge notice")
def control(request: HttpRequest) -> HttpResponse:
    texts = {"position": _("Position:"), "failed": _("The request failed"),
             "session": _("paid session of"), "until": _("until"),
             "not_charged": _("parking is not charged now"), "valid": _("may stand here"),
             "invalid": _("NO valid session or permit"), "amount": _("Surcharge:"),
             "reduced": _("reduced if paid in time:"), "issued": _("Notice issued:"),
             "due": _("due by"), "permit": _("permit:"), "exemption": _("exempt:")}
    return render(request, "parking/control.html", {"texts": texts, "urls": {
        "check": reverse("parking:control_check"),
        "notice": reverse("parking:control_notice")}})


@require_POST
@access(Capability.ENFORCE_PARKING, description="check a car at a point now (audited)")
def api_check(request: HttpRequest) -> JsonResponse:
    p = request.POST
    try:
        result = enforcement.check(request.user, p.get("plate"), p.get("lon"), p.get("lat"),
                                   exemption=p.get("exemption"))
    except enforcement.EnforcementError as exc:
        return _refusal(exc)
    return JsonResponse(result.as_json())


@require_POST
@access(Capability.ENFORCE_PARKING, description="issue a surcharge notice with photos")
def api_notice(request: HttpRequest) -> JsonResponse:
    p = request.POST
    try:
        n = enforcement.issue_notice(request.user, p.get("plate"), p.get("lon"), p.get("lat"),
                                     request.FILES.getlist("photos"))
    except enforcement.EnforcementError as exc:
        return _refusal(exc)
    return JsonResponse({
        "number": n.number, "plate": n.plate, "amount": str(n.amount),
        "reduced_amount": None if n.reduced_amount is None else str(n.reduced_amount),
        "reduced_until": n.reduced_until.isoformat() if n.reduced_until else None,
        "due_date": n.due_date.isoformat(), "zone": n.zone.code,
        "issued_at": timezone.localtime(n.issued_at).isoformat(timespec="minutes"),
        "photos": n.photos.count(), "controller": request.user.get_username()}, status=201)


FILTERS = ("all", "issued", "reminder_due", "reminded", "ripe", "paid", "cancelled")


NOTICE_SORTS = [("number", _l("number")), ("plate", _l("registration number")),
                ("zone", _l("zone")), ("issued_at", _l("issued at")), ("due", _l("due now [zł]")),
                ("due_date", _l("due date")), ("state", _l("state"))]


@require_safe
@access(Capability.MANAGE_SURCHARGES, description="surcharge notices: payments, reminders, "
                                                  "the list ripe for enforcement (audited; "
                                                  "paged, sortable)")
def notice_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "all")
    if show not in FILTERS:
        show = "all"
    today = timezone.localdate()
    rows = []
    for n in enforcement.notices_for(request.user).order_by("-issued_at", "-pk"):
        st = enforcement.state(n, today)
        if show != "all" and st != show:
            continue
        rows.append({"n": n, "state": st, "due": enforcement.amount_due(n, today),
                     "number": n.number, "plate": n.plate, "zone": n.zone.code,
                     "issued_at": n.issued_at, "due_date": n.due_date})
    listing = list_page(request, rows, NOTICE_SORTS, numeric=("due",))
    shown = [r["n"] for r in listing.rows]
    prefetch_related_objects(shown, "photos")
    audit(request.user, AuditAction.READ_OWNERS, "parking.surchargenotice",
          ",".join(str(n.pk) for n in shown)[:128],
          detail=Note(gettext_noop("notice list (%(filter)s), page %(page)s: notices %(shown)s "
                                   "of %(count)s"),
                      filter=show, page=listing.page.number, shown=len(shown), count=len(rows)))
    return render(request, "parking/notice_list.html", {
        "listing": listing, "rows": listing.rows, "show": show, "filters": FILTERS,
        "today": today})


@require_POST
@access(Capability.MANAGE_SURCHARGES, description="record a payment, send a reminder or "
                                                  "cancel a notice with a reason")
def notice_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    p = request.POST
    try:
        version = int(p.get("version", ""))
    except ValueError:
        version = None
    try:
        if action == "pay":
            paid_on = parse_date(p.get("paid_on", "")) or timezone.localdate()
            try:
                paid = Decimal(p.get("amount", "").replace(",", "."))
            except InvalidOperation:
                raise enforcement.EnforcementError("amount", _("the amount is not a number")) \
                    from None
            enforcement.record_payment(request.user, pk, paid_on, paid, version)
        elif action == "remind":
            enforcement.send_reminder(request.user, pk, timezone.localdate(), version)
        elif action == "cancel":
            enforcement.cancel(request.user, pk, p.get("reason", ""), version)
        else:
            raise Http404
    except enforcement.EnforcementError as exc:
        return HttpResponse(exc.message, status=exc.status,
                            content_type="text/plain; charset=utf-8")
    return redirect("parking:notices")


@require_safe
@access(Capability.MANAGE_SURCHARGES, description="a notice's photo (audited)")
def notice_photo(request: HttpRequest, pk: int) -> FileResponse:
    ph = NoticePhoto.objects.filter(pk=pk, notice__municipality_id__in=municipality_ids(
        request.user, Capability.MANAGE_SURCHARGES)).select_related("notice").first()
    if ph is None:
        raise Http404
    audit(request.user, AuditAction.READ_OWNERS, "parking.noticephoto", ph.pk,
          municipality_id=ph.notice.municipality_id)
    response = FileResponse(ph.file.open("rb"), content_type=ph.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
