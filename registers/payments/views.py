"""Pages of the payments register. Thin: parse → service/selector → render. Reading needs
VIEW_TAX, writing EDIT_TAX, in the municipality shown (tax officers only); a municipality the
user holds no such role in answers 403."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from gis_app.accounts.access import access, has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from gis_app.listing import list_page
from layers.exports import EXPORT_FORMATS, csv_dialect, write_table
from layers.models import Municipality
from registers.common.editing import attempt, submit
from registers.payments import pdf, selectors, services
from registers.payments.forms import (
    BankForm,
    DeliveredForm,
    ReminderForm,
    ResolveForm,
    StatementForm,
)
from registers.payments.models import BankSettings, IndividualAccount, Payment, Reminder, Statement
from registers.taxes.models import Taxpayer


def _municipality(request: HttpRequest, municipality_id: int,
                  capability: Capability = Capability.VIEW_TAX) -> Municipality:
    municipality = get_object_or_404(Municipality, pk=municipality_id)
    if not has_capability(request.user, capability, municipality.pk):
        raise PermissionDenied(f"no {capability} in this municipality")
    return municipality


def _date(request: HttpRequest, name: str = "date") -> date:
    raw = request.GET.get(name) or ""
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _ctx(request: HttpRequest, town: Municipality, **kw) -> dict:
    return {"town": town, "can_edit": has_capability(request.user, Capability.EDIT_TAX, town.pk),
            **kw}


@access(Capability.VIEW_TAX, description="tax payments: the municipalities")
def index(request: HttpRequest) -> HttpResponse:
    towns = Municipality.objects.filter(id__in=municipality_ids(request.user,
                                                                Capability.VIEW_TAX))
    return render(request, "payments/index.html", {"towns": towns})


@access(Capability.VIEW_TAX, description="tax payments: statements, queue and arrears of a town")
def town(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    today = timezone.localdate()
    total, debtors = selectors.arrears_total(town.pk, today)
    return render(request, "payments/town.html", _ctx(
        request, town, statements=Statement.objects.filter(municipality=town)[:30],
        queued=Payment.objects.filter(municipality=town, status="queued").count(),
        arrears=total, debtors=debtors, today=today, form=StatementForm(),
        bank=BankSettings.objects.filter(municipality=town).first()))


@access(Capability.EDIT_TAX, description="tax payments: import a bank statement (MT940, camt.053)")
@require_POST
def statement_import(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    form = StatementForm(request.POST, request.FILES)
    if not form.is_valid():
        return HttpResponseBadRequest("; ".join(e for errs in form.errors.values()
                                                for e in errs))
    f = form.cleaned_data["file"]
    try:
        result = services.import_statement(request.user, town, f.read(), f.name)
    except ValidationError as exc:
        messages.error(request, _("Statement refused: %(reason)s") % {
            "reason": "; ".join(exc.messages)})
        return redirect("payments:town", municipality_id=town.pk)
    if result.already:
        messages.info(request, _("This statement was imported before; nothing changed."))
    else:
        messages.success(request, _(
            "Statement imported: %(new)d payments, %(acc)d matched by account, %(title)d by "
            "title, %(queued)d to clarify, %(alloc)d allocated.") % {
            "new": result.new, "acc": result.matched_account, "title": result.matched_title,
            "queued": result.queued, "alloc": result.allocated})
    return redirect("payments:town", municipality_id=town.pk)


QUEUE_SORTS = [("booked_on", _l("booked on")), ("amount", _l("amount [zł]")),
               ("payer_name", _l("payer")), ("title", _l("title"))]
REMINDER_SORTS = [("number", _l("number")), ("issued_on", _l("issued on")),
                  ("taxpayer", _l("taxpayer")), ("arrears", _l("arrears [zł]")),
                  ("interest", _l("interest [zł]")), ("cost", _l("cost [zł]")),
                  ("delivered_on", _l("delivered on"))]
DEBTOR_SORTS = [("rank", "#"), ("name", _l("taxpayer")), ("arrears", _l("arrears [zł]")),
                ("interest_settled", _l("unpaid interest [zł]")),
                ("costs", _l("reminder costs [zł]")), ("oldest_due", _l("oldest due date"))]
ENFORCEMENT_SORTS = [("name", _l("taxpayer")), ("number", _l("reminder")),
                     ("delivered_on", _l("delivered on")),
                     ("days_since_delivery", _l("days since delivery")),
                     ("unpaid", _l("unpaid [zł]"))]


@access(Capability.VIEW_TAX, description="tax payments: payments waiting for clarification")
def queue(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    qs = Payment.objects.filter(municipality=town, status="queued").order_by("booked_on", "id")
    listing = list_page(request, qs, QUEUE_SORTS, numeric=("amount",))
    audit(request.user, AuditAction.READ_TAX, "payments.payment", "", municipality_id=town.pk,
          detail=Note(gettext_noop("clarification queue, page %(page)s"),
                      page=listing.page.number))
    return render(request, "payments/queue.html", _ctx(request, town, listing=listing,
                                                       page=listing.page))


@access(Capability.EDIT_TAX, description="tax payments: assign or return a queued payment")
@require_POST
def resolve(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Payment and version are required."))
    payment = get_object_or_404(Payment, pk=form.cleaned_data["payment"], municipality=town)
    try:
        services.resolve_payment(request.user, payment, form.cleaned_data["taxpayer"],
                                 form.cleaned_data["note"], form.cleaned_data["version"])
    except services.StaleEditError as exc:
        return HttpResponse("; ".join(exc.messages), status=409)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    messages.success(request, _("Payment clarified."))
    return redirect("payments:queue", municipality_id=town.pk)


@access(Capability.VIEW_TAX, description="tax payments: the largest debtors (page, CSV, XLSX)")
def debtors(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    on_date = _date(request)
    fmt = request.GET.get("format", "")
    try:
        limit = max(1, min(int(request.GET.get("limit") or 100), 10000))
    except ValueError:
        limit = 100
    listing = list_page(request, selectors.largest_debtors(request.user, town.pk, on_date, limit),
                        DEBTOR_SORTS, numeric=("rank", "arrears", "interest_settled", "costs"))
    rows = listing.page.paginator.object_list  # every debtor kept, in the list's order
    if fmt:
        if fmt not in ("csv", "xlsx") or fmt not in EXPORT_FORMATS:
            return HttpResponseBadRequest(_("Unknown format; use csv or xlsx."))
        data, mime = write_table(rows, selectors.DEBTOR_COLUMNS, fmt, csv_dialect(request.GET))
        audit(request.user, AuditAction.EXPORT, "payments.debtors", "", municipality_id=town.pk,
              detail=Note(gettext_noop("debtors: %(count)s, %(format)s"), count=len(rows),
                          format=fmt.upper()))
        response = HttpResponse(data, content_type=mime)
        response["Content-Disposition"] = (f'attachment; filename="dluznicy-{town.teryt}-'
                                           f'{on_date}.{fmt}"')
        return response
    return render(request, "payments/debtors.html", _ctx(request, town, rows=listing.rows,
                                                         listing=listing, on_date=on_date))


@access(Capability.VIEW_TAX, description="tax payments: reminders issued")
def reminders(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    qs = Reminder.objects.filter(municipality=town).select_related("taxpayer", "charge")
    listing = list_page(request, qs.order_by("-issued_on", "id"), REMINDER_SORTS,
                        numeric=("arrears", "interest", "cost"),
                        fields={"taxpayer": "taxpayer__name"})
    audit(request.user, AuditAction.READ_TAX, "payments.reminder", "", municipality_id=town.pk,
          detail=Note(gettext_noop("list of reminders, page %(page)s"), page=listing.page.number))
    return render(request, "payments/reminders.html", _ctx(
        request, town, listing=listing, page=listing.page,
        form=ReminderForm(initial={"on_date": timezone.localdate()})))


@access(Capability.EDIT_TAX, description="tax payments: issue reminders for overdue instalments")
@require_POST
def reminders_issue(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    form = ReminderForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("An issue date is required."))
    try:
        issued = services.issue_reminders(request.user, town.pk, form.cleaned_data["on_date"])
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    messages.success(request, _("%(n)d reminders issued.") % {"n": len(issued)})
    return redirect("payments:reminders", municipality_id=town.pk)


@access(Capability.EDIT_TAX, description="tax payments: record a reminder's delivery")
@require_POST
def reminder_delivered(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    form = DeliveredForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Reminder, version and delivery date are required."))
    reminder = get_object_or_404(Reminder, pk=form.cleaned_data["reminder"], municipality=town)
    outcome = attempt(lambda: services.reminder_delivered(
        request.user, reminder, form.cleaned_data["delivered_on"],
        form.cleaned_data["version"]))
    if not outcome.saved:
        return HttpResponse("; ".join(outcome.messages), status=outcome.status,
                            content_type="text/plain; charset=utf-8")
    return redirect("payments:reminders", municipality_id=town.pk)


@access(Capability.VIEW_TAX, description="tax payments: reminders of a day as PDF")
def reminders_print(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    on_date = _date(request)
    rows = list(Reminder.objects.filter(municipality=town, issued_on=on_date)
                .select_related("taxpayer", "charge").order_by("number"))
    accounts = {a.taxpayer_id: a.formatted for a in IndividualAccount.objects.filter(
        taxpayer_id__in=[r.taxpayer_id for r in rows])}
    audit(request.user, AuditAction.READ_TAX, "payments.reminder", "", municipality_id=town.pk,
          detail=Note(gettext_noop("reminders of %(day)s printed (%(count)s)"), day=on_date,
                      count=len(rows)))
    response = HttpResponse(pdf.reminders_pdf(rows, town.name, accounts),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="upomnienia-{on_date}.pdf"'
    return response


@access(Capability.VIEW_TAX, description="tax payments: cases ripe for enforcement")
def enforcement(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    on_date = _date(request)
    try:
        cases = services.enforcement_cases(town.pk, on_date)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    for c in cases:  # the sortable columns
        c.update(name=c["taxpayer"].name, number=c["reminder"].number,
                 delivered_on=c["reminder"].delivered_on)
    listing = list_page(request, cases, ENFORCEMENT_SORTS,
                        numeric=("days_since_delivery", "unpaid"))
    audit(request.user, AuditAction.READ_TAX, "payments.reminder", "", municipality_id=town.pk,
          detail=Note(gettext_noop("enforcement list on %(day)s (%(count)s)"), day=on_date,
                      count=len(cases)))
    return render(request, "payments/enforcement.html", _ctx(
        request, town, cases=listing.rows, listing=listing, on_date=on_date))


@access(Capability.EDIT_TAX, description="tax payments: the bank of the individual accounts")
def bank(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    current = BankSettings.objects.filter(municipality=town).first()
    initial = {} if current is None else {
        "settlement_number": current.settlement_number,
        "account_prefix": current.account_prefix,
        "collection_account": current.collection_account, "bank_name": current.bank_name,
        "version": current.version}
    form = BankForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda data: services.bank_settings_save(request.user, town,
                                                                        **data))
        if outcome.saved:
            messages.success(request, _("Bank saved."))
            return redirect("payments:town", municipality_id=town.pk)
        status = outcome.status
    return render(request, "payments/bank.html", _ctx(request, town, form=form), status=status)


@access(Capability.EDIT_TAX, description="tax payments: give taxpayers their individual accounts")
@require_POST
def accounts_give(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    try:
        n = services.ensure_accounts(town.pk)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    audit(request.user, AuditAction.CREATE, "payments.individualaccount", "",
          municipality_id=town.pk, detail=Note(gettext_noop("individual accounts given: %(count)s"),
                                                   count=n))
    messages.success(request, _("%(n)d individual accounts given.") % {"n": n})
    return redirect("payments:town", municipality_id=town.pk)


@access(Capability.VIEW_TAX,
        description="tax payments: a taxpayer's account statement on a date (page, PDF)")
def statement(request: HttpRequest, taxpayer_id: int) -> HttpResponse:
    taxpayer = get_object_or_404(Taxpayer, pk=taxpayer_id)
    town = _municipality(request, taxpayer.municipality_id)
    on_date = _date(request)
    try:
        st = selectors.account_statement(request.user, taxpayer, on_date)
    except (ValidationError, ValueError) as exc:
        messages_ = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return HttpResponseBadRequest("; ".join(messages_))
    if request.GET.get("format") == "pdf":
        response = HttpResponse(pdf.statement_pdf(st, town.name), content_type="application/pdf")
        response["Content-Disposition"] = (f'inline; filename="kartoteka-{taxpayer.pk}-'
                                           f'{on_date}.pdf"')
        return response
    return render(request, "payments/statement.html", _ctx(request, town, st=st,
                                                           on_date=on_date))
