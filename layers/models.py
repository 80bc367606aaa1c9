"""The spatial register: municipalities, precincts, parcels, buildings, land uses, zones, areas.

Geometries are stored in ``STORAGE_SRID`` (2180) as ``geometry`` (metres), MultiPolygon wherever
an area is meant. Imported features carry their source identity (namespace + local id + version
id) and lifecycle dates; the table holds one row per object (its current version) and
``FeatureVersion`` keeps the older versions. Registers point at parcels and buildings by their
cadastral identity (``cadastral_id``/``building_id``), which survives re-imports.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.db.models import F, Func, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from layers.domain.srid import STORAGE_SRID


def _valid(name: str) -> models.CheckConstraint:
    """PostGIS-valid geometry (or none), named so errors say which table refused it."""
    return models.CheckConstraint(
        condition=Q(geom__isnull=True) | Q(geom__isvalid=True), name=f"{name}_geom_valid"
    )


def _area() -> models.GeneratedField:
    return models.GeneratedField(
        expression=Func(F("geom"), function="ST_Area", output_field=models.FloatField()),
        output_field=models.FloatField(),
        db_persist=True,
        verbose_name=_("geometric area [m²]"),
    )


class Municipality(models.Model):
    """A municipality served by this installation; every record belongs to one."""

    teryt = models.CharField(
        _("TERYT code"), max_length=16, unique=True,
        help_text=_("cadastral unit id WWPPGG_R, e.g. 180501_1 (Jasło)"),
    )
    name = models.CharField(_("name"), max_length=128)
    geom = models.MultiPolygonField(_("boundary"), srid=STORAGE_SRID, null=True, blank=True,
                                    spatial_index=False)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]
        indexes = [GistIndex(fields=["geom"], name="municipality_geom_gist")]
        constraints = [_valid("municipality")]

    def __str__(self) -> str:
        return f"{self.name} ({self.teryt})"


class SourcedFeature(models.Model):
    """Source identity and lifecycle of an imported object (EGB_OgolnyObiekt)."""

    source_namespace = models.CharField(_("source namespace"), max_length=64)
    local_id = models.CharField(_("local id"), max_length=128)
    version_id = models.CharField(_("version id"), max_length=64, blank=True)
    object_start = models.DateTimeField(_("object created"), null=True, blank=True)
    version_start = models.DateTimeField(_("version created"), null=True, blank=True)
    version_end = models.DateTimeField(_("version ended"), null=True, blank=True)
    object_end = models.DateTimeField(_("object deleted"), null=True, blank=True)
    retired_at = models.DateTimeField(
        _("retired"), null=True, blank=True,
        help_text=_("set when the object vanished from a complete extract or was deleted"),
    )
    import_run_id = models.BigIntegerField(_("import run"), null=True, blank=True)
    unresolved_links = models.JSONField(
        _("unresolved links"), default=dict, blank=True,
        help_text=_("references to objects not present in the imported file"),
    )

    class Meta:
        abstract = True

    @property
    def is_current(self) -> bool:
        return self.retired_at is None and self.object_end is None


def _source_unique(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["source_namespace", "local_id"], name=f"{name}_source_identity_uniq"
    )


class Precinct(SourcedFeature):
    """A cadastral precinct (obręb ewidencyjny)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="precincts", verbose_name=_("municipality"))
    teryt = models.CharField(_("precinct id"), max_length=24, unique=True,
                             help_text=_("WWPPGG_R.OOOO"))
    name = models.CharField(_("name"), max_length=128, blank=True)
    geom = models.MultiPolygonField(_("boundary"), srid=STORAGE_SRID, null=True, blank=True,
                                    spatial_index=False)

    class Meta:
        verbose_name = _("precinct")
        verbose_name_plural = _("precincts")
        ordering = ["teryt"]
        indexes = [GistIndex(fields=["geom"], name="precinct_geom_gist")]
        constraints = [_valid("precinct")]

    def __str__(self) -> str:
        return f"{self.teryt} {self.name}".strip()


