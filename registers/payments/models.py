"""Payments and arrears of the local taxes: individual accounts, charges, bank statements,
payments, the taxpayer's ledger, reminders, and the yearly numbers they need.

Charges come from tax decisions (the ``taxes.signals.decision_issued`` signal) or from the
liability's instalment plan (``services.post_liability_charges``); payments from bank statements
(MT940, camt.053). The ledger (``LedgerEntry``) is written only by the set-based allocation
(``sql/allocate.sql``) and can be replayed from the charges and payments (``rules.replay``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registers.common.editing import Versioned

_money: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
_digits = RegexValidator(r"^\d+$", _("digits only"))


class InterestRate(models.Model):
    """The yearly late-payment interest rate in force from a day (art. 56 o.p.)."""

    valid_from = models.DateField(_("in force from"), unique=True)
    annual_percent = models.DecimalField(_("yearly rate [%]"), max_digits=6, decimal_places=2,
                                         validators=[MinValueValidator(Decimal("0"))])
    source = models.CharField(_("source / note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("late-payment interest rate")
        verbose_name_plural = _("late-payment interest rates")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.annual_percent} %"


class PaymentParameters(models.Model):
    """Numbers of one year: the interest threshold (art. 54 § 1 pkt 5 o.p.), the cost of a
    reminder (art. 15 § 1 u.p.e.a.) and the days after a reminder before enforcement."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    interest_threshold = models.DecimalField(_("interest threshold [zł]"), **_money)
    reminder_cost = models.DecimalField(_("cost of a reminder [zł]"), **_money)
    enforcement_after_days = models.PositiveSmallIntegerField(
        _("days after a reminder's delivery before enforcement"), default=7)
    note = models.TextField(_("source / note"), blank=True)

    class Meta:
        verbose_name = _("yearly payment parameters")
        verbose_name_plural = _("yearly payment parameters")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class BankSettings(Versioned):
    """The municipality's bank for individual accounts (mikrorachunki)."""

    audit_type = "payments.banksettings"

    municipality = models.OneToOneField("layers.Municipality", on_delete=models.PROTECT,
                                        related_name="payment_bank")
    settlement_number = models.CharField(
        _("bank settlement number"), max_length=8, validators=[_digits],
        help_text=_("8 digits, the last one a check digit (numer rozliczeniowy)"))
    account_prefix = models.CharField(
        _("individual account prefix"), max_length=6, validators=[_digits],
        help_text=_("digits the bank gave the municipality for its individual accounts"))
    collection_account = models.CharField(_("collection account (NRB)"), max_length=26,
                                          blank=True, validators=[_digits])
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bank for individual accounts")
        verbose_name_plural = _("banks for individual accounts")

    def __str__(self) -> str:
        return f"{self.municipality} {self.settlement_number}"


class IndividualAccount(models.Model):
    """A taxpayer's individual account number (NRB, 26 digits): given once, never changed."""

    taxpayer = models.OneToOneField("taxes.Taxpayer", on_delete=models.PROTECT,
                                    related_name="individual_account")
    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+")
    nrb = models.CharField(_("account number (NRB)"), max_length=26, unique=True,
                           validators=[_digits])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("individual account")
        verbose_name_plural = _("individual accounts")
        constraints = [models.CheckConstraint(condition=Q(nrb__regex=r"^[0-9]{26}$"),
                                              name="payments_account_nrb_26_digits")]

    def __str__(self) -> str:
        return self.formatted

    @property
    def formatted(self) -> str:
        n = self.nrb
        return " ".join([n[:2], *[n[i:i + 4] for i in range(2, 26, 4)]])


