"""The test suite: fast hashing, the database from DATABASE_URL (a SQLite file under var/ by default).

A file, not :memory:, because the worker tests start real worker processes that must see the same database.
"""

import os

import dj_database_url

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # One file per test process: two suites running at once on one machine must not share a database.
    _sqlite = VAR_DIR / f"test-regulars-{os.getpid()}.sqlite3"
    DATABASES["default"].update(dj_database_url.parse(f"sqlite:///{_sqlite}"))
    DATABASES["default"]["TEST"] = {"NAME": str(_sqlite)}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# The stand-in receivers listen on 127.0.0.1; test_destinations.py turns the guard on.
REGULARS_WEBHOOKS_PRIVATE_OK = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "en"
AXES_FAILURE_LIMIT = 5
# Tests sign administrators in with force_login; the two-factor tests turn the requirement on themselves.
REGULARS_ADMIN_2FA = "optional"