class RegistrationUnit(SourcedFeature):
    """A registration unit (jednostka rejestrowa): JRG for land, JRB buildings, JRL premises."""

    class Kind(models.TextChoices):
        LAND = "G", _("land (JRG)")
        BUILDING = "B", _("building (JRB)")
        PREMISES = "L", _("premises (JRL)")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="registration_units")
    unit_id = models.CharField(_("unit id"), max_length=64, db_index=True)
    kind = models.CharField(_("kind"), max_length=1, choices=Kind.choices)
    group = models.PositiveSmallIntegerField(_("registration group"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration unit")
        verbose_name_plural = _("registration units")
        constraints = [_source_unique("registrationunit")]

    def __str__(self) -> str:
        return self.unit_id


class Subject(SourcedFeature):
    """An owner or holder: a person, an institution, a marriage, a group or a community.

    Personal data (RODO): names are visible only through selectors that check the
    ``VIEW_OWNERS`` capability and write the audit log; PESEL is stored encrypted.
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("natural person")
        INSTITUTION = "institution", _("institution")
        MARRIAGE = "marriage", _("marriage")
        GROUP = "group", _("group subject")
        COMMUNITY = "community", _("land community")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="subjects")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=512, blank=True)
    search_text = models.CharField(max_length=512, blank=True, editable=False)
    regon = models.CharField(_("REGON"), max_length=14, blank=True)
    status = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    pesel_encrypted = models.BinaryField(_("PESEL (encrypted)"), null=True, blank=True,
                                         editable=False)
    members = models.ManyToManyField("self", symmetrical=False, blank=True,
                                     related_name="member_of", verbose_name=_("members"))

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        constraints = [_source_unique("subject")]
        indexes = [GinIndex(fields=["search_text"], name="subject_search_trgm",
                            opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.name or self.local_id


class Share(SourcedFeature):
    """An ownership (EGB_UdzialWeWlasnosci) or possession (EGB_UdzialWeWladaniu) share."""

    class Kind(models.TextChoices):
        OWNERSHIP = "ownership", _("ownership")
        POSSESSION = "possession", _("possession")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="shares")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    right = models.PositiveSmallIntegerField(
        _("right"), null=True, blank=True,
        help_text=_("rodzajPrawa (1–2) for ownership, rodzajWladania (1–9) for possession"),
    )
    numerator = models.PositiveIntegerField(_("numerator"), null=True, blank=True)
    denominator = models.PositiveIntegerField(_("denominator"), null=True, blank=True)
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="shares")
    registration_unit = models.ForeignKey(RegistrationUnit, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="shares")

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        constraints = [
            _source_unique("share"),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gt=0),
                name="share_denominator_positive",
            ),
        ]


class Address(SourcedFeature):
    """A property address (EGB_AdresNieruchomosci)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="addresses")
    locality = models.CharField(_("locality"), max_length=128)
    locality_simc = models.CharField(_("SIMC id"), max_length=16, blank=True)
    street = models.CharField(_("street"), max_length=128, blank=True)
    street_ulic = models.CharField(_("ULIC id"), max_length=16, blank=True)
    house_number = models.CharField(_("house number"), max_length=32, blank=True)
    flat_number = models.CharField(_("flat number"), max_length=32, blank=True)
    search_text = models.CharField(max_length=400, blank=True, editable=False)
    geom = models.PointField(_("location"), srid=STORAGE_SRID, null=True, blank=True,
                             spatial_index=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [_source_unique("address")]
        indexes = [
            GistIndex(fields=["geom"], name="address_geom_gist"),
            GinIndex(fields=["search_text"], name="address_search_trgm",
                     opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        street = self.street or self.locality
        flat = f"/{self.flat_number}" if self.flat_number else ""
        return f"{street} {self.house_number}{flat}, {self.locality}".strip()


class Parcel(SourcedFeature):
    """A cadastral parcel (EGB_DzialkaEwidencyjna or INSPIRE CadastralParcel), current version."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="parcels", verbose_name=_("municipality"))
    # no index of its own: parcel_precinct_number_idx (precinct, number) serves it, and every
    # index is paid for on each of an import's 100,000 inserts
    precinct = models.ForeignKey(Precinct, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="parcels", verbose_name=_("precinct"),
                                 db_index=False)
    cadastral_id = models.CharField(_("parcel id"), max_length=64,
                                    help_text=_("WWPPGG_R.OOOO[.AR_n].NR"))
    number = models.CharField(_("parcel number"), max_length=32)
    sheet = models.CharField(_("map sheet"), max_length=16, blank=True)
    legal_area_m2 = models.DecimalField(
        _("legal area [m²]"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("as recorded in the cadastre; never recomputed"),
    )
    geom_area_m2 = _area()
    kw_numbers = ArrayField(models.CharField(max_length=20), default=list, blank=True,
                            verbose_name=_("land and mortgage register numbers"))
    registration_unit = models.ForeignKey(RegistrationUnit, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="parcels")
    addresses = models.ManyToManyField(Address, blank=True, related_name="parcels",
                                       verbose_name=_("addresses"))
    source_format = models.CharField(_("source format"), max_length=16, blank=True)
    geom = models.MultiPolygonField(_("geometry"), srid=STORAGE_SRID, spatial_index=False)

    class Meta:
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        ordering = ["cadastral_id"]
        indexes = [
            GistIndex(fields=["geom"], name="parcel_geom_gist"),
            models.Index(fields=["cadastral_id"], name="parcel_cadastral_id_idx"),
            models.Index(fields=["precinct", "number"], name="parcel_precinct_number_idx"),
            GinIndex(fields=["kw_numbers"], name="parcel_kw_gin"),
            # the search by plot number alone ("108" finds 108, 108/1 …: = and LIKE 'x/%')
            models.Index(OpClass(Upper("number"), name="text_pattern_ops"),
                         name="parcel_number_upper_idx"),
        ]
        constraints = [
            _valid("parcel"),
            _source_unique("parcel"),
            models.UniqueConstraint(
                fields=["cadastral_id"], condition=Q(retired_at__isnull=True),
                name="parcel_active_cadastral_id_uniq",
            ),
            models.CheckConstraint(
                condition=Q(legal_area_m2__isnull=True) | Q(legal_area_m2__gte=0),
                name="parcel_legal_area_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return self.cadastral_id


class ParcelLandUse(models.Model):
    """A klasoużytek within a parcel: land use, soil class and the area it covers."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="land_uses")
    ofu = models.CharField(_("land use (OFU)"), max_length=8)
    ozu = models.CharField(_("soil use (OZU)"), max_length=8, blank=True)
    ozk = models.CharField(_("soil class (OZK)"), max_length=8, blank=True)
    area_m2 = models.DecimalField(_("area [m²]"), max_digits=14, decimal_places=2, null=True,
                                  blank=True)
    known_code = models.BooleanField(_("known OFU code"), default=True)

    class Meta:
        verbose_name = _("parcel land use")
        verbose_name_plural = _("parcel land uses")


class Building(SourcedFeature):
    """A building (EGB_Budynek), current version."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="buildings")
    precinct = models.ForeignKey(Precinct, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="buildings")
    building_id = models.CharField(_("building id"), max_length=80, db_index=True)
    kind = models.CharField(_("kind (KŚT)"), max_length=1, blank=True)
    kind_source = models.CharField(_("KŚT as in the source"), max_length=8, blank=True)
    storeys_above = models.SmallIntegerField(_("storeys above ground"), null=True, blank=True)
    storeys_below = models.SmallIntegerField(_("storeys below ground"), null=True, blank=True)
    built_up_area_m2 = models.DecimalField(_("built-up area [m²]"), max_digits=12,
                                           decimal_places=2, null=True, blank=True)
    usable_area_separate_m2 = models.DecimalField(
        _("usable area of separate premises [m²]"), max_digits=12, decimal_places=2, null=True,
        blank=True)
    usable_area_other_m2 = models.DecimalField(
        _("usable area of other premises [m²]"), max_digits=12, decimal_places=2, null=True,
        blank=True)
    usable_area_ancillary_m2 = models.DecimalField(
        _("usable area of ancillary rooms [m²]"), max_digits=12, decimal_places=2, null=True,
        blank=True)
    kw_numbers = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    registration_unit = models.ForeignKey(RegistrationUnit, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="buildings")
    parcels = models.ManyToManyField(Parcel, blank=True, related_name="buildings",
                                     verbose_name=_("parcels it stands on"))
    addresses = models.ManyToManyField(Address, blank=True, related_name="buildings")
    geom = models.MultiPolygonField(_("footprint"), srid=STORAGE_SRID, null=True, blank=True,
                                    spatial_index=False)
    geom_area_m2 = _area()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        indexes = [GistIndex(fields=["geom"], name="building_geom_gist")]
        constraints = [_valid("building"), _source_unique("building")]

    def __str__(self) -> str:
        return self.building_id


class LandUse(SourcedFeature):
    """A land-use contour (EGB_KonturUzytkuGruntowego) or a soil-class contour."""

    class Kind(models.TextChoices):
        USE = "use", _("land-use contour")
        CLASS = "class", _("soil-class contour")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="land_uses")
    precinct = models.ForeignKey(Precinct, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="land_uses")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    contour_id = models.CharField(_("contour id"), max_length=64, blank=True)
    ofu = models.CharField(_("land use (OFU)"), max_length=8, blank=True)
    ozu = models.CharField(_("soil use (OZU)"), max_length=8, blank=True)
    ozk = models.CharField(_("soil class (OZK)"), max_length=8, blank=True)
    parcel = models.ForeignKey(Parcel, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="contours")
    geom = models.MultiPolygonField(_("geometry"), srid=STORAGE_SRID, spatial_index=False)
    geom_area_m2 = _area()

    class Meta:
        verbose_name = _("land-use contour")
        verbose_name_plural = _("land-use contours")
        indexes = [GistIndex(fields=["geom"], name="landuse_geom_gist")]
        constraints = [_valid("landuse"), _source_unique("landuse")]


class ParkingZone(SourcedFeature):
    """A paid-parking zone (strefa płatnego parkowania)."""

    class Kind(models.TextChoices):
        ORDINARY = "ordinary", _("paid-parking zone (SPP)")
        CITY_CENTRE = "city_centre", _("city-centre paid-parking zone (ŚSPP)")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="parking_zones")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices,
                            default=Kind.ORDINARY)
    geom = models.MultiPolygonField(_("geometry"), srid=STORAGE_SRID, spatial_index=False)

    class Meta:
        verbose_name = _("paid-parking zone")
        verbose_name_plural = _("paid-parking zones")
        indexes = [GistIndex(fields=["geom"], name="parkingzone_geom_gist")]
        constraints = [
            _valid("parkingzone"),
            _source_unique("parkingzone"),
            models.UniqueConstraint(fields=["municipality", "code"],
                                    name="parkingzone_municipality_code_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LandscapeArea(SourcedFeature):
    """An area with landscape rules: a zone of the landscape resolution or a form of protection."""

    class Kind(models.TextChoices):
        RESOLUTION_ZONE = "resolution_zone", _("landscape-resolution zone")
        PROTECTED_LANDSCAPE = "protected_landscape", _("protected landscape area")
        LANDSCAPE_PARK = "landscape_park", _("landscape park")
        NATURA_2000 = "natura_2000", _("Natura 2000 site")
        CULTURAL_PARK = "cultural_park", _("cultural park")
        CONSERVATION_ZONE = "conservation_zone", _("conservation zone")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="landscape_areas")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    geom = models.MultiPolygonField(_("geometry"), srid=STORAGE_SRID, spatial_index=False)

    class Meta:
        verbose_name = _("landscape area")
        verbose_name_plural = _("landscape areas")
        indexes = [GistIndex(fields=["geom"], name="landscapearea_geom_gist")]
        constraints = [_valid("landscapearea"), _source_unique("landscapearea")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FeatureVersion(models.Model):
    """An archived version of any sourced feature: the history the current tables do not hold."""

    feature_type = models.CharField(_("feature type"), max_length=32)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="+")
    source_namespace = models.CharField(max_length=64)
    local_id = models.CharField(max_length=128)
    version_id = models.CharField(max_length=64)
    version_start = models.DateTimeField(null=True, blank=True)
    version_end = models.DateTimeField(null=True, blank=True)
    attributes = models.JSONField(default=dict)
    geom = models.GeometryField(srid=STORAGE_SRID, null=True, blank=True, spatial_index=False)
    import_run_id = models.BigIntegerField(null=True, blank=True)
    archived_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("archived feature version")
        verbose_name_plural = _("archived feature versions")
        constraints = [
            models.UniqueConstraint(
                fields=["feature_type", "source_namespace", "local_id", "version_id"],
                name="featureversion_identity_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["feature_type", "source_namespace", "local_id"],
                         name="featureversion_object_idx"),
        ]
