"""Field labels for the audit viewer: which model an audited ``object_type`` is.

Audit snapshots are keyed by field name (stable whatever language the officer works in); the
viewer shows each key by its field's label. The registers' models register themselves here
(``registers.common.editing.Versioned`` does it for every model naming an ``audit_type``): the
audit app sits below the registers and never imports them.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

_MODELS: dict[str, type] = {}


def register(object_type: str, model: type) -> None:
    _MODELS[object_type] = model


def model_of(object_type: str) -> type | None:
    """The registered model, or the model whose ``app_label.model`` the type is (the Django
    admin's audit trail names its events so)."""
    model = _MODELS.get(object_type)
    if model is None and object_type.count(".") == 1:
        with suppress(LookupError, ValueError):
            model = apps.get_model(object_type)
    return model


def field_labels(object_type: str, names: Any) -> dict[str, str]:
    """{field name: its label} for the names the model of ``object_type`` has (others keep
    their name)."""
    model = model_of(object_type)
    out = {}
    for name in names:
        label = name
        if model is not None:
            with suppress(FieldDoesNotExist):
                label = str(model._meta.get_field(name).verbose_name)
        out[name] = label
    return out


def labelled(object_type: str, data: Any) -> Any:
    """A snapshot with its keys replaced by their labels (anything else as it is)."""
    if not isinstance(data, dict):
        return data
    labels = field_labels(object_type, data)
    return {labels[k]: v for k, v in data.items()}
