"""Daily job: each zone's average occupancy over the last days' paid hours, for the map."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from registers.parking.occupancy import refresh_zone_occupancy


class Command(BaseCommand):
    help = ("Store each paid-parking zone's estimated occupancy over the paid hours of the last "
            "7 full days (the map's occupancy layer). Run it daily after midnight (cron or a "
            "systemd timer), like purge_parking_plates.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, days: int, **opts) -> None:
        n = refresh_zone_occupancy(days=days)
        self.stdout.write(f"occupancy of {n} zones over the last {days} days stored")
