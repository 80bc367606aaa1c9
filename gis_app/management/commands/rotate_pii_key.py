"""Re-encrypt every stored PESEL under the current GEOGMINA_PII_KEY (key rotation).

The old key comes from the environment variable GEOGMINA_OLD_PII_KEY, never from the command
line (which other users of the machine can read in the process list):

    GEOGMINA_OLD_PII_KEY='<old key>' GEOGMINA_PII_KEY='<new Fernet key>' \\
        manage.py rotate_pii_key

One transaction: every PESEL that decrypts with the old key is encrypted again with the new one;
PESELs already under the new key are left alone (a second run changes nothing); a PESEL that
neither key decrypts stops the run and changes nothing. The new key must pass the deploy check
(gis_app.checks). The run is audit-logged (counts, never a PESEL).
"""

from __future__ import annotations

import os

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext_noop

from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from gis_app.checks import pii_key_problem

OLD_KEY_VARIABLE = "GEOGMINA_OLD_PII_KEY"
BATCH = 1000


class Command(BaseCommand):
    help = (f"Re-encrypt the stored PESELs from the key in ${OLD_KEY_VARIABLE} to "
            "GEOGMINA_PII_KEY, in one transaction.")

    def handle(self, *args, **options):
        from layers.pii import _fernet

        old_key = os.environ.get(OLD_KEY_VARIABLE, "")
        new_key = settings.GEOGMINA_PII_KEY
        if not old_key:
            raise CommandError(f"set {OLD_KEY_VARIABLE} to the key the PESELs are encrypted "
                               "with now (an environment variable, not an argument)")
        problem = pii_key_problem(new_key)
        if problem is not None:
            raise CommandError(f"GEOGMINA_PII_KEY is refused as the new key: {problem}")
        if old_key == new_key:
            raise CommandError("the old and the new key are the same")
        old, new = _fernet(old_key), _fernet(new_key)
        subject = apps.get_model("layers", "Subject")
        rotated = already = 0
        with transaction.atomic():
            rows = subject.objects.filter(pesel_encrypted__isnull=False).only(
                "pk", "pesel_encrypted").order_by("pk")
            batch = []
            for row in rows.iterator(chunk_size=BATCH):
                token = bytes(row.pesel_encrypted)
                try:
                    plain = old.decrypt(token)
                except InvalidToken:
                    try:
                        new.decrypt(token)
                    except InvalidToken:
                        raise CommandError(
                            f"the PESEL of subject {row.pk} decrypts with neither key: "
                            "nothing was changed") from None
                    already += 1
                    continue
                row.pesel_encrypted = new.encrypt(plain)
                batch.append(row)
                rotated += 1
                if len(batch) >= BATCH:
                    subject.objects.bulk_update(batch, ["pesel_encrypted"])
                    batch = []
            if batch:
                subject.objects.bulk_update(batch, ["pesel_encrypted"])
            audit(None, AuditAction.UPDATE, "layers.subject", "",
                  after={"pesel_reencrypted": rotated, "already_under_new_key": already},
                  detail=Note(gettext_noop("command manage.py %(command)s"),
                              command="rotate_pii_key"))
        self.stdout.write(f"{rotated} PESEL(s) re-encrypted under the new key, "
                          f"{already} already under it")
