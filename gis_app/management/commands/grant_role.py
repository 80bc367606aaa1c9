"""Grant a user a role in a municipality from the command line (audited).

The first administrator of a town: ``createsuperuser`` makes an account whose admin covers no
town until it holds the administrator role somewhere (gis_app.admin_site); whoever runs
``manage.py`` on the server grants it here. Town administrators grant further roles in the admin.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext_noop

from gis_app.accounts.models import Grant
from gis_app.accounts.roles import Role
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction


class Command(BaseCommand):
    help = "Grant USER the ROLE in the municipality TERYT (e.g. 180501_1); audit-logged."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("teryt")
        parser.add_argument("role", choices=Role.values)

    def handle(self, *args, username: str, teryt: str, role: str, **options):
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        municipality = apps.get_model("layers", "Municipality").objects.filter(
            teryt=teryt).first()
        if municipality is None:
            raise CommandError(f"no municipality with TERYT code {teryt!r} "
                               "(expected e.g. 180501_1; import its cadastre first)")
        with transaction.atomic():
            grant, created = Grant.objects.get_or_create(user=user, municipality=municipality,
                                                         role=role)
            if created:
                audit(None, AuditAction.CREATE, "accounts.grant", grant.pk,
                      municipality_id=municipality.pk,
                      after={"user": user.pk, "username": username, "role": role},
                      detail=Note(gettext_noop("command manage.py %(command)s"),
                                  command="grant_role"))
        self.stdout.write(f"{username}: {role} in {municipality.name} ({teryt})"
                          + ("" if created else " (already held)"))
