"""`regulars apikey create --name NAME | list | revoke ID`: keys for other programs (ERP, e-shop, PBX)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from regulars.org.models import ApiKey
from regulars.org.services import apikey_create, apikey_revoke
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError

ACTOR = Actor.system("cli")


class Command(BaseCommand):
    help = "Create, list and revoke API keys. A new key's secret is printed once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help="Create a key and print its secret once.")
        create.add_argument("--name", required=True, help="Who uses the key, e.g. erp or e-shop.")
        actions.add_parser("list", help="List keys (never their secrets).")
        revoke = actions.add_parser("revoke", help="Revoke a key by its ID.")
        revoke.add_argument("id", type=int, help="The key's ID, as shown by `apikey list`.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                self.create_key(options["name"])
            elif options["action"] == "list":
                self.list_keys()
            else:
                self.revoke_key(options["id"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc

    def create_key(self, name: str) -> None:
        key, secret = apikey_create(actor=ACTOR, name=name)
        self.stderr.write(f"Created API key #{key.pk} {key.name!r}. Its secret is shown only now:")
        self.stdout.write(secret)
        self.stderr.write("Send it as the header `Authorization: Bearer <secret>`.")

    def list_keys(self) -> None:
        keys = list(ApiKey.objects.order_by("pk"))
        if not keys:
            self.stdout.write("No API keys.")
            return
        self.stdout.write(f"{'ID':>4}  {'prefix':<10} {'status':<8} {'created':<17} {'last used':<17} name")
        for key in keys:
            self.stdout.write(
                f"{key.pk:>4}  {key.prefix:<10} {'active' if key.is_active else 'revoked':<8} "
                f"{_when(key.created_at):<17} {_when(key.last_used_at):<17} {key.name}"
            )

    def revoke_key(self, key_id: int) -> None:
        key = apikey_revoke(actor=ACTOR, key_id=key_id)
        self.stdout.write(f"Revoked API key #{key.pk} {key.name!r}.")


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"
