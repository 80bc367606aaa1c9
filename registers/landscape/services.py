"""The inspector's check, inspections with photos, rules editing and the advertising fee.

Thin over rules.py: load the areas at a point, turn the form into an ObjectSpec, evaluate, save.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gis_app.accounts.access import municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction
from layers import formats
from layers.domain.srid import PL2000_SRIDS, STORAGE_SRID, WGS84_SRID
from layers.models import LandscapeArea, Municipality, Parcel
from layers.points import ACCEPTED_SRIDS, PointError, point_from_params
from registers.common.editing import (
    StaleEditError as StaleEditError,  # callers catch it from the register's services
)
from registers.common.editing import (
    audit_change,
    locked_update,
    require_capability,
    snapshot,
)
from registers.landscape import rules
from registers.landscape.models import (
    AdvertisingDevice,
    AdvertisingFeeCap,
    AdvertisingFeeRate,
    AreaRule,
    AreaRuleSet,
    DevicePhoto,
    EnforcementStep,
    FeeDecision,
    FeeDeclaration,
    Inspection,
    InspectionPhoto,
    LandscapeResolution,
)

# the check page offers them in this order (phones give lon/lat first)
ALLOWED_SRIDS = (WGS84_SRID, STORAGE_SRID, *PL2000_SRIDS)
assert set(ALLOWED_SRIDS) == set(ACCEPTED_SRIDS)
MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {  # magic bytes → (content type, extension); the client's claim is not trusted
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
}


TYPE_LABELS = {
    rules.ObjectType.BOARD: gettext_lazy("advertising board"),
    rules.ObjectType.DEVICE: gettext_lazy("advertising device"),
    rules.ObjectType.SIGN: gettext_lazy("sign"),
    rules.ObjectType.FENCE: gettext_lazy("fence"),
    rules.ObjectType.SMALL_ARCHITECTURE: gettext_lazy("small architecture"),
}


STATUS_LABELS = {
    rules.BoardStatus.COMPLIANT: gettext_lazy("compliant"),
    rules.BoardStatus.TO_ADJUST: gettext_lazy("to adjust"),
    rules.BoardStatus.NON_COMPLIANT: gettext_lazy("non-compliant"),
    rules.BoardStatus.TO_REVIEW: gettext_lazy("to review on site"),
}


MOUNTING_LABELS = {
    rules.Mounting.FREE_STANDING: gettext_lazy("free-standing"),
    rules.Mounting.BUILDING: gettext_lazy("on a building"),
    rules.Mounting.FENCE: gettext_lazy("on a fence"),
}


def _mountings(text: str) -> str:
    return ", ".join(str(MOUNTING_LABELS.get(v.strip(), v.strip()))
                     for v in text.split(",") if v.strip())


OBJECT_LABELS = {
    "type": gettext_lazy("Object type"), "area_m2": gettext_lazy("Area [m²]"),
    "height_m": gettext_lazy("Height [m]"), "lit": gettext_lazy("Lit"),
    "moving_images": gettext_lazy("Moving images"), "mounting": gettext_lazy("Mounting"),
    "material": gettext_lazy("Material"), "colour": gettext_lazy("Colour"),
    "see_through_pct": gettext_lazy("See-through share (per cent)"),
    "count_on_property": gettext_lazy("Number on the property"),
}


def object_rows(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """An inspected object as (label, value) rows for people: labels, yes/no, choices by
    their names, numbers in the locale's format (issue #18: "lit=True type=board …")."""
    rows = []
    for key, value in obj.items():
        if value is None or value == "":
            continue
        if key == "type":
            text = type_label(value)
        elif key == "mounting":
            text = _mountings(str(value))
        elif isinstance(value, bool):
            text = _("yes") if value else _("no")
        elif key in ("area_m2", "height_m", "see_through_pct"):
            text = formats.number(value, 2)
        else:
            text = str(value)
        rows.append((str(OBJECT_LABELS.get(key, key)), text))
    return rows


def type_label(value: str) -> str:
    return str(TYPE_LABELS.get(value, value))


