"""Form validators for identifiers people type: NIP, REGON, PESEL (python-stdnum's check
digits) and land and mortgage register (KW) numbers with their control digit. Each refusal is
a ``ValidationError`` with a message for the officer naming the problem (issue #18: an invalid
NIP ``1234567890`` was accepted)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from layers.domain.identifiers import kw_problem, normalize_kw, tax_id_kind


def clean_tax_id(value: str) -> str:
    """A NIP (10 digits) or REGON (9 or 14 digits), dashes and spaces allowed, with valid check
    digits; returned without the separators. Empty stays empty."""
    text = (value or "").strip()
    if not text:
        return ""
    kind = tax_id_kind(text)
    if kind in ("nip", "regon"):
        return "".join(ch for ch in text if ch.isdigit())
    if kind == "pesel":
        raise ValidationError(
            _("%(value)s is a PESEL number; enter the NIP or REGON here.") % {"value": text},
            code="pesel")
    raise ValidationError(
        _("%(value)s is not a valid NIP (10 digits) or REGON (9 or 14 digits): "
          "the check digit does not match or the length is wrong.") % {"value": text},
        code="tax_id")


def clean_regon(value: str) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    if tax_id_kind(text) != "regon":
        raise ValidationError(
            _("%(value)s is not a valid REGON (9 or 14 digits with a matching check digit).")
            % {"value": text}, code="regon")
    return "".join(ch for ch in text if ch.isdigit())


def clean_pesel(value: str) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    if tax_id_kind(text) != "pesel":
        raise ValidationError(
            _("%(value)s is not a valid PESEL (11 digits with a matching check digit).")
            % {"value": text}, code="pesel")
    return "".join(ch for ch in text if ch.isdigit())


def clean_kw(value: str) -> str:
    """A KW number ``KKKK/NNNNNNNN/C`` with the right control digit, normalised."""
    problem = kw_problem(value or "")
    if problem == "format":
        raise ValidationError(
            _("%(value)s is not a land register (KW) number: expected the form "
              "KS1J/00012345/6.") % {"value": value}, code="kw_format")
    if problem == "check_digit":
        raise ValidationError(
            _("%(value)s: the control digit of the land register (KW) number does not match.")
            % {"value": value}, code="kw_check_digit")
    return normalize_kw(value)
