"""Template filters for numbers, money and areas in the active language (``layers.formats``):
``{{ amount|money }}`` → ``420 000,00 zł``, ``{{ area|area }}`` → ``512,00 m²``,
``{{ value|number:2 }}`` → ``1 274,28``."""

from __future__ import annotations

from typing import Any

from django import template

from layers import formats

register = template.Library()


@register.filter
def money(value: Any) -> str:
    return formats.money(value)


@register.filter
def area(value: Any) -> str:
    return formats.area(value)


@register.filter
def number(value: Any, places: Any = None) -> str:
    return formats.number(value, None if places in (None, "") else int(places))