class InputError(ValueError):
    """Bad input: ``field`` names the parameter, the message says what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def line_of_sight(point: Point, height_m: Decimal | None,
                  municipality_id: int) -> dict | None:
    """Is the object seen from the protected viewpoints of the town's landscape areas?

    The terrain model and the sight lines are the raster engineer's
    (``layers.rasters.terrain.visibility``, bare ground, no buildings or trees). None = not
    assessed (no height given, no elevation model here, or no viewpoint in range): the check
    page says so and the verdict does not depend on it.
    """
    if height_m is None or height_m <= 0:
        return None
    try:
        from layers.rasters.terrain import TerrainError, visibility
    except ImportError:  # the raster stack is optional on a minimal installation
        return None
    try:
        result = visibility(point.x, point.y, float(height_m),
                            municipality_ids={municipality_id})
    except (TerrainError, OSError, ValueError):
        return None
    if not result.get("viewpoints"):
        return None
    seen_from = [v["name"] for v in result["viewpoints"] if v.get("visible")]
    return {"visible": bool(seen_from), "seen_from": seen_from,
            "viewpoints": len(result["viewpoints"])}


def make_point(x: Any, y: Any, srid: Any) -> Point:
    """The point a form gives as text, in storage SRID, in the app's one convention: X is the
    northing (the latitude in EPSG:4326) and Y the easting (the longitude)."""
    return point_from_query({"x": x, "y": y, "srid": srid})


def point_from_query(data: Any) -> Point:
    """The point of a query or form: ``x``/``y`` (X the northing) or ``e``/``n`` (easting,
    northing) in ``srid`` (EPSG:4326 by default); ``InputError`` names the parameter."""
    try:
        return point_from_params(data, default_srid=WGS84_SRID)
    except PointError as exc:
        raise InputError(exc.field, exc.message) from None


def _decimal(data: Any, name: str) -> Decimal | None:
    try:
        return formats.parse_decimal(data.get(name), minimum=0, maximum=100000)
    except formats.NumberError as exc:
        message = (_("%(f)s must be a number between 0 and 100000") if exc.out_of_range
                   else _("%(f)s must be a number"))
        raise InputError(name, message % {"f": name}) from None


def _tristate(data: Any, name: str) -> bool | None:
    raw = str(data.get(name) or "").strip().lower()
    if raw in ("", "unknown"):
        return None
    if raw in ("yes", "true", "1", "on", "tak"):
        return True
    if raw in ("no", "false", "0", "nie"):
        return False
    raise InputError(name, _("%(f)s must be yes, no or unknown") % {"f": name})


def parse_spec(data: Any) -> rules.ObjectSpec:
    """The object description from a form or query; InputError names the wrong field."""
    try:
        kind = rules.ObjectType(data.get("type") or "")
    except ValueError:
        raise InputError("type", _("type must be one of: %(v)s")
                         % {"v": ", ".join(rules.ObjectType)}) from None
    mounting = data.get("mounting") or None
    if mounting:
        try:
            mounting = rules.Mounting(mounting)
        except ValueError:
            raise InputError("mounting", _("mounting must be one of: %(v)s")
                             % {"v": ", ".join(rules.Mounting)}) from None
    count = data.get("count_on_property") or None
    if count is not None:
        try:
            count = int(count)
            if count < 1:
                raise ValueError
        except ValueError:
            raise InputError("count_on_property",
                             _("count_on_property must be a whole number ≥ 1")) from None
    return rules.ObjectSpec(
        type=kind, area_m2=_decimal(data, "area_m2"), height_m=_decimal(data, "height_m"),
        lit=_tristate(data, "lit"), moving_images=_tristate(data, "moving_images"),
        mounting=mounting, material=str(data.get("material") or "")[:100],
        colour=str(data.get("colour") or "")[:100],
        see_through_pct=_decimal(data, "see_through_pct"), count_on_property=count)


def spec_dict(spec: rules.ObjectSpec) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(spec).items()}


def areas_at(point: Point) -> QuerySet[LandscapeArea]:
    return (LandscapeArea.objects.filter(retired_at__isnull=True, geom__intersects=point)
            .prefetch_related(Prefetch("rules", queryset=AreaRule.objects.order_by("id")))
            .order_by("kind", "code"))


def pure_areas(areas: list[LandscapeArea]) -> list[rules.Area]:
    return [rules.Area(a.code, a.name, a.kind, tuple(r.as_rule() for r in a.rules.all()))
            for a in areas]


def finding_dict(f: rules.Finding) -> dict:
    if f.kind == rules.RuleKind.MOUNTINGS_ALLOWED:
        params = {k: _mountings(str(v or "")) for k, v in f.params.items()}
    elif f.kind == "protection":
        kinds = dict(LandscapeArea.Kind.choices)
        params = {"kind": str(kinds.get(f.params["kind"], f.params["kind"]))}
    else:
        # only the labels rules.py marked for translation are translated, never user values
        params = {k: (_(v) if k in ("label", "share") else str(v) if v is not None else "")
                  for k, v in f.params.items()}
    return {"area_code": f.area_code, "area_name": f.area_name, "subject": f.subject,
            "rule": f.kind, "verdict": str(f.verdict), "verdict_label": verdict_label(f.verdict),
            "message": _(f.template) % params, "citation": f.citation}


def verdict_label(v: str) -> str:
    return str(dict(Inspection.Outcome.choices)[str(v)])


def municipality_at(point: Point, areas: list[LandscapeArea]) -> Municipality | None:
    if areas:
        return areas[0].municipality
    parcel = _first(Parcel.objects.filter(retired_at__isnull=True, geom__intersects=point)
                    .select_related("municipality"))
    if parcel:
        return parcel.municipality
    return _first(Municipality.objects.filter(geom__intersects=point))


def _first(qs: QuerySet) -> Any:
    """First row of a spatial filter without ``.first()``'s ORDER BY id, which makes the planner
    walk the primary key instead of the GiST index (measured 10 ms → <1 ms on a demo town)."""
    rows = list(qs.order_by()[:1])
    return rows[0] if rows else None


def check(user: Any, point: Point, spec: rules.ObjectSpec) -> dict:
    """Evaluate every rule at the point for the object; only in the user's municipalities."""
    # geometries are not needed here: a town boundary can weigh megabytes
    areas = list(areas_at(point).select_related("municipality")
                 .defer("geom", "unresolved_links", "municipality__geom"))
    municipality = municipality_at(point, areas)
    allowed = municipality_ids(user, Capability.INSPECT)
    if municipality is None:
        raise InputError("x", _("the point lies in no municipality of this installation"))
    if municipality.id not in allowed:
        raise PermissionDenied(_("you may not inspect in this municipality"))
    areas = [a for a in areas if a.municipality_id == municipality.id]
    findings = rules.evaluate(pure_areas(areas), spec)
    sight = line_of_sight(point, spec.height_m, municipality.id)
    if sight and sight["visible"]:
        findings.append(rules.Finding(
            "", "", str(rules.SUBJECT_OF[spec.type]), "line_of_sight", rules.Verdict.REVIEW,
            rules.gettext_noop("seen from a protected viewpoint (%(names)s): check the view"),
            {"names": ", ".join(sight["seen_from"])}, "art. 37a u.p.z.p."))
    parcel = _first(Parcel.objects.filter(retired_at__isnull=True, geom__intersects=point,
                                          municipality=municipality).only("cadastral_id"))
    return {
        "municipality": municipality,
        "parcel": parcel.cadastral_id if parcel else "",
        "areas": [{"code": a.code, "name": a.name, "kind": a.get_kind_display()}
                  for a in areas],
        "findings": [finding_dict(f) for f in findings],
        "outcome": str(rules.outcome(findings)),
        "outcome_label": verdict_label(rules.outcome(findings)),
        "line_of_sight": sight,
    }


