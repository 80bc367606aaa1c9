"""Daily job: blank registration numbers kept longer than the retention settings allow."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from registers.parking.retention import purge_plates


class Command(BaseCommand):
    help = ("Blank the registration numbers of parking sessions and closed surcharge notices "
            "past their retention (GEOGMINA_PARKING_SESSION_PLATE_DAYS, "
            "GEOGMINA_PARKING_NOTICE_PLATE_DAYS). Run it daily (cron or a systemd timer).")

    def handle(self, *args, **opts) -> None:
        result = purge_plates()
        self.stdout.write(f"purged {result.sessions} session plates, {result.notices} "
                          f"notice plates and {result.permits} permit and exempt-vehicle "
                          "plates")
