"""Paid-parking tariffs per zone and period, subscriptions, and the minimum wage by year."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from layers.models import ParkingZone
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
    surcharge_reduced = _money(_("surcharge paid within 7 days [zł]"), null=True, blank=True)
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