def validate_photo(f: UploadedFile) -> tuple[str, str]:
    """(content type, extension) from the file's own bytes; InputError if refused."""
    if f.size > MAX_PHOTO_BYTES:
        raise InputError("photos", _("photo %(n)s is larger than 10 MB") % {"n": f.name})
    head = f.read(16)
    f.seek(0)
    for magic, kind in PHOTO_TYPES.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    raise InputError("photos", _("photo %(n)s is not a JPEG, PNG or WebP image") % {"n": f.name})


@transaction.atomic
def inspection_create(user: Any, point: Point, spec: rules.ObjectSpec, note: str = "",
                      photos: list[UploadedFile] | None = None,
                      inspected_at: datetime | None = None) -> Inspection:
    """Re-evaluate on the server (the client's verdict is not trusted) and save with photos."""
    photos = photos or []
    if len(photos) > MAX_PHOTOS:
        raise InputError("photos", _("at most %(n)s photos") % {"n": MAX_PHOTOS})
    kinds = [validate_photo(p) for p in photos]
    result = check(user, point, spec)
    inspection = Inspection.objects.create(
        municipality=result["municipality"], inspector=user,
        inspected_at=inspected_at or timezone.now(), geom=point,
        parcel_cadastral_id=result["parcel"], object=spec_dict(spec),
        findings=result["findings"], outcome=result["outcome"], note=note[:2000])
    for upload, (ctype, ext) in zip(photos, kinds, strict=True):
        # kept for the record only (never a path): the last component, printable, short
        original = "".join(c for c in PurePosixPath(str(upload.name).replace("\\", "/")).name
                           if c.isprintable())[:200]
        upload.name = f"photo{ext}"  # the stored name is generated; only the extension is ours
        InspectionPhoto.objects.create(inspection=inspection, file=upload, content_type=ctype,
                                       size=upload.size, original_name=original)
    audit(user, AuditAction.CREATE, "landscape.inspection", inspection.pk,
          municipality_id=inspection.municipality_id,
          after={"outcome": inspection.outcome, "object": inspection.object,
                 "photos": len(photos)})
    return inspection