class Charge(models.Model):
    """What a taxpayer owes on a due date: an instalment of a decision or a reminder's cost.

    ``principal_open``, ``interest_open`` and ``accrued_to`` are the state the allocation keeps
    (see ``rules``); ``posted_seq`` orders charges and payments for the replay.
    """

    class Kind(models.TextChoices):
        INSTALMENT = "instalment", _("instalment")
        REMINDER_COST = "reminder_cost", _("cost of a reminder")

    class TaxKind(models.TextChoices):
        PROPERTY = "property", _("property tax")
        AGRICULTURAL = "agricultural", _("agricultural tax")
        FOREST = "forest", _("forest tax")
        COMBINED = "combined", _("combined liability")

    # Few indexes and room on each page (fillfactor, migration 0002): the allocation updates
    # charges in place (HOT), so an update writes no index entry.
    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", db_index=False)
    taxpayer = models.ForeignKey("taxes.Taxpayer", on_delete=models.PROTECT,
                                 related_name="charges", db_index=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices,
                            default=Kind.INSTALMENT)
    tax_kind = models.CharField(_("tax"), max_length=16, choices=TaxKind.choices,
                                default=TaxKind.PROPERTY)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("instalment"), default=0)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount [zł]"), **_money,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    decision_number = models.CharField(_("decision"), max_length=64, blank=True)
    principal_open = models.DecimalField(_("unpaid [zł]"), **_money)
    interest_open = models.DecimalField(_("unpaid interest [zł]"), default=0, **_money)
    accrued_to = models.DateField(_("interest settled to"))
    posted_seq = models.BigIntegerField(_("order"))
    posted_at = models.DateTimeField(_("posted"), auto_now_add=True)
    reminder = models.ForeignKey("Reminder", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", db_index=False)

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["taxpayer_id", "due_date", "number", "id"]
        indexes = [models.Index(fields=["taxpayer", "due_date"], name="payments_charge_tp_idx"),
                   models.Index(fields=["municipality", "due_date"],
                                name="payments_charge_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(principal_open__gte=0) & Q(interest_open__gte=0)
                                   & Q(principal_open__lte=models.F("amount")),
                                   name="payments_charge_open_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.taxpayer_id} {self.year}/{self.number} {self.due_date} {self.amount}"


class Statement(models.Model):
    """One bank statement as imported (MT940 or camt.053); the same statement twice is
    recognised by its fingerprint and changes nothing."""

    class Format(models.TextChoices):
        MT940 = "mt940", "MT940"
        CAMT053 = "camt053", "ISO 20022 camt.053"

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+")
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    account = models.CharField(_("account"), max_length=34)
    reference = models.CharField(_("statement reference"), max_length=64)
    statement_date = models.DateField(_("statement date"), null=True, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    transactions = models.PositiveIntegerField(_("transactions"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    queued = models.PositiveIntegerField(_("to clarify"), default=0)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at"]
        constraints = [models.UniqueConstraint(fields=["municipality", "fingerprint"],
                                               name="payments_statement_fingerprint_uniq")]

    def __str__(self) -> str:
        return f"{self.account} {self.reference}"


class Payment(Versioned):
    """A credit on the municipality's accounts, matched to a taxpayer or queued to clarify."""

    audit_type = "payments.payment"

    class Status(models.TextChoices):
        QUEUED = "queued", _("to clarify")
        MATCHED = "matched", _("matched, not yet allocated")
        ALLOCATED = "allocated", _("allocated")
        RETURNED = "returned", _("not ours (returned)")

    class MatchedBy(models.TextChoices):
        ACCOUNT = "account", _("individual account")
        TITLE = "title", _("title")
        OFFICER = "officer", _("officer")
        NONE = "", _("not matched")

    # The references are checked per statement by triggers (sql/payment_refs.sql), not by
    # per-row foreign keys: a statement inserts and allocates 100,000 payments at once.
    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", db_index=False, db_constraint=False)
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="payments",
                                  null=True, blank=True, db_constraint=False)
    line = models.PositiveIntegerField(_("line"), default=0)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    booked_on = models.DateField(_("booked on"))
    amount = models.DecimalField(_("amount [zł]"), **_money,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    payer_name = models.CharField(_("payer"), max_length=300, blank=True)
    payer_account = models.CharField(_("payer's account"), max_length=34, blank=True)
    title = models.TextField(_("title"), blank=True)
    accounts = models.TextField(_("account numbers in the transaction"), blank=True)
    named_number = models.PositiveSmallIntegerField(_("instalment named"), null=True,
                                                    blank=True)
    named_year = models.PositiveSmallIntegerField(_("year named"), null=True, blank=True)
    named_charge = models.ForeignKey(Charge, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("liability named"),
                                     db_index=False, db_constraint=False)
    title_keys = models.TextField(_("identifiers in the title"), blank=True)
    taxpayer = models.ForeignKey("taxes.Taxpayer", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="payments",
                                 db_index=False, db_constraint=False)
    matched_by = models.CharField(_("matched by"), max_length=8, choices=MatchedBy.choices,
                                  blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    allocated_seq = models.BigIntegerField(_("order"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-booked_on", "id"]
        indexes = [models.Index(fields=["taxpayer", "booked_on"], name="payments_payment_tp_idx"),
                   models.Index(fields=["municipality", "status"],
                                condition=Q(status__in=["queued", "matched"]),
                                name="payments_payment_open_idx")]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "fingerprint"],
                                    name="payments_payment_fingerprint_uniq"),
            models.CheckConstraint(condition=~Q(status__in=["matched", "allocated"])
                                   | Q(taxpayer__isnull=False),
                                   name="payments_payment_allocated_has_taxpayer"),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.payer_name}"


class LedgerEntry(models.Model):
    """One step of a payment's allocation (``rules.Step``), in the taxpayer's ledger."""

    class Kind(models.TextChoices):
        INTEREST_ACCRUED = "interest_accrued", _("late-payment interest")
        PAID_COST = "paid_cost", _("paid: reminder cost")
        PAID_INTEREST = "paid_interest", _("paid: interest")
        PAID_PRINCIPAL = "paid_principal", _("paid: tax")
        OVERPAYMENT = "overpayment", _("overpayment")
        OVERPAYMENT_CREDITED = "overpay_credit", _("overpayment credited")

    # The references are checked per statement by triggers (sql/ledger_refs.sql), not by
    # per-row foreign keys: the allocation writes hundreds of thousands of entries at once.
    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+", db_index=False, db_constraint=False)
    taxpayer = models.ForeignKey("taxes.Taxpayer", on_delete=models.PROTECT,
                                 related_name="ledger", db_index=False, db_constraint=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="steps",
                                db_index=False, db_constraint=False)
    charge = models.ForeignKey(Charge, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="steps", db_constraint=False)
    on_date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount [zł]"), **_money)
    seq = models.BigIntegerField(_("order"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["taxpayer_id", "seq", "id"]
        indexes = [models.Index(fields=["taxpayer", "seq"], name="payments_ledger_tp_idx"),
                   # the overpayments kept (art. 76): few rows, read at every import
                   models.Index(fields=["municipality", "taxpayer"],
                                condition=Q(kind__in=["overpayment", "overpay_credit"]),
                                name="payments_ledger_overpay_idx")]

    def __str__(self) -> str:
        return f"{self.on_date} {self.kind} {self.amount}"


class Reminder(Versioned):
    """An upomnienie for an overdue instalment (art. 15 § 1 u.p.e.a.) and its cost; the
    officer records its delivery (the only change in place, on the version it was shown at)."""

    audit_type = "payments.reminder"

    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="+")
    taxpayer = models.ForeignKey("taxes.Taxpayer", on_delete=models.PROTECT,
                                 related_name="reminders")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="reminders")
    number = models.CharField(_("number"), max_length=64)
    issued_on = models.DateField(_("issued on"))
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    arrears = models.DecimalField(_("arrears [zł]"), **_money)
    interest = models.DecimalField(_("interest to the day of issue [zł]"), **_money)
    cost = models.DecimalField(_("cost [zł]"), **_money)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-issued_on", "id"]
        constraints = [models.UniqueConstraint(fields=["municipality", "number"],
                                               name="payments_reminder_number_uniq")]

    def __str__(self) -> str:
        return self.number
