"""The spatial register's own collections: public ones and one owner-bearing (protected) one."""

from __future__ import annotations

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import Q

from gis_app.accounts.roles import Capability
from gis_app.audit.models import AuditAction
from layers.models import Building, LandscapeArea, LandUse, Parcel, ParkingZone
from layers.ogc.registry import Collection, Property, register_collection

_MUNI = Property("municipality", "municipality__teryt", "string", "municipality TERYT")

register_collection(Collection(
    id="parcels", title="Działki ewidencyjne (parcels)",
    description="Current cadastral parcels: identifier, number and legal area only.",
    queryset=lambda: Parcel.objects.filter(retired_at__isnull=True),
    properties=(Property("cadastral_id", "cadastral_id"), Property("number", "number"),
                Property("area_m2", "legal_area_m2", "number", "legal area [m²]")),
    public=True, keywords=("cadastre", "EGiB"),
))
register_collection(Collection(
    id="buildings", title="Budynki (buildings)",
    description="Current buildings: id, KŚT kind, storeys and built-up area.",
    queryset=lambda: Building.objects.filter(retired_at__isnull=True, geom__isnull=False),
    properties=(Property("building_id", "building_id"), Property("kind", "kind"),
                Property("storeys_above", "storeys_above", "integer"),
                Property("storeys_below", "storeys_below", "integer"),
                Property("built_up_area_m2", "built_up_area_m2", "number"), _MUNI),
    public=True,
))
register_collection(Collection(
    id="land-uses", title="Użytki gruntowe (land uses)",
    description="Land-use and soil-class contours (OFU, OZU, OZK).",
    queryset=lambda: LandUse.objects.filter(retired_at__isnull=True),
    properties=(Property("kind", "kind"), Property("ofu", "ofu"), Property("ozu", "ozu"),
                Property("ozk", "ozk"), _MUNI),
    public=True,
))
register_collection(Collection(
    id="parking-zones", title="Strefy płatnego parkowania (paid-parking zones)",
    description="Paid-parking zones (SPP, ŚSPP).",
    queryset=lambda: ParkingZone.objects.filter(retired_at__isnull=True),
    properties=(Property("code", "code"), Property("name", "name"), Property("kind", "kind"),
                _MUNI),
    public=True,
))
register_collection(Collection(
    id="landscape-areas", title="Obszary krajobrazowe (landscape areas)",
    description="Zones of the landscape resolution and forms of nature protection.",
    queryset=lambda: LandscapeArea.objects.filter(retired_at__isnull=True),
    properties=(Property("code", "code"), Property("name", "name"), Property("kind", "kind"),
                _MUNI),
    public=True,
))
register_collection(Collection(
    id="parcel-owners", title="Działki z właścicielami (parcels with owners)",
    description="Parcels with their owners (personal data: property and tax officers of the "
                "municipality only; every read is audited).",
    queryset=lambda: Parcel.objects.filter(retired_at__isnull=True).annotate(
        owners_text=StringAgg("registration_unit__shares__subject__name", delimiter="; ",
                              distinct=True, default="",
                              filter=Q(registration_unit__shares__kind="ownership"))),
    properties=(Property("cadastral_id", "cadastral_id"), Property("number", "number"),
                Property("area_m2", "legal_area_m2", "number"),
                Property("registration_unit", "registration_unit__unit_id"),
                Property("owners", "owners_text"), _MUNI),
    public=False, capability=Capability.VIEW_OWNERS, audit_action=AuditAction.READ_OWNERS,
))