def inspections_for(user: Any) -> QuerySet[Inspection]:
    return (Inspection.objects.filter(
        municipality_id__in=municipality_ids(user, Capability.VIEW_LANDSCAPE))
        .select_related("inspector", "municipality"))


# --- advertising fee and penalty ------------------------------------------------------------

def ensure_seed() -> None:
    """Put back missing seed years of the fee caps (a flushed or hand-pruned table)."""
    from registers.landscape.parameters import FEE_CAPS

    known = set(AdvertisingFeeCap.objects.values_list("year", flat=True))
    for year, fixed, variable, source in FEE_CAPS:
        if year not in known:
            AdvertisingFeeCap.objects.get_or_create(
                year=year, defaults={"fixed": fixed, "variable": variable, "source": source})


def fee_rates(municipality_id: int, year: int) -> tuple[rules.FeeRates, str] | None:
    """The council's rates for the year, else the statutory caps (legal-facts §3.2)."""
    rate = AdvertisingFeeRate.objects.filter(municipality_id=municipality_id, year=year).first()
    if rate:
        return rules.FeeRates(rate.fixed, rate.variable), rate.resolution_number
    ensure_seed()
    cap = AdvertisingFeeCap.objects.filter(year=year).first()
    if cap:
        return rules.FeeRates(cap.fixed, cap.variable), _("statutory maximum %(y)s") % {"y": year}
    return None


def resolution_in_force(municipality_id: int, on: date) -> LandscapeResolution | None:
    """The town's landscape resolution in force on ``on``: the latest that came into force by
    then (None when none is recorded: no adjustment period is then granted)."""
    return (LandscapeResolution.objects.filter(municipality_id=municipality_id,
                                               in_force_on__lte=on)
            .order_by("-in_force_on", "-id").first())


def penalty_rates(municipality_id: int, start: date, until: date) -> dict[int, rules.FeeRates]:
    """Each year's rates over a penalty period (council's, else the statutory caps)."""
    out = {}
    for year in range(start.year, until.year + 1):
        found = fee_rates(municipality_id, year)
        if found is not None:
            out[year] = found[0]
    return out


