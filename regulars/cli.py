"""The `regulars` console script: Django's management commands plus our own (serve, worker, demo, apikey)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "manage":  # `regulars manage migrate` reads like `manage.py migrate`
        args = args[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["regulars", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
