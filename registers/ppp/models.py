"""The PPP pipeline: a project on municipal plots, its stages' documents and deadlines, the
preliminary assessment's worksheet (yearly cash flows and the risk matrix) and, in operation,
the partner's obligations and the municipality's payments.

Records point at plots by ``cadastral_id`` like the other registers; the project's area is the
union of its plots (taken again on each save).
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layers.domain.srid import STORAGE_SRID
from registers.common.editing import Versioned
from registers.leases.models import INDEXATION_CHOICES, RENT_PERIOD_CHOICES
from registers.leases.rules import Indexation, RentPeriod
from registers.ppp import parameters
from registers.ppp.rules import Bearer, Frequency, Stage

STAGE_CHOICES = [(Stage.IDEA.value, _("idea")),
                 (Stage.ASSESSMENT.value, _("preliminary assessment")),
                 (Stage.SELECTION.value, _("partner selection")),
                 (Stage.CONTRACT.value, _("contract")),
                 (Stage.OPERATION.value, _("operation")),
                 (Stage.CLOSED.value, _("closed"))]
BEARER_CHOICES = [(Bearer.PUBLIC.value, _("municipality")),
                  (Bearer.PARTNER.value, _("partner")),
                  (Bearer.SHARED.value, _("shared"))]
FREQUENCY_CHOICES = [(Frequency.ONCE.value, _("once")),
                     (Frequency.MONTHLY.value, _("monthly")),
                     (Frequency.QUARTERLY.value, _("quarterly")),
                     (Frequency.YEARLY.value, _("yearly"))]


class PppProject(Versioned):
    """A public-private partnership project on one or more municipal plots."""

    audit_type = "ppp_project"

    class Route(models.TextChoices):
        PROCUREMENT = "procurement", _("PPP act with the public procurement act")
        CONCESSION = "concession", _("PPP act with the concession act")

    class Source(models.TextChoices):
        OFFER = "offer", _("investment offer")
        PROPERTY = "property", _("property register")

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("municipality"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    cadastral_ids = ArrayField(models.CharField(max_length=64), verbose_name=_("plots"))
    source = models.CharField(_("plots from"), max_length=16, choices=Source.choices,
                              default=Source.PROPERTY)
    offer = models.ForeignKey("leases.InvestmentOffer", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("investment offer"))
    geom = models.MultiPolygonField(_("area"), srid=STORAGE_SRID, spatial_index=False)
    stage = models.CharField(_("stage"), max_length=16, choices=STAGE_CHOICES,
                             default=Stage.IDEA.value)
    route = models.CharField(_("selection route"), max_length=16, choices=Route.choices,
                             blank=True)
    open_for_partners = models.BooleanField(
        _("open for partners"), default=False,
        help_text=_("shown on the public front desk and map with its contact"))
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    partner_name = models.CharField(_("private partner"), max_length=300, blank=True)
    partner_tax_id = models.CharField(_("partner NIP / REGON"), max_length=20, blank=True)
    contract_number = models.CharField(_("contract number"), max_length=64, blank=True)
    contract_date = models.DateField(_("contract date"), null=True, blank=True)
    operation_start = models.DateField(_("operation from"), null=True, blank=True)
    operation_end = models.DateField(_("operation until"), null=True, blank=True)
    payment_amount = models.DecimalField(
        _("municipality's payment (net) per period"), max_digits=14, decimal_places=2,
        default=0, help_text=_("the availability payment of the contract"))
    payment_period = models.CharField(_("payment period"), max_length=16,
                                      choices=RENT_PERIOD_CHOICES,
                                      default=RentPeriod.MONTHLY.value)
    vat_rate = models.DecimalField(_("VAT rate [%]"), max_digits=5, decimal_places=2, default=23)
    indexation = models.CharField(_("indexation"), max_length=8, choices=INDEXATION_CHOICES,
                                  default=Indexation.CPI.value)
    # the preliminary assessment's parameters (the worksheet's years are PppCashflow rows)
    discount_rate = models.DecimalField(
        _("discount rate"), max_digits=6, decimal_places=4,
        default=parameters.DEFAULT_DISCOUNT_RATE,
        help_text=_("a fraction: 0.05 = 5 % (a parameter of the project, not of the law)"))
    public_keeps_user_fees = models.BooleanField(
        _("the municipality keeps the user fees in the PPP variant"), default=False)
    construction_bearer = models.CharField(_("construction risk borne by"), max_length=8,
                                           choices=BEARER_CHOICES, default=Bearer.PARTNER.value)
    availability_bearer = models.CharField(_("availability risk borne by"), max_length=8,
                                           choices=BEARER_CHOICES, default=Bearer.PARTNER.value)
    demand_bearer = models.CharField(_("demand risk borne by"), max_length=8,
                                     choices=BEARER_CHOICES, default=Bearer.PUBLIC.value)
    public_share = models.DecimalField(
        _("municipality's share of a shared risk"), max_digits=4, decimal_places=3,
        default=parameters.DEFAULT_PUBLIC_SHARE)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("PPP project")
        verbose_name_plural = _("PPP projects")
        ordering = ["municipality_id", "title", "id"]
        indexes = [GistIndex(fields=["geom"], name="ppp_project_geom_gist")]
        constraints = [
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="ppp_project_geom_valid"),
            models.CheckConstraint(condition=~Q(cadastral_ids=[]), name="ppp_project_has_plots"),
            models.CheckConstraint(condition=Q(payment_amount__gte=0),
                                   name="ppp_project_payment_nonnegative"),
            models.CheckConstraint(condition=Q(discount_rate__gt=-1),
                                   name="ppp_project_rate_above_minus_one"),
            models.CheckConstraint(condition=Q(public_share__gte=0) & Q(public_share__lte=1),
                                   name="ppp_project_share_0_1"),
            models.CheckConstraint(condition=Q(operation_end__isnull=True)
                                   | Q(operation_start__isnull=True)
                                   | Q(operation_end__gte=models.F("operation_start")),
                                   name="ppp_project_operation_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.title


class PppCashflow(models.Model):
    """One year of the preliminary assessment's worksheet (year 0 = the first year), in zł: a
    part of its project (the project's version locks the worksheet)."""

    project = models.ForeignKey(PppProject, on_delete=models.CASCADE, related_name="cashflows")
    year_index = models.PositiveSmallIntegerField(_("year"))
    capex = models.DecimalField(_("capital costs"), max_digits=14, decimal_places=2, default=0)
    opex = models.DecimalField(_("operating costs"), max_digits=14, decimal_places=2, default=0)
    user_fees = models.DecimalField(_("user fees"), max_digits=14, decimal_places=2, default=0)
    availability_payment = models.DecimalField(_("availability payment"), max_digits=14,
                                               decimal_places=2, default=0)
    public_contribution = models.DecimalField(_("public contribution"), max_digits=14,
                                              decimal_places=2, default=0)
    risk_construction = models.DecimalField(_("construction risk value"), max_digits=14,
                                            decimal_places=2, default=0)
    risk_availability = models.DecimalField(_("availability risk value"), max_digits=14,
                                            decimal_places=2, default=0)
    risk_demand = models.DecimalField(_("demand risk value"), max_digits=14, decimal_places=2,
                                      default=0)

    class Meta:
        verbose_name = _("assessment year")
        verbose_name_plural = _("assessment years")
        ordering = ["project_id", "year_index"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year_index"],
                                    name="ppp_cashflow_year_uniq"),
            models.CheckConstraint(
                condition=Q(capex__gte=0) & Q(opex__gte=0) & Q(user_fees__gte=0)
                & Q(availability_payment__gte=0) & Q(public_contribution__gte=0)
                & Q(risk_construction__gte=0) & Q(risk_availability__gte=0)
                & Q(risk_demand__gte=0), name="ppp_cashflow_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.year_index}"

    def versioned_whole(self) -> PppProject:
        return self.project


class PppMilestone(models.Model):
    """A document or deadline of a stage: what is due by when, done when, under which
    reference (the document's sign, e.g. the council's resolution or the notice in the
    Public Procurement Bulletin)."""

    project = models.ForeignKey(PppProject, on_delete=models.CASCADE, related_name="milestones")
    stage = models.CharField(_("stage"), max_length=16, choices=STAGE_CHOICES)
    title = models.CharField(_("document or step"), max_length=200)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    due_on = models.DateField(_("deadline"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("stage document or deadline")
        verbose_name_plural = _("stage documents and deadlines")
        ordering = ["project_id", "due_on", "id"]

    def __str__(self) -> str:
        return self.title

    def versioned_whole(self) -> PppProject:
        return self.project


class PppObligation(models.Model):
    """A dated obligation of the contract in operation: the partner's (a report, insurance,
    maintenance) or the municipality's (a payment besides the availability payment)."""

    class Party(models.TextChoices):
        PARTNER = "partner", _("partner")
        MUNICIPALITY = "municipality", _("municipality")

    project = models.ForeignKey(PppProject, on_delete=models.CASCADE, related_name="obligations")
    party = models.CharField(_("who"), max_length=16, choices=Party.choices,
                             default=Party.PARTNER)
    title = models.CharField(_("obligation"), max_length=200)
    frequency = models.CharField(_("frequency"), max_length=16, choices=FREQUENCY_CHOICES,
                                 default=Frequency.YEARLY.value)
    first_due = models.DateField(_("first due on"))
    last_due = models.DateField(_("last due on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contract obligation")
        verbose_name_plural = _("contract obligations")
        ordering = ["project_id", "first_due", "id"]
        constraints = [models.CheckConstraint(
            condition=Q(last_due__isnull=True) | Q(last_due__gte=models.F("first_due")),
            name="ppp_obligation_last_after_first")]

    def __str__(self) -> str:
        return self.title

    def versioned_whole(self) -> PppProject:
        return self.project
