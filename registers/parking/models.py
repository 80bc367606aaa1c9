"""Paid-parking tariffs per zone and period, subscriptions, and the minimum wage by year."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from layers.models import Municipality, ParkingZone
from registers.common.editing import Versioned
from registers.parking import rules


class MinimumWage(models.Model):
    """The minimum wage of a year: the base of the art. 13b and 13f caps (a parameter)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    amount = models.DecimalField(_("minimum wage [zł]"), max_digits=10, decimal_places=2)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("minimum wage")
        verbose_name_plural = _("minimum wages")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.amount} zł"


def weekdays_text(codes: str) -> str:
    """``0,1,2,3,4`` → ``Pon – Pt`` (the page's language; runs of days joined by a dash),
    never the codes (issue #18: "Dni płatne 0,1,2,3,4")."""
    from django.utils.dates import WEEKDAYS_ABBR

    try:
        days = sorted(rules.parse_weekdays(codes))
    except ValueError:
        return codes
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(str(WEEKDAYS_ABBR[r[0]]) if len(r) == 1 else
                     f"{WEEKDAYS_ABBR[r[0]]} – {WEEKDAYS_ABBR[r[-1]]}" for r in runs)


def _money(label: str, **kw) -> models.DecimalField:
    return models.DecimalField(label, max_digits=8, decimal_places=2,
                               validators=[MinValueValidator(Decimal("0"))], **kw)


class Tariff(Versioned):
    """The tariff of one zone for the period a council resolution sets it (with its
    subscriptions: their changes move the tariff's version on)."""

    audit_type = "parking.tariff"

    zone = models.ForeignKey(ParkingZone, on_delete=models.PROTECT, related_name="tariffs",
                             verbose_name=_("zone"))
    resolution_number = models.CharField(_("resolution number"), max_length=64)
    resolution_date = models.DateField(_("resolution date"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    first_hour = _money(_("1st hour [zł]"))
    second_hour = _money(_("2nd hour [zł]"))
    third_hour = _money(_("3rd hour [zł]"))
    later_hours = _money(_("4th and later hours [zł]"))
    step_minutes = models.PositiveSmallIntegerField(
        _("billing step [min]"), default=1,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("1 = per minute; 15 = every started quarter of an hour"))
    minimum_charge = _money(_("minimum charge [zł]"), default=Decimal("0"))
    paid_weekdays = models.CharField(
        _("paid days"), max_length=20, default="0,1,2,3,4",
        help_text=_("0 = Monday … 6 = Sunday, e.g. 0-4 or 0,1,2,3,4,5"))
    paid_from = models.TimeField(_("paid from"), default="08:00")
    paid_to = models.TimeField(_("paid to"), default="18:00")
    surcharge = _money(_("surcharge [zł]"), null=True, blank=True)
    surcharge_reduced = _money(_("reduced surcharge [zł]"), null=True, blank=True)
    surcharge_reduced_days = models.PositiveSmallIntegerField(
        _("days to pay the reduced surcharge"), default=7,
        help_text=_("the resolution's days from the notice within which the reduced amount "
                    "applies"))
    surcharge_due_days = models.PositiveSmallIntegerField(
        _("days to pay the surcharge"), default=14,
        help_text=_("after these days from the notice a reminder is due and the notice is "
                    "ripe for enforcement"))
    surcharge_reminder_days = models.PositiveSmallIntegerField(
        _("days a reminder gives"), default=7,
        help_text=_("after a reminder, these days pass before the notice is ripe for "
                    "enforcement (the resolution's or the enforcement procedure's; 7 is a "
                    "practice, not law: UNCONFIRMED)"))
    parking_card_zero_rate = models.BooleanField(
        _("zero rate for parking-card holders on reserved bays"), default=False)

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["zone__code", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="parking_tariff_period_order"),
        ]

    def __str__(self) -> str:
        return f"{self.zone.code} {self.resolution_number} ({self.valid_from})"

    @property
    def city_centre(self) -> bool:
        return self.zone.kind == ParkingZone.Kind.CITY_CENTRE

    @property
    def paid_weekdays_text(self) -> str:
        return weekdays_text(self.paid_weekdays)

    def as_rules(self, subscription_kinds: frozenset[str] | None = None) -> rules.Tariff:
        """The tariff as the pure law sees it: the one place the model becomes a rules.Tariff.
        ``subscription_kinds`` stands in for the stored subscriptions (a tariff being validated
        before it is saved has none yet). Raises ValueError for unreadable paid days."""
        if subscription_kinds is None:
            subscription_kinds = frozenset(s.kind for s in self.subscriptions.all())
        return rules.Tariff(
            first_hour=self.first_hour, second_hour=self.second_hour,
            third_hour=self.third_hour, later_hours=self.later_hours,
            city_centre=self.city_centre, step_minutes=self.step_minutes,
            minimum_charge=self.minimum_charge,
            schedule=rules.Schedule(weekdays=rules.parse_weekdays(self.paid_weekdays),
                                    start=self.paid_from, end=self.paid_to),
            surcharge=self.surcharge, surcharge_reduced=self.surcharge_reduced,
            parking_card_zero_rate=self.parking_card_zero_rate,
            subscriptions=subscription_kinds,
        )


class Subscription(models.Model):
    """A subscription the tariff offers (art. 13b ust. 4 pkt 2): kind, period and price."""

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("resident")
        BUSINESS = "business", _("business")
        OTHER = "other", _("other")

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="subscriptions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    period_days = models.PositiveSmallIntegerField(_("period [days]"),
                                                   validators=[MinValueValidator(1)])
    price = _money(_("price [zł]"))

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["kind", "period_days"]
        constraints = [models.UniqueConstraint(fields=["tariff", "kind", "period_days"],
                                               name="parking_subscription_uniq")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_days} d: {self.price} zł"

    def versioned_whole(self) -> Tariff:
        """The record whose version a change of this subscription moves on."""
        return self.tariff

