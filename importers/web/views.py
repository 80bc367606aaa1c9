"""Pages of the imports from the browser: upload, progress (with its JSON), cancel, report.
Administrators only (IMPORT_DATA), each job within the towns granted to its viewer."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from gis_app.accounts.access import access, municipality_ids
from gis_app.accounts.roles import Capability
from importers.models import ImportIssue
from importers.reasons import feature_type_label, reason_text
from importers.web import jobs
from importers.web.forms import UploadForm
from importers.web.models import WebImport
from layers.models import Municipality

SHOWN_ISSUES = 500


def _towns(request: HttpRequest):
    return Municipality.objects.filter(
        pk__in=municipality_ids(request.user, Capability.IMPORT_DATA)).order_by("name")


def _job(request: HttpRequest, pk: int) -> WebImport:
    job = (WebImport.objects.select_related("municipality", "run", "created_by")
           .filter(pk=pk, municipality_id__in=municipality_ids(request.user,
                                                               Capability.IMPORT_DATA)).first())
    if job is None:
        raise Http404(_("No such import."))
    return job


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.GEOGMINA_IMPORT_MAX_BYTES + 1024 * 1024  # the form's own bytes


@csrf_exempt  # the size is checked before the body is read; csrf_protect below checks the token
@access(Capability.IMPORT_DATA, description="upload a cadastral GML, a vector file or a raster "
                                            "to import in the background; the latest imports")
def upload(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and _too_large(request):
        limit = settings.GEOGMINA_IMPORT_MAX_BYTES // 2**20
        response = render(request, "importers_web/upload.html", {
            "form": UploadForm(municipalities=_towns(request)), "jobs": _recent(request),
            "refused": _("The file is larger than %(mb)s MB.") % {"mb": limit}}, status=413)
        response["Connection"] = "close"  # the body was never read
        return response
    return _upload(request)


def _recent(request: HttpRequest):
    return (WebImport.objects.select_related("municipality", "run")
            .filter(municipality__in=_towns(request))[:20])


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None,
                      municipalities=_towns(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = jobs.create(request.user, kind=data["kind"],
                                  municipality=data["municipality"], upload=data["file"],
                                  complete=data["complete"], name=data["name"],
                                  mapping=data["mapping"])
            except ValidationError as exc:
                form.add_error("file", exc)
            except PermissionDenied as exc:
                form.add_error("municipality", str(exc))
            else:
                return redirect("importers_web:import_job", job.pk)
        status = 400
    return render(request, "importers_web/upload.html",
                  {"form": form, "jobs": _recent(request),
                   "max_mb": settings.GEOGMINA_IMPORT_MAX_BYTES // 2**20}, status=status)


def _state(job: WebImport) -> dict:
    return {"id": job.pk, "status": job.status, "status_label": job.get_status_display(),
            "phase": jobs.phase_label(job.phase), "progress": job.progress, "staged": job.staged,
            "finished": job.finished, "message": job.message_text,
            "queue_position": jobs.queue_position(job) if job.status == "queued" else 0}


@require_safe
@access(Capability.IMPORT_DATA, description="an import from the browser: its progress bar, "
                                            "and its report with the rejections when it ends")
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    issues, counts = [], {}
    if job.run is not None:
        rejected = job.run.issues.filter(kind=ImportIssue.Kind.REJECTED)
        # written in English by the importer (the CLI's words), shown in the reader's language
        issues = [{"line": i.line, "object_id": i.object_id,
                   "type_shown": feature_type_label(i.feature_type),
                   "reason_shown": reason_text(i.reason)} for i in rejected[:SHOWN_ISSUES]]
        others = job.run.issues.exclude(kind=ImportIssue.Kind.REJECTED)
        counts = {"rejected": rejected.count(), "other": others.count()}
    return render(request, "importers_web/job.html",
                  {"job": job, "state": _state(job), "issues": issues, "counts": counts,
                   "shown": SHOWN_ISSUES})


@require_safe
@access(Capability.IMPORT_DATA, description="an import from the browser: its state as JSON "
                                            "(the progress bar polls it)")
def job_state(request: HttpRequest, pk: int) -> JsonResponse:
    response = JsonResponse(_state(_job(request, pk)))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@access(Capability.IMPORT_DATA, description="cancel an import from the browser: a queued one "
                                            "never starts, a running one is rolled back")
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    jobs.cancel(request.user, _job(request, pk))
    return redirect("importers_web:import_job", pk)
