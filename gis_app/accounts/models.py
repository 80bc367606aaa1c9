"""Grants: a user holds a role in a municipality."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gis_app.accounts.roles import Role


class Grant(models.Model):
    """One role of one user in one municipality; a user sees only municipalities granted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants",
        verbose_name=_("user"),
    )
    municipality = models.ForeignKey(
        "layers.Municipality", on_delete=models.CASCADE, related_name="grants",
        verbose_name=_("municipality"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality", "role"], name="grant_user_municipality_role_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.municipality_id}"
