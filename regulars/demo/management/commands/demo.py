"""`regulars demo`: load the demo auto-service network into an empty database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from regulars.customers.models import Customer
from regulars.demo import LOGINS
from regulars.demo.seed import seed


class Command(BaseCommand):
    help = "Load the demo auto-service network (3 branches, 12 staff, 2,000 customers) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=2000, help="how many customers (default 2000)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when customers already exist")

    def handle(self, *args: Any, **options: Any) -> None:
        if Customer.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has customers: the demo is not loaded again.")
                return
            raise CommandError("The database already has customers; the demo loads only into an empty one.")
        self.stdout.write(f"Loading the demo network with {options['customers']} customers…")
        counts = seed(customers_count=options["customers"], stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            "Demo loaded: {branches} branches, {staff} staff, {customers} customers, {vehicles} vehicles, "
            "{events} calls and visits in {seconds} s.".format(**counts)))
        for login, password, who in LOGINS:
            self.stdout.write(f"  {login:<10} {password}  ({who})")
