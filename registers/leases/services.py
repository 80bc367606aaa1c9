"""Changes to the leases register: every rule checked, every change audit-logged.

Lease writes take a transaction-level advisory lock per municipality, so two officers saving
overlapping leases at the same moment are checked one after the other (a "locked check": an
exclusion constraint cannot express "interiors overlap by more than 1 cm² in overlapping
periods unless both are shared"). Updates carry the version the officer loaded; a stale version
is refused instead of silently overwriting a colleague's change (optimistic locking).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from layers.domain import locks
from layers.domain.srid import PL2000_SRIDS, STORAGE_SRID, WGS84_SRID
from layers.models import Parcel
from registers.common.editing import (
    StaleEditError as StaleEditError,  # callers catch it from the register's services
)
from registers.common.editing import (
    audit_change,
    locked_update,
    require_capability,
    snapshot,
)
from registers.leases import rules
from registers.leases.models import (
    InvestmentOffer,
    Lease,
    LeaseDocument,
    PropertyOverride,
    Usufruct,
)

# Messages of the pure rules, translated here (rules.py may not import Django).
ISSUE_MESSAGES = {
    "notice_missing": gettext_lazy(
        "A public notice (wykaz) must hang for {days} days before the contract is signed: "
        "give the date it was posted."),
    "notice_too_short": gettext_lazy(
        "The public notice hung fewer than {days} days ({posted} – {removed})."),
    "notice_not_elapsed": gettext_lazy(
        "The contract date {contract} comes before the public notice has hung {days} days "
        "(earliest {earliest})."),
    "tender_or_consent": gettext_lazy(
        "A lease longer than {years} years or for an open term needs a tender or the council's "
        "resolution waiving it."),
    "end_before_start": gettext_lazy("The end date {end} is before the start date {start}."),
    "update_too_soon": gettext_lazy(
        "The fee was last updated in {last}; the next update may take effect in {earliest} at "
        "the earliest."),
    "update_notice_too_late": gettext_lazy(
        "A notice given on {notice} is too late for the new fee to apply in {year}: it had to "
        "be given by {deadline} (art. 78 UGN)."),
    "update_notice_other_year": gettext_lazy(
        "A notice given on {notice} makes the new fee apply from 1 January {applies}, not "
        "{year} (art. 78 UGN)."),
}

AREA_FILE_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip"}
# A leased area is a few polygons: these limits are generous and stop bombs before GDAL reads.
AREA_FILE_MAX_BYTES = 10 * 1024 * 1024
AREA_ZIP_MAX_MEMBERS = 20
AREA_ZIP_MAX_UNPACKED = 50 * 1024 * 1024
AREA_ZIP_MAX_RATIO = 100
SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian
GPKG_MAGIC = b"SQLite format 3\x00"
ACCEPTED_SRIDS = {STORAGE_SRID, WGS84_SRID, *PL2000_SRIDS}
# The PL-1992 extent with a margin: a geometry outside it came with a wrong CRS.
PL1992_BOUNDS = (100_000.0, 100_000.0, 900_000.0, 800_000.0)

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
# Allowed types: extension → leading bytes the file must start with (None: a zip container).
DOCUMENT_TYPES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".odt": (b"PK\x03\x04",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
}


class LeaseRefusedError(ValidationError):
    """A proposal broke the rules and was recorded as refused (``lease`` holds the record)."""

    def __init__(self, messages: list[str], *, lease: Lease) -> None:
        super().__init__(messages)
        self.lease = lease


def issue_text(issue: Any) -> str:
    template = ISSUE_MESSAGES.get(issue.code)
    params = dict(issue.params or {})
    return str(template).format(**params) if template else issue.message.format(**params)


# --- geometry input ----------------------------------------------------------------------------


def _to_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    if isinstance(geom, Polygon):
        return MultiPolygon(geom, srid=geom.srid)
    if isinstance(geom, MultiPolygon):
        return geom
    if geom.geom_type == "GeometryCollection":
        polys = []
        for g in geom:
            if isinstance(g, Polygon):
                polys.append(g)
            elif isinstance(g, MultiPolygon):
                polys.extend(g)
            else:
                raise ValidationError(_("The leased area must be made of polygons, not %(t)s.")
                                      % {"t": g.geom_type})
        if not polys:
            raise ValidationError(_("The leased area is empty."))
        return MultiPolygon(*polys, srid=geom.srid)
    raise ValidationError(_("The leased area must be a polygon, not %(t)s.")
                          % {"t": geom.geom_type})


def _checked(geom: MultiPolygon) -> MultiPolygon:
    if geom.empty or geom.area <= 0:
        raise ValidationError(_("The leased area is empty."))
    if not geom.valid:
        raise ValidationError(_("The leased area is not a valid polygon (%(reason)s): "
                                "redraw it without crossing edges.")
                              % {"reason": geom.valid_reason})
    xmin, ymin, xmax, ymax = geom.extent
    bx0, by0, bx1, by1 = PL1992_BOUNDS
    if xmin < bx0 or ymin < by0 or xmax > bx1 or ymax > by1:
        raise ValidationError(_("The leased area lies outside Poland after conversion to "
                                "PL-1992: check the coordinate system of the data."))
    return geom


def area_from_geojson(text: str) -> MultiPolygon:
    """A drawn area: GeoJSON (geometry, Feature or FeatureCollection) in WGS 84, as Leaflet
    sends it; returned in the storage SRID."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError, RecursionError) as exc:  # RecursionError: "[[[[…" nesting
        raise ValidationError(_("The drawn area is not valid GeoJSON.")) from exc
    if not isinstance(data, dict):
        raise ValidationError(_("The drawn area is not valid GeoJSON."))
    if data.get("type") == "FeatureCollection":
        geoms = [f.get("geometry") for f in data.get("features") or []]
    elif data.get("type") == "Feature":
        geoms = [data.get("geometry")]
    else:
        geoms = [data]
    polys: list[Polygon] = []
    for g in geoms:
        try:
            geom = GEOSGeometry(json.dumps(g), srid=WGS84_SRID)
        except (GEOSException, GDALException, ValueError, TypeError) as exc:
            raise ValidationError(_("The drawn area is not valid GeoJSON.")) from exc
        polys.extend(_to_multipolygon(geom))
    if not polys:
        raise ValidationError(_("Draw the leased area on the map."))
    multi = MultiPolygon(*polys, srid=WGS84_SRID)
    if not multi.valid:
        raise ValidationError(_("The leased area is not a valid polygon (%(reason)s): "
                                "redraw it without crossing edges.")
                              % {"reason": multi.valid_reason})
    multi.transform(STORAGE_SRID)
    return _checked(multi)


def _check_area_content(suffix: str, content: bytes) -> None:
    """The content must be what the extension says before GDAL sees it: GDAL picks its driver
    from the bytes, so a GML or KML file renamed .geojson would reach GDAL's XML parser (DTDs,
    entities)."""
    if suffix in (".geojson", ".json"):
        try:
            data = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if not isinstance(data, dict) or "type" not in data:
            raise ValidationError(_("The file cannot be read as GeoJSON (a JSON object with "
                                    "a type)."))
    elif suffix == ".gpkg" and not content.startswith(GPKG_MAGIC):
        raise ValidationError(_("The file is not a GeoPackage."))
    elif suffix == ".zip" and not content.startswith(b"PK\x03\x04"):
        raise ValidationError(_("The zip file cannot be opened."))


def _checked_zip(path: Path) -> str:
    """The Shapefile inside a zip, after refusing bombs and tricks without extracting."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            if len(members) > AREA_ZIP_MAX_MEMBERS:
                raise ValidationError(_("The zip file holds %(n)s files; a zipped Shapefile "
                                        "has at most %(max)s.")
                                      % {"n": len(members), "max": AREA_ZIP_MAX_MEMBERS})
            total = 0
            for m in members:
                name = m.filename
                if (name.startswith(("/", "\\")) or ".." in Path(name.replace("\\", "/")).parts
                        or ":" in name or "\x00" in name):
                    raise ValidationError(_("The zip file holds a file with an unsafe name: "
                                            "%(name)s.") % {"name": name[:100]})
                if name.lower().endswith((".zip", ".gz", ".7z", ".rar", ".tar")):
                    raise ValidationError(_("The zip file holds another archive (%(name)s); "
                                            "zip the Shapefile's files directly.")
                                          % {"name": name[:100]})
                total += m.file_size
                if m.file_size > AREA_ZIP_MAX_RATIO * max(m.compress_size, 1024):
                    raise ValidationError(_("The zip file's member %(name)s unpacks to "
                                            "suspiciously much (%(ratio)s×): refused.")
                                          % {"name": name[:100],
                                             "ratio": m.file_size // max(m.compress_size, 1)})
            if total > AREA_ZIP_MAX_UNPACKED:
                raise ValidationError(_("The zip file unpacks to more than %(mb)s MB.")
                                      % {"mb": AREA_ZIP_MAX_UNPACKED // (1024 * 1024)})
            shp = [m.filename for m in members if m.filename.lower().endswith(".shp")]
            if not shp:
                raise ValidationError(_("The zip file holds no Shapefile (.shp)."))
            with zf.open(shp[0]) as f:
                if f.read(4) != SHAPEFILE_MAGIC:
                    raise ValidationError(_("%(name)s in the zip file is not a Shapefile.")
                                          % {"name": shp[0][:100]})
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError) as exc:
        raise ValidationError(_("The zip file cannot be opened.")) from exc
    return shp[0]


def area_from_file(name: str, content: bytes) -> MultiPolygon:
    """An uploaded area: GeoJSON, GeoPackage or a zipped Shapefile, read with geopandas.

    The file must declare its CRS (PL-1992, PL-2000 or WGS 84); every feature must be a valid
    polygon. All features together make the leased area.
    """
    import geopandas as gpd
    from pyogrio.errors import DataSourceError

    suffix = Path(name or "").suffix.lower()
    if suffix not in AREA_FILE_SUFFIXES:
        raise ValidationError(_("Upload the area as GeoJSON, GeoPackage or a zipped Shapefile "
                                "(.geojson, .gpkg, .zip), not %(suffix)s.")
                              % {"suffix": suffix or _("a file without extension")})
    if len(content) > AREA_FILE_MAX_BYTES:
        raise ValidationError(_("The area file is larger than %(mb)s MB.")
                              % {"mb": AREA_FILE_MAX_BYTES // (1024 * 1024)})
    _check_area_content(suffix, content)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"area{suffix}"
        path.write_bytes(content)
        source = str(path)
        if suffix == ".zip":
            source = f"zip://{path}!{_checked_zip(path)}"
        try:
            frame = gpd.read_file(source)
        except (DataSourceError, ValueError, OSError) as exc:
            raise ValidationError(_("The file cannot be read as geographic data: %(error)s")
                                  % {"error": str(exc).splitlines()[0][:200]}) from exc
    if frame.empty:
        raise ValidationError(_("The file holds no features."))
    if frame.crs is None:
        raise ValidationError(_("The file does not say its coordinate system: save it in "
                                "PL-1992 (EPSG:2180), PL-2000 or WGS 84 with the CRS defined."))
    epsg = frame.crs.to_epsg()
    if epsg not in ACCEPTED_SRIDS:
        raise ValidationError(_("The file's coordinate system (%(crs)s) is not accepted: use "
                                "PL-1992 (EPSG:2180), PL-2000 (EPSG:2176–2179) or WGS 84.")
                              % {"crs": epsg or frame.crs.name})
    polys: list[Polygon] = []
    for i, geom in enumerate(frame.geometry, start=1):
        if geom is None or geom.is_empty:
            raise ValidationError(_("Feature %(n)s has no geometry.") % {"n": i})
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValidationError(_("Feature %(n)s is a %(t)s; the leased area must be "
                                    "polygons.") % {"n": i, "t": geom.geom_type})
        if not geom.is_valid:
            from shapely.validation import explain_validity

            raise ValidationError(_("Feature %(n)s is not a valid polygon (%(reason)s).")
                                  % {"n": i, "reason": explain_validity(geom)})
        g = GEOSGeometry(memoryview(geom.wkb), srid=epsg)
        polys.extend(_to_multipolygon(g))
    multi = MultiPolygon(*polys, srid=epsg)
    if epsg != STORAGE_SRID:
        multi.transform(STORAGE_SRID)
    return _checked(multi)


def plots_union(municipality_id: int, cadastral_ids: list[str]) -> MultiPolygon:
    """The union of the active plots (the whole-plot lease), in the storage SRID."""
    found = _active_plots(municipality_id, cadastral_ids)
    with connection.cursor() as cur:
        cur.execute("SELECT ST_AsEWKB(ST_Multi(ST_Union(geom))) FROM layers_parcel "
                    "WHERE id = ANY(%s)", [[p.id for p in found]])
        wkb = cur.fetchone()[0]
    return _to_multipolygon(GEOSGeometry(memoryview(wkb)))


def plots_under(municipality_id: int, geom: MultiPolygon) -> list[str]:
    """Active plots whose area meets ``geom`` by more than the overlap tolerance."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT cadastral_id FROM layers_parcel WHERE municipality_id = %s "
            "AND retired_at IS NULL AND geom && ST_GeomFromEWKB(%s) "
            "AND ST_Area(ST_Intersection(geom, ST_GeomFromEWKB(%s))) > %s ORDER BY cadastral_id",
            [municipality_id, bytes(geom.ewkb), bytes(geom.ewkb), rules.OVERLAP_TOLERANCE_M2])
        return [r[0] for r in cur.fetchall()]


def _active_plots(municipality_id: int, cadastral_ids: list[str]) -> list[Parcel]:
    found = list(Parcel.objects.filter(municipality_id=municipality_id, retired_at__isnull=True,
                                       cadastral_id__in=cadastral_ids))
    missing = sorted(set(cadastral_ids) - {p.cadastral_id for p in found})
    if missing:
        raise ValidationError(_("No such plot in this municipality: %(ids)s")
                              % {"ids": ", ".join(missing)})
    return found


# --- lease checks ------------------------------------------------------------------------------


LEASE_FIELDS = [
    "number", "kind", "lessee_kind", "lessee_name", "lessee_tax_id", "lessee_address",
    "cadastral_ids", "whole_plot", "shared", "purpose", "purpose_detail", "rent_amount",
    "rent_period", "vat_rate", "indexation", "start_date", "end_date", "contract_date",
    "procedure", "council_resolution", "follow_up", "notice_reference", "notice_posted_on",
    "notice_removed_on", "status", "notes", "ownership_reason",
]


def lease_snapshot(lease: Lease) -> dict[str, Any]:
    """The lease as JSON-friendly data for the audit log's before/after."""
    return snapshot(lease, [*LEASE_FIELDS, "geom", "version"])


def _lock_municipality(municipality_id: int) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                    [locks.LEASE_CHECKS, municipality_id])


def outside_plots_m2(geom: MultiPolygon, plots: list[Parcel]) -> float:
    """Area of ``geom`` outside its plots widened by the edge tolerance (0 when inside)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_Area(ST_Difference(ST_GeomFromEWKB(%s), "
            "ST_Buffer(ST_Union(geom), %s))) FROM layers_parcel WHERE id = ANY(%s)",
            [bytes(geom.ewkb), rules.EDGE_TOLERANCE_M, [p.id for p in plots]])
        return float(cur.fetchone()[0] or 0.0)


@dataclass(frozen=True)
class Conflict:
    lease_id: int
    number: str
    lessee_name: str
    overlap_m2: float


def overlapping_leases(lease: Lease) -> list[Conflict]:
    """Active leases (other than this one) whose land and period overlap this lease's, unless
    both are marked as shared."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT l.id, l.number, l.lessee_name,
                   ST_Area(ST_Intersection(l.geom, ST_GeomFromEWKB(%(g)s))) AS overlap
            FROM leases_lease AS l
            WHERE l.municipality_id = %(m)s
              AND l.status = 'active'
              AND l.id <> %(id)s
              AND l.geom && ST_GeomFromEWKB(%(g)s)
              AND daterange(l.start_date, l.end_date, '[]')
                  && daterange(%(start)s, %(end)s, '[]')
              AND NOT (l.shared AND %(shared)s)
              AND ST_Area(ST_Intersection(l.geom, ST_GeomFromEWKB(%(g)s))) > %(tol)s
            ORDER BY l.id
            """,
            {"g": bytes(lease.geom.ewkb), "m": lease.municipality_id, "id": lease.pk or 0,
             "start": lease.start_date, "end": lease.end_date, "shared": lease.shared,
             "tol": rules.OVERLAP_TOLERANCE_M2})
        return [Conflict(r[0], r[1], r[2], float(r[3])) for r in cur.fetchall()]


def lease_problems(lease: Lease) -> list[str]:
    """Every rule the lease breaks, as messages for people (empty: it may be saved)."""
    errors: list[str] = []
    errors += [issue_text(i) for i in rules.term_issues(start=lease.start_date,
                                                        end=lease.end_date)]
    if not lease.cadastral_ids:
        errors.append(_("Give the plot(s) the leased area lies on."))
        return errors
    plots = _active_plots(lease.municipality_id, lease.cadastral_ids)
    outside = outside_plots_m2(lease.geom, plots)
    if outside > 0:
        errors.append(_("The leased area reaches %(m2).2f m² outside its plots (%(ids)s).")
                      % {"m2": outside, "ids": ", ".join(lease.cadastral_ids)})
    if lease.status in (Lease.Status.PROPOSED, Lease.Status.ACTIVE):
        for c in overlapping_leases(lease):
            errors.append(_("The leased area overlaps active lease %(number)s (%(lessee)s) by "
                            "%(m2).2f m²; mark both as shared use if that is intended.")
                          % {"number": c.number or f"#{c.lease_id}", "lessee": c.lessee_name,
                             "m2": c.overlap_m2})
    if lease.status == Lease.Status.ACTIVE:
        errors += [issue_text(i) for i in rules.notice_issues(
            start=lease.start_date, end=lease.end_date, contract_date=lease.contract_date,
            posted_on=lease.notice_posted_on, removed_on=lease.notice_removed_on,
            follow_up=lease.follow_up)]
        errors += [issue_text(i) for i in rules.procedure_issues(
            start=lease.start_date, end=lease.end_date,
            tender=lease.procedure == Lease.Procedure.TENDER,
            council_consent=bool(lease.council_resolution.strip()))]
    return errors


def lease_warnings(lease: Lease) -> list[str]:
    """Rules a proposal will have to meet before it becomes active (shown, not enforced)."""
    if lease.status != Lease.Status.PROPOSED:
        return []
    issues = rules.notice_issues(
        start=lease.start_date, end=lease.end_date, contract_date=lease.contract_date,
        posted_on=lease.notice_posted_on, removed_on=lease.notice_removed_on,
        follow_up=lease.follow_up)
    issues += rules.procedure_issues(
        start=lease.start_date, end=lease.end_date,
        tender=lease.procedure == Lease.Procedure.TENDER,
        council_consent=bool(lease.council_resolution.strip()))
    return [issue_text(i) for i in issues]


def _require_edit(user: Any, municipality_id: int) -> None:
    require_capability(user, Capability.EDIT_LEASES, municipality_id,
                       _("You may not edit leases of this municipality."))


def _apply_area(lease: Lease, area: MultiPolygon | None) -> None:
    if lease.whole_plot:
        lease.geom = plots_union(lease.municipality_id, lease.cadastral_ids)
    elif area is not None:
        lease.geom = area
    if lease.geom is None:
        raise ValidationError(_("Draw the leased area, upload it as a file or choose the "
                                "whole plot."))
    if not lease.cadastral_ids:
        lease.cadastral_ids = plots_under(lease.municipality_id, lease.geom)


def lease_create(user: Any, data: dict[str, Any], area: MultiPolygon | None = None, *,
                 record_refusal: bool = False) -> Lease:
    """Create a lease after checking every rule; with ``record_refusal`` a refused proposal is
    kept (status refused, with its reason) so the refusal is on record, and its reasons are
    raised all the same."""
    _require_edit(user, data["municipality_id"])
    refused: Lease | None = None
    with transaction.atomic():
        _lock_municipality(data["municipality_id"])
        lease = Lease(**data)
        _apply_area(lease, area)
        errors = lease_problems(lease)
        if errors and not record_refusal:
            raise ValidationError(errors)
        if errors:
            lease.status = Lease.Status.REFUSED
            lease.refusal_reason = "\n".join(errors)
            refused = lease
        lease.save()
        lease.refresh_from_db()
        audit(user, AuditAction.CREATE, "lease", lease.pk,
              municipality_id=lease.municipality_id, after=lease_snapshot(lease),
              detail=Note(gettext_noop("refused: %(errors)s"), errors="; ".join(errors))
              if errors else "")
    if refused is not None:  # committed above, so the refusal stays on record
        raise LeaseRefusedError(errors, lease=refused)
    return lease


def lease_update(user: Any, lease_id: int, expected_version: int, changes: dict[str, Any],
                 area: MultiPolygon | None = None) -> Lease:
    """Apply ``changes`` if nobody saved the lease since ``expected_version`` was read."""
    with transaction.atomic():
        current = locked_update(
            Lease.objects.filter(pk=lease_id), expected_version,
            stale=lambda stored: _(
                "Someone else saved this lease (version %(theirs)s) after you opened it "
                "(version %(yours)s). Reload the page to see their changes, then edit "
                "again.") % {"theirs": stored.version, "yours": expected_version},
            gone=_("The lease no longer exists."))
        _require_edit(user, current.municipality_id)
        _lock_municipality(current.municipality_id)
        before = lease_snapshot(current)
        for name, value in changes.items():
            if name not in LEASE_FIELDS:
                raise ValueError(f"not an editable lease field: {name}")
            setattr(current, name, value)
        if area is not None or current.whole_plot:
            _apply_area(current, area)
        errors = lease_problems(current)
        if errors:
            raise ValidationError(errors)
        current.bump()
        current.save()
        current.refresh_from_db()
        audit_change(user, current, before, lease_snapshot(current),
                     municipality_id=current.municipality_id)
    return current


def document_add(user: Any, lease: Lease, title: str, upload: Any) -> LeaseDocument:
    """Attach a file after checking its size, extension and leading bytes."""
    _require_edit(user, lease.municipality_id)
    name = Path(upload.name or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in DOCUMENT_TYPES:
        raise ValidationError(_("Files of type %(suffix)s are not accepted; allowed: "
                                "%(allowed)s.")
                              % {"suffix": suffix or "?",
                                 "allowed": ", ".join(sorted(DOCUMENT_TYPES))})
    if upload.size > DOCUMENT_MAX_BYTES:
        raise ValidationError(_("The file is larger than %(mb)s MB.")
                              % {"mb": DOCUMENT_MAX_BYTES // (1024 * 1024)})
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in DOCUMENT_TYPES[suffix]):
        raise ValidationError(_("The file's content does not match its extension %(suffix)s.")
                              % {"suffix": suffix})
    with transaction.atomic():
        doc = LeaseDocument(lease=lease, title=title or name, original_name=name[:255],
                            size=upload.size, uploaded_by=user)
        doc.file.save(name, upload, save=False)
        try:
            doc.save()
            audit(user, AuditAction.CREATE, "lease_document", doc.pk,
                  municipality_id=lease.municipality_id,
                  after={"lease": lease.pk, "title": doc.title, "file": doc.file.name,
                         "size": doc.size})
        except Exception:
            doc.file.delete(save=False)  # nothing half-written: no orphan file
            raise
    return doc


# --- municipal property, usufruct, investment offer -----------------------------------------


def property_override_save(user: Any, municipality_id: int, cadastral_id: str, *,
                           expected_version: int | None, **fields: Any) -> PropertyOverride:
    """Create or change the plot's record if nobody saved it since the officer read it.

    ``expected_version`` is the version the form was built from, None when the plot had no
    record then: a record created by a colleague in between is as stale as one they changed,
    since saving would silently replace their correction.
    """
    _require_edit(user, municipality_id)
    keys = ["status", "manager", "management_form", "inventory_number", "notes"]
    with transaction.atomic():
        _active_plots(municipality_id, [cadastral_id])
        # the plot's row is created under the lock of a plain get_or_create's unique key
        rows = PropertyOverride.objects.filter(municipality_id=municipality_id,
                                               cadastral_id=cadastral_id)
        stale = _("Someone else saved this plot's property record after you opened it. Reload "
                  "the page to see their changes, then edit again.")
        obj = locked_update(rows, expected_version, stale=stale)
        before = None
        if obj is None:
            obj, created = PropertyOverride.objects.get_or_create(
                municipality_id=municipality_id, cadastral_id=cadastral_id)
            if not created:  # a colleague created it between the look-up and here
                raise StaleEditError(stale)
        else:
            before = snapshot(obj, [*keys, "version"])
            obj.bump()
        for k, v in fields.items():
            if k not in keys:
                raise ValueError(f"not a property field: {k}")
            setattr(obj, k, v)
        obj.full_clean(exclude=["municipality"])
        obj.save()
        audit_change(user, obj, before, snapshot(obj, [*keys, "cadastral_id", "version"]),
                     municipality_id=municipality_id, only_changes=False)
    return obj


def usufruct_fee(u: Usufruct) -> Decimal:
    return rules.usufruct_annual_fee(u.land_value, u.purpose)


def usufruct_update(user: Any, usufruct_id: int, expected_version: int, new_land_value: Decimal,
                    effective_year: int, *, notice_on: date
                    ) -> tuple[Usufruct, list[tuple[int, Decimal]]]:
    """A fee update (art. 77–78): refused within 3 years of the last one (a message for the whole
    form) and when the notice (given on ``notice_on``) does not make the fee apply in
    ``effective_year`` (a message on the ``notice_on`` field); returns the fees payable in the
    following years (the spread of an increase above double)."""
    with transaction.atomic():
        u = locked_update(
            Usufruct.objects.filter(pk=usufruct_id), expected_version,
            stale=_("Someone else changed this usufruct after you opened it."))
        _require_edit(user, u.municipality_id)
        issues = rules.usufruct_update_issues(u.fee_updated_year, effective_year)
        if issues:
            raise ValidationError([issue_text(i) for i in issues])
        notice_issues = rules.usufruct_notice_issues(notice_on, effective_year)
        if notice_issues:
            raise ValidationError({"notice_on": [issue_text(i) for i in notice_issues]})
        old_fee = usufruct_fee(u)
        before = {"land_value": str(u.land_value), "fee_updated_year": u.fee_updated_year,
                  "fee": str(old_fee),
                  "fee_notice_on": u.fee_notice_on.isoformat() if u.fee_notice_on else None}
        u.previous_fee = old_fee
        u.land_value = new_land_value
        u.fee_updated_year = effective_year
        u.fee_notice_on = notice_on
        u.bump()
        u.save()
        new_fee = usufruct_fee(u)
        spread = rules.usufruct_update_spread(old_fee, new_fee, effective_year)
        audit(user, AuditAction.UPDATE, "usufruct", u.pk, municipality_id=u.municipality_id,
              before=before,
              after={"land_value": str(u.land_value), "fee_updated_year": effective_year,
                     "fee_notice_on": notice_on.isoformat(),
                     "fee": str(new_fee), "spread": [[y, str(a)] for y, a in spread]})
    return u, spread


def offer_save(user: Any, data: dict[str, Any], offer_id: int | None = None, *,
               expected_version: int | None = None) -> InvestmentOffer:
    """Create or change an investment offer; its area is the union of its plots.

    A change needs the version the officer's form was built from: a colleague's save in
    between is refused rather than overwritten (a published offer is what investors read).
    """
    _require_edit(user, data["municipality_id"])
    with transaction.atomic():
        offer = InvestmentOffer()
        before = None
        if offer_id:
            offer = locked_update(
                InvestmentOffer.objects.filter(pk=offer_id), expected_version,
                stale=_("Someone else saved this investment offer after you opened it. Reload "
                        "the page to see their changes, then edit again."),
                gone=_("The offer no longer exists."))
            if offer.municipality_id != data["municipality_id"]:
                raise ValidationError(_("The offer belongs to another municipality."))
            before = snapshot(offer, OFFER_AUDITED[:-1])
            offer.bump()
        for k, v in data.items():
            if k == "version":
                raise ValueError("the version is the service's to set")
            setattr(offer, k, v)
        offer.geom = plots_union(offer.municipality_id, offer.cadastral_ids)
        offer.save()
        audit_change(user, offer, before, snapshot(offer, OFFER_AUDITED),
                     municipality_id=offer.municipality_id, only_changes=False)
    return offer


OFFER_AUDITED = ["title", "mode", "published", "cadastral_ids", "version", "price"]