def device_assessment(device: AdvertisingDevice, year: int, today: date | None = None) -> dict:
    """Verdict with citations, the year's fee (pro rata, tax credited) and any penalty.

    A board placed before the town's landscape resolution came into force is "to adjust" until
    the resolution's adjustment period ends: no fee for those days and no penalty. A penalty
    covers its own period (proceedings to compliance or ``today``), each day at its year's
    rates, whatever ``year`` the page shows.
    """
    today = today or timezone.localdate()
    areas = [a for a in areas_at(device.geom) if a.municipality_id == device.municipality_id]
    count = None  # unknown property: a per-property limit then needs review
    if device.parcel_cadastral_id:
        count = AdvertisingDevice.objects.filter(
            municipality_id=device.municipality_id,
            parcel_cadastral_id=device.parcel_cadastral_id, removed_on__isnull=True).count()
    spec = rules.ObjectSpec(**{**asdict(device.as_spec()), "count_on_property": count})
    findings = rules.evaluate(pure_areas(areas), spec)
    resolution = resolution_in_force(device.municipality_id, max(today, date(year, 12, 31)))
    life = resolution.lifecycle() if resolution else None
    adjusting = rules.in_adjustment(device.placed_from, life, today)
    out: dict[str, Any] = {
        "device": device,
        "findings": [finding_dict(f) for f in findings],
        "outcome": str(rules.outcome(findings)),
        "outcome_label": verdict_label(rules.outcome(findings)),
        "fee": None, "penalty": None, "penalty_error": "", "rates_source": "",
        "in_resolution_area": any(a.kind == LandscapeArea.Kind.RESOLUTION_ZONE for a in areas),
        "resolution": resolution,
        "adjust_by": life.adjustment_ends if adjusting and life else None,
    }
    out["status"] = str(rules.board_status(out["outcome"], out["adjust_by"]))
    out["status_label"] = str(STATUS_LABELS[out["status"]])
    found = fee_rates(device.municipality_id, year)
    if found is not None and out["in_resolution_area"]:  # art. 17a ust. 2: only there
        rates, out["rates_source"] = found
        days = rules.fee_days(device.placed_from, device.removed_on, life, year)
        out["fee"] = rules.advertising_fee(rates, device.area_m2, days,
                                           device.property_tax_paid)
    elif found is not None:
        out["rates_source"] = found[1]
    if device.proceedings_started and out["outcome"] == rules.Verdict.FAIL:
        until = device.compliance_date or today
        try:
            priced = rules.penalty_over_period(
                penalty_rates(device.municipality_id, device.proceedings_started, until),
                device.area_m2, device.proceedings_started, device.compliance_date, today,
                placed_from=device.placed_from, life=life)
        except rules.MissingRatesError as exc:
            out["penalty_error"] = _("No advertising fee rates for %(year)s: the penalty "
                                     "cannot be priced.") % {"year": exc.year}
        else:
            out["penalty"] = priced if priced.days else None
    return out


@transaction.atomic
def area_rules_save(user: Any, area: LandscapeArea, formset: Any, *,
                    expected_version: int | None = None) -> None:
    """Save the rules formset unless a colleague changed the area's rules since it was built
    (``expected_version``: the area's ``AreaRuleSet.version_of`` then, None for an area whose
    rules were never edited)."""
    require_capability(user, Capability.EDIT_LANDSCAPE, area.municipality_id,
                       _("you may not edit the rules of this area"))
    # the area's row serialises the first save, when there is no rule set to lock yet
    LandscapeArea.objects.select_for_update().filter(pk=area.pk).exists()
    rule_set = locked_update(AreaRuleSet.objects.filter(area=area), expected_version)
    if rule_set is None:
        rule_set = AreaRuleSet(area=area)
    else:
        rule_set.bump()
    before = [str(r) for r in area.rules.all()]
    formset.save()
    rule_set.save()
    audit(user, AuditAction.UPDATE, "landscape.area_rules", area.pk,
          municipality_id=area.municipality_id, before=before,
          after=[str(r) for r in area.rules.all()])


DEVICE_AUDITED = {"parcel": "parcel_cadastral_id", "area_m2": "area_m2",
                  "removed_on": "removed_on", "version": "version"}


@transaction.atomic
def device_save(user: Any, device: AdvertisingDevice, point: Point, *,
                expected_version: int | None = None) -> AdvertisingDevice:
    """Register or move a board: the municipality and the property come from its point. A
    change needs the version its form was built from (by default the one ``device`` was
    loaded at)."""
    before = None
    if device.pk:
        stored = locked_update(AdvertisingDevice.objects.filter(pk=device.pk),
                               device.version if expected_version is None else expected_version)
        before = snapshot(stored, DEVICE_AUDITED)
        device.version = stored.version
        device.bump()
    municipality = municipality_at(point, [a for a in areas_at(point)])
    if municipality is None:
        raise InputError("x", _("the point lies in no municipality of this installation"))
    require_capability(user, Capability.EDIT_LANDSCAPE, municipality.id,
                       _("you may not register boards in this municipality"))
    if device.pk and device.municipality_id != municipality.id:
        raise InputError("x", _("a board cannot be moved to another municipality"))
    parcel = _first(Parcel.objects.filter(retired_at__isnull=True, geom__intersects=point,
                                          municipality=municipality).only("cadastral_id"))
    device.municipality = municipality
    device.geom = point
    device.parcel_cadastral_id = parcel.cadastral_id if parcel else ""
    device.save()
    audit_change(user, device, before, snapshot(device, DEVICE_AUDITED),
                 municipality_id=municipality.id, only_changes=False)
    return device