class Operator(Versioned):
    """A payment operator (mobile app, meter network) that registers parking sessions.

    It authenticates with a bearer token ``<prefix>.<secret>``: only the prefix (to find the row)
    and the SHA-256 of the whole token are stored; the token is shown once when it is made."""

    class Channel(models.TextChoices):
        APP = "app", _("mobile payment")
        METER = "meter", _("parking meter")

    name = models.CharField(_("name"), max_length=128, unique=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices,
                               default=Channel.APP)
    municipalities = models.ManyToManyField(Municipality, related_name="parking_operators",
                                            verbose_name=_("municipalities served"))
    token_prefix = models.CharField(_("token prefix"), max_length=16, unique=True)
    token_hash = models.CharField(_("token hash (SHA-256)"), max_length=64)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment operator")
        verbose_name_plural = _("payment operators")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ParkingSession(Versioned):
    """A paid stay registered by an operator; times are stored in UTC.

    ``(operator, external_id)`` is unique: the operator's own session id makes each call
    idempotent. ``plate`` is personal data (RODO): purged after the retention period."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        STOPPED = "stopped", _("stopped")

    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="sessions",
                                 verbose_name=_("operator"))
    external_id = models.CharField(_("operator's session id"), max_length=64)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="parking_sessions",
                                     verbose_name=_("municipality"))
    zone = models.ForeignKey(ParkingZone, on_delete=models.PROTECT,
                             related_name="parking_sessions", verbose_name=_("zone"))
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="sessions",
                               verbose_name=_("tariff"))
    plate = models.CharField(_("registration number"), max_length=10, blank=True)
    start_time = models.DateTimeField(_("start"))
    end_time = models.DateTimeField(_("end"))
    amount = models.DecimalField(_("amount paid [zł]"), max_digits=8, decimal_places=2)
    fee = models.DecimalField(_("fee computed [zł]"), max_digits=8, decimal_places=2)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.ACTIVE)
    start_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("parking session")
        verbose_name_plural = _("parking sessions")
        ordering = ["-start_time"]
        constraints = [
            models.UniqueConstraint(fields=["operator", "external_id"],
                                    name="parking_session_operator_external_uniq"),
            models.CheckConstraint(condition=models.Q(end_time__gt=models.F("start_time")),
                                   name="parking_session_period_order"),
        ]
        indexes = [
            # the enforcement check: this plate, this zone, now (end_time >= now)
            models.Index(fields=["plate", "zone", "end_time"],
                         name="parking_session_check_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.operator} {self.external_id}"


class SurchargeNotice(Versioned):
    """An opłata dodatkowa (art. 13f u.d.p.) issued by a controller to a car without a ticket.

    The amounts come from the tariff in force (validated against the 10 % cap on save);
    ``plate`` is personal data, purged after the retention period once the notice is closed."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("unpaid")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    number = models.CharField(_("number"), max_length=32, unique=True)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="surcharge_notices",
                                     verbose_name=_("municipality"))
    zone = models.ForeignKey(ParkingZone, on_delete=models.PROTECT,
                             related_name="surcharge_notices", verbose_name=_("zone"))
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="notices",
                               verbose_name=_("tariff"))
    plate = models.CharField(_("registration number"), max_length=10, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    geom = gis_models.PointField(_("place"), srid=2180)
    controller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("controller"))
    amount = models.DecimalField(_("surcharge [zł]"), max_digits=8, decimal_places=2)
    reduced_amount = models.DecimalField(_("reduced surcharge [zł]"), max_digits=8,
                                         decimal_places=2, null=True, blank=True)
    reduced_until = models.DateField(_("reduced amount if paid by"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.ISSUED)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_amount = models.DecimalField(_("amount paid [zł]"), max_digits=8, decimal_places=2,
                                      null=True, blank=True)
    reminder_sent_on = models.DateField(_("reminder sent on"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("surcharge notice")
        verbose_name_plural = _("surcharge notices")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["municipality", "status", "due_date"],
                                name="parking_notice_status_idx")]

    def __str__(self) -> str:
        return self.number


def notice_photo_path(instance: NoticePhoto, filename: str) -> str:
    """A generated name: the controller's file name never reaches the file system."""
    import uuid
    from pathlib import PurePosixPath

    return f"parking/notices/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()}"


class NoticePhoto(models.Model):
    notice = models.ForeignKey(SurchargeNotice, on_delete=models.CASCADE,
                               related_name="photos")
    file = models.FileField(upload_to=notice_photo_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("notice photo")
        verbose_name_plural = _("notice photos")

    def __str__(self) -> str:
        return self.file.name


class Permit(Versioned):
    """A resident's or business subscription (abonament, identyfikator) for a vehicle in a zone
    and period, at the price of the tariff's subscription; the enforcement check honours it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="parking_permits",
                                     verbose_name=_("municipality"))
    zone = models.ForeignKey(ParkingZone, on_delete=models.PROTECT, related_name="permits",
                             verbose_name=_("zone"))
    audit_type = "parking.permit"

    kind = models.CharField(_("kind"), max_length=16, choices=Subscription.Kind.choices)
    plate = models.CharField(_("registration number"), max_length=10)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    period_days = models.PositiveSmallIntegerField(_("period [days]"), default=30)
    price = _money(_("price [zł]"))
    renewed_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="renewals", verbose_name=_("renews"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True)

    class Meta:
        verbose_name = _("parking permit")
        verbose_name_plural = _("parking permits")
        ordering = ["-valid_to"]
        constraints = [models.CheckConstraint(
            condition=models.Q(valid_to__gte=models.F("valid_from")),
            name="parking_permit_period_order")]
        indexes = [models.Index(fields=["plate", "zone", "valid_to"],
                                name="parking_permit_check_idx")]

    def __str__(self) -> str:
        return f"{self.plate} {self.zone.code} {self.valid_from}–{self.valid_to}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            self.plate = rules.normalise_plate(self.plate)
        except ValueError as exc:
            raise ValidationError({"plate": str(exc)}) from None
        if self.zone_id and self.municipality_id \
                and self.zone.municipality_id != self.municipality_id:
            raise ValidationError({"zone": _("the zone lies in another municipality")})


class Exemption(Versioned):
    """Who need not pay, as data: the road act's exemptions (art. 13 ust. 3 u.d.p.: the
    services' vehicles, electric vehicles, school buses; ``municipality`` empty: every town)
    and the resolution's (a zero rate under art. 13b ust. 4 pkt 2, e.g. parking-card holders on
    the designated bays; ``municipality`` and optionally ``zone`` set).

    ``evidence`` says how the controller learns it: seen on site (the card behind the windscreen
    on a designated bay, a marked police car, green plates), or the vehicle listed in
    ``ExemptVehicle`` (e.g. the road authority's cars)."""

    audit_type = "parking.exemption"

    class Kind(models.TextChoices):
        SERVICE = "service", _("services' vehicle on duty (art. 13 ust. 3)")
        ELECTRIC = "electric", _("electric vehicle (art. 13 ust. 3)")
        PARKING_CARD = "parking_card", _("parking-card holder on a designated bay")
        OTHER = "other", _("other zero rate of the resolution")

    class Evidence(models.TextChoices):
        ON_SITE = "on_site", _("seen on site by the controller")
        REGISTERED = "registered", _("vehicle listed in the register")

    municipality = models.ForeignKey(Municipality, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="parking_exemptions",
                                     verbose_name=_("municipality (empty: the road act, "
                                                    "every town)"))
    zone = models.ForeignKey(ParkingZone, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="exemptions",
                             verbose_name=_("zone (empty: every zone)"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    evidence = models.CharField(_("evidence"), max_length=16, choices=Evidence.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=200)
    valid_from = models.DateField(_("valid from"), default="2000-01-01")
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("parking exemption")
        verbose_name_plural = _("parking exemptions")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.legal_basis})"


class ExemptVehicle(models.Model):
    """A vehicle listed under a registered exemption (its plate is personal data too)."""

    exemption = models.ForeignKey(Exemption, on_delete=models.CASCADE, related_name="vehicles",
                                  verbose_name=_("exemption"))
    plate = models.CharField(_("registration number"), max_length=10)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("exempt vehicle")
        verbose_name_plural = _("exempt vehicles")
        indexes = [models.Index(fields=["plate", "valid_from"],
                                name="parking_exemptvehicle_idx")]

    def __str__(self) -> str:
        return f"{self.plate} ({self.exemption})"

    def versioned_whole(self) -> Exemption:
        """The record whose version a change of its vehicle list moves on."""
        return self.exemption


class ZoneCapacity(models.Model):
    """How many paid bays a zone has (the road authority's count): the denominator of the
    zone's estimated occupancy. Data, not a constant: a town corrects it in the admin."""

    zone = models.OneToOneField(ParkingZone, on_delete=models.CASCADE, primary_key=True,
                                related_name="capacity", verbose_name=_("zone"))
    bays = models.PositiveIntegerField(_("paid bays"), validators=[MinValueValidator(1)])
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("zone capacity")
        verbose_name_plural = _("zone capacities")

    def __str__(self) -> str:
        return f"{self.zone.code}: {self.bays}"


class ZoneOccupancy(models.Model):
    """A zone's average estimated occupancy over the paid hours of a recent period (the map's
    occupancy layer reads it; ``manage.py parking_occupancy`` refreshes it daily)."""

    zone = models.OneToOneField(ParkingZone, on_delete=models.CASCADE, primary_key=True,
                                related_name="occupancy", verbose_name=_("zone"))
    period_from = models.DateField(_("from"))
    period_to = models.DateField(_("to"))
    paid_hours = models.PositiveIntegerField(_("paid hours"))
    occupancy = models.DecimalField(_("average occupancy [%]"), max_digits=6,
                                    decimal_places=1, null=True, blank=True)
    revenue = models.DecimalField(_("operator sessions [zł]"), max_digits=12,
                                  decimal_places=2)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("zone occupancy")
        verbose_name_plural = _("zone occupancies")

    def __str__(self) -> str:
        return f"{self.zone.code}: {self.occupancy} %"
