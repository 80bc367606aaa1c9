"""Create a payment operator (or give it a new token) and print the token once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from layers.models import Municipality
from registers.parking import operators
from registers.parking.models import Operator


class Command(BaseCommand):
    help = ("Create a parking payment operator serving the given municipalities (TERYT), or "
            "with --rotate give an existing one a new token. The token is printed once; only "
            "its hash is stored.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--municipality", action="append", default=[],
                            help="TERYT of a municipality served (repeat for more)")
        parser.add_argument("--channel", choices=[c.value for c in Operator.Channel],
                            default=Operator.Channel.APP.value,
                            help="app (mobile payment) or meter (parking meters): the revenue "
                                 "report's channel")
        parser.add_argument("--rotate", action="store_true",
                            help="replace the token of an existing operator")

    def handle(self, *args, name: str, municipality: list[str], rotate: bool, channel: str,
               **opts) -> None:
        if rotate:
            op = Operator.objects.filter(name=name).first()
            if op is None:
                raise CommandError(f"no operator named {name!r}")
            self.stdout.write(operators.operator_rotate_token(op))
            return
        if not municipality:
            raise CommandError("give at least one --municipality TERYT")
        towns = list(Municipality.objects.filter(teryt__in=municipality))
        missing = set(municipality) - {t.teryt for t in towns}
        if missing:
            raise CommandError(f"unknown municipality TERYT: {', '.join(sorted(missing))}")
        if Operator.objects.filter(name=name).exists():
            raise CommandError(f"an operator named {name!r} exists; use --rotate")
        _op, token = operators.operator_create(name, towns, channel=channel)
        self.stdout.write(token)