FEE_RATE_UNIQUE = "landscape_feerate_uniq"


def _rates_already_set(year: int) -> str:
    return _("Rates for %(year)s are already recorded, possibly by someone else after you "
             "opened the page. Reload the page and change them with Edit in the table."
             ) % {"year": year}


FEE_RATE_AUDITED = ["year", "fixed", "variable", "resolution_number", "version"]


@transaction.atomic
def fee_rate_save(user: Any, rate: AdvertisingFeeRate, *,
                  expected_version: int | None) -> AdvertisingFeeRate:
    """Set the council's rates of a year unless someone set them since the form was opened.

    A municipality has one row of rates per year. ``expected_version`` is the version of that
    row the form was built from, None when the year had no rates then: rates a colleague
    entered in between are refused, not silently replaced, because the fee of every board in
    the town follows from them.
    """
    require_capability(user, Capability.EDIT_LANDSCAPE, rate.municipality_id,
                       _("you may not set fee rates in this municipality"))
    stored = locked_update(
        AdvertisingFeeRate.objects.filter(municipality_id=rate.municipality_id, year=rate.year),
        expected_version,
        stale=_rates_already_set(rate.year) if expected_version is None else None)
    if stored is None:
        rate.pk, rate.version = None, 1
        try:
            with transaction.atomic():  # a colleague's insert of the same year wins the race
                rate.save(force_insert=True)
        except IntegrityError as exc:
            if getattr(getattr(exc.__cause__, "diag", None), "constraint_name",
                       None) == FEE_RATE_UNIQUE:
                raise StaleEditError(_rates_already_set(rate.year)) from exc
            raise
        audit_change(user, rate, None, snapshot(rate, FEE_RATE_AUDITED),
                     municipality_id=rate.municipality_id)
        return rate
    before = snapshot(stored, FEE_RATE_AUDITED)
    rate.pk, rate.version = stored.pk, stored.version
    rate.bump()
    rate.save(force_update=True)
    audit_change(user, rate, before, snapshot(rate, FEE_RATE_AUDITED),
                 municipality_id=rate.municipality_id, only_changes=False)
    return rate


# --- the register's photos and the inspector's steps -----------------------------------------

@transaction.atomic
def device_photo_add(user: Any, device: AdvertisingDevice, upload: UploadedFile,
                     taken_on: date) -> DevicePhoto:
    require_capability(user, Capability.INSPECT, device.municipality_id,
                       _("you may not inspect in this municipality"))
    ctype, ext = validate_photo(upload)
    if device.photos.count() >= MAX_DEVICE_PHOTOS:
        raise InputError("photo", _("at most %(n)s photos per board") % {"n": MAX_DEVICE_PHOTOS})
    original = "".join(c for c in PurePosixPath(str(upload.name).replace("\\", "/")).name
                       if c.isprintable())[:200]
    upload.name = f"photo{ext}"
    photo = DevicePhoto.objects.create(device=device, file=upload, content_type=ctype,
                                       size=upload.size, original_name=original,
                                       taken_on=taken_on)
    audit(user, AuditAction.CREATE, "landscape.device_photo", photo.pk,
          municipality_id=device.municipality_id, after={"device": device.pk})
    return photo


MAX_DEVICE_PHOTOS = 20
STEP_AUDITED = ["kind", "number", "issued_on", "adjust_by", "period_from", "period_to",
                "amount"]


def step_add(user: Any, device_id: int, data: dict[str, Any], *,
             expected_version: int | None) -> EnforcementStep:
    """Add the inspector's next step about a board, the board locked at the version the page
    showed (a board changed since: 409, the penalty would be priced on other facts).

    The notice starts the proceedings (the board's ``proceedings_started``); a call to adjust
    names a date; a penalty decision is priced over ITS period, each day at its own year's
    rates (council's, else the statutory caps), never for days the resolution's adjustment
    period still covered."""
    with transaction.atomic():
        device = locked_update(AdvertisingDevice.objects.filter(pk=device_id), expected_version,
                               gone=_("The board no longer exists."))
        require_capability(user, Capability.INSPECT, device.municipality_id,
                           _("you may not inspect in this municipality"))
        kind = rules.StepKind(data["kind"])
        step = EnforcementStep(device=device, kind=kind, number=data["number"],
                               issued_on=data["issued_on"], note=data.get("note", ""),
                               created_by=user if getattr(user, "is_authenticated", False)
                               else None)
        started = device.proceedings_started
        if kind == rules.StepKind.NOTICE and started is None:
            started = step.issued_on
        if kind == rules.StepKind.CALL_TO_ADJUST:
            step.adjust_by = data.get("adjust_by")
        if kind == rules.StepKind.PENALTY_DECISION:
            step.period_from = data.get("period_from") or started
            step.period_to = data.get("period_to") or device.compliance_date or step.issued_on
        problems = rules.step_issues(kind, issued_on=step.issued_on, started=started,
                                     adjust_by=step.adjust_by, period_from=step.period_from,
                                     period_to=step.period_to)
        if problems:
            raise ValidationError([_(p) for p in problems])
        if kind != rules.StepKind.NOTICE:
            assessment = device_assessment(device, step.issued_on.year, today=step.issued_on)
            if assessment["outcome"] != rules.Verdict.FAIL:
                raise ValidationError(_("The board meets the rules: no call or penalty."))
        if kind == rules.StepKind.PENALTY_DECISION:
            step.amount, step.lines = _price_period(device, step.period_from, step.period_to)
        if kind == rules.StepKind.NOTICE and device.proceedings_started is None:
            before = snapshot(device, DEVICE_AUDITED)
            device.proceedings_started = step.issued_on
            device.bump()
            device.save(update_fields=["proceedings_started", "version"])
            audit_change(user, device, before, snapshot(device, DEVICE_AUDITED),
                         municipality_id=device.municipality_id)
        step.save()
        audit_change(user, step, None, snapshot(step, STEP_AUDITED),
                     municipality_id=device.municipality_id,
                     object_type="landscape.enforcement_step")
    return step


def _price_period(device: AdvertisingDevice, start: date, end: date
                  ) -> tuple[Decimal, list[dict[str, Any]]]:
    resolution = resolution_in_force(device.municipality_id, end)
    life = resolution.lifecycle() if resolution else None
    try:
        priced = rules.penalty_over_period(
            penalty_rates(device.municipality_id, start, end), device.area_m2, start, end, end,
            placed_from=device.placed_from, life=life)
    except rules.MissingRatesError as exc:
        raise ValidationError(_("No advertising fee rates for %(year)s: the penalty cannot "
                                "be priced.") % {"year": exc.year}) from exc
    if not priced.days:
        raise ValidationError(_("Nothing to penalise: the board was within its adjustment "
                                "period for the whole period."))
    lines = [{"year": ln.year, "start": str(ln.start), "end": str(ln.end), "days": ln.days,
              "fixed": str(ln.rates.fixed), "variable": str(ln.rates.variable),
              "per_day": str(ln.per_day), "amount": str(ln.amount)} for ln in priced.lines]
    return priced.total, lines


# --- advertising-fee declarations and decisions (art. 17a, 19 UPOL) ---------------------------

def parcel_fee(municipality_id: int, cadastral_id: str, year: int) -> dict[str, Any]:
    """The year's fee of a property from its registered boards (each board's days, rates of
    that year from the council's resolution or the caps, property tax credited)."""
    basis, total = [], Decimal("0.00")
    for device in AdvertisingDevice.objects.filter(municipality_id=municipality_id,
                                                   parcel_cadastral_id=cadastral_id):
        a = device_assessment(device, year, today=date(year, 12, 31))
        if a["fee"] is None:
            continue
        basis.append({"device": device.pk, "label": str(device), "daily": str(a["fee"].daily),
                      "days": a["fee"].days, "gross": str(a["fee"].gross),
                      "tax_credit": str(a["fee"].tax_credit), "due": str(a["fee"].due),
                      "rates": str(a["rates_source"])})
        total += a["fee"].due
    return {"basis": basis, "total": total}


def fee_rows(user: Any, year: int) -> list[dict[str, Any]]:
    """Every property with registered boards (or a declaration) in the user's towns: the fee
    due from the register, the latest declaration and any decision."""
    ids = municipality_ids(user, Capability.MANAGE_AD_FEE)
    keys = sorted(set(AdvertisingDevice.objects.filter(municipality_id__in=ids).exclude(
        parcel_cadastral_id="").values_list("municipality_id", "parcel_cadastral_id"))
        | set(FeeDeclaration.objects.filter(municipality_id__in=ids, year=year).values_list(
            "municipality_id", "parcel_cadastral_id")))
    rows = []
    for mid, cid in keys:
        fee = parcel_fee(mid, cid, year)
        declared = FeeDeclaration.objects.filter(municipality_id=mid, parcel_cadastral_id=cid,
                                                 year=year).exists()
        if not fee["basis"] and not declared:
            continue
        declaration = FeeDeclaration.objects.filter(municipality_id=mid, parcel_cadastral_id=cid,
                                                    year=year).first()
        decision = FeeDecision.objects.filter(municipality_id=mid, parcel_cadastral_id=cid,
                                              year=year).first()
        rows.append({"municipality_id": mid, "cadastral_id": cid, "due": fee["total"],
                     "basis": fee["basis"], "declaration": declaration, "decision": decision,
                     "correct": declaration is not None
                     and declaration.declared_amount == fee["total"]})
    return rows


@transaction.atomic
def declaration_add(user: Any, municipality_id: int, data: dict[str, Any]) -> FeeDeclaration:
    require_capability(user, Capability.MANAGE_AD_FEE, municipality_id,
                       _("you may not handle the advertising fee in this municipality"))
    declaration = FeeDeclaration.objects.create(municipality_id=municipality_id, **data)
    audit(user, AuditAction.CREATE, "landscape.fee_declaration", declaration.pk,
          municipality_id=municipality_id,
          after={k: str(v) for k, v in data.items() if k != "payer"})
    return declaration


@transaction.atomic
def decision_issue(user: Any, municipality_id: int, data: dict[str, Any]) -> FeeDecision:
    """Assess the fee by decision where no declaration was filed or it declared another amount
    than the register gives; a correct declaration needs none (refused)."""
    require_capability(user, Capability.MANAGE_AD_FEE, municipality_id,
                       _("you may not handle the advertising fee in this municipality"))
    cid, year = data["parcel_cadastral_id"], data["year"]
    fee = parcel_fee(municipality_id, cid, year)
    if not fee["basis"]:
        raise ValidationError(_("No fee is due on %(id)s in %(year)s: no registered board in a "
                                "resolution area.") % {"id": cid, "year": year})
    declaration = (FeeDeclaration.objects.select_for_update()
                   .filter(municipality_id=municipality_id, parcel_cadastral_id=cid, year=year)
                   .first())
    if declaration is not None and declaration.declared_amount == fee["total"]:
        raise ValidationError(_("The declaration of %(amount)s zł is correct: no decision is "
                                "needed.") % {"amount": declaration.declared_amount})
    if FeeDecision.objects.filter(municipality_id=municipality_id, number=data["number"]
                                  ).exists():
        raise ValidationError({"number": _("A decision with this number exists already.")})
    decision = FeeDecision.objects.create(
        municipality_id=municipality_id, year=year, parcel_cadastral_id=cid,
        payer=data["payer"], number=data["number"], issued_on=data["issued_on"],
        reason=FeeDecision.Reason.INCORRECT if declaration else FeeDecision.Reason.NONE,
        declaration=declaration, amount=fee["total"], basis=fee["basis"],
        created_by=user if getattr(user, "is_authenticated", False) else None)
    audit(user, AuditAction.CREATE, "landscape.fee_decision", decision.pk,
          municipality_id=municipality_id,
          after={"number": decision.number, "amount": str(decision.amount),
                 "reason": decision.reason})
    return decision
