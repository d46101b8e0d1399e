"""Settings shared by every environment. Everything that differs per machine comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("REGULARS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# A fixed key is fine for a laptop; production.py refuses to start without a real one.
SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-local-development-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "ninja",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "regulars.platform",
    "regulars.org",
    "regulars.customers",
    "regulars.documents",
    "regulars.exchange",
    "regulars.messaging",
    "regulars.orders",
    "regulars.integrations",
    "regulars.web",
    "regulars.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "regulars.platform.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "regulars.org.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "regulars.web.context.navigation",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'regulars.sqlite3'}")
# No per-request health check: it costs a round trip on every request; a broken connection fails one request
# and is replaced on the next.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# Django turns psycopg's prepared statements off (prepare_threshold=None). A threshold no query text reaches
# leaves Django's queries unprepared as before, while hot queries that ask for it (`execute(..., prepare=True)`,
# the caller-id lookup) are planned once per connection. Behind PgBouncer in transaction mode older than 1.21,
# set REGULARS_DB_PREPARED_STATEMENTS=off.
if (DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
        and os.environ.get("REGULARS_DB_PREPARED_STATEMENTS", "on") != "off"):
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1_000_000
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue instead of failing with "database is locked" half-way through a transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.Staff"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Brute force: five failures for one login from one address lock that pair for 15 minutes.
# Two-factor sign-in (TOTP, django-otp): "required" makes administrators set it up before they can work;
# "optional" lets anyone turn it on in their account. Whoever has it on is always asked for a code.
REGULARS_ADMIN_2FA = os.environ.get("REGULARS_ADMIN_2FA", "required")
OTP_TOTP_ISSUER = "Regulars"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "regulars" / "locale"]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# Documents on cards: a local folder by default; any S3-compatible store when REGULARS_S3_BUCKET is set (needs the
# "s3" extra; keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Files are only ever served through the
# permission-checked /documents/<id>/file view, never by a public URL.
if os.environ.get("REGULARS_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["REGULARS_S3_BUCKET"],
            "endpoint_url": os.environ.get("REGULARS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
REGULARS_DOCUMENT_MAX_BYTES = int(os.environ.get("REGULARS_DOCUMENT_MAX_BYTES", str(20 * 1024 * 1024)))
# Uploads above this size go to a temporary file instead of memory; the document size limit is checked by the service.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Behind a proxy, the client address for the audit log comes from this header when it is trusted.
REGULARS_TRUSTED_PROXY_HEADER = os.environ.get("REGULARS_TRUSTED_PROXY_HEADER", "")
# The region used to read phone numbers written without a country code.
REGULARS_DEFAULT_PHONE_REGION = os.environ.get("REGULARS_DEFAULT_PHONE_REGION", "RU")
# Modules that declare event consumers (see regulars/platform/events.py). Order is the order they run.
REGULARS_EVENT_CONSUMERS = [
    "regulars.customers.consumers",
    "regulars.exchange.consumers",
    "regulars.orders.consumers",
    "regulars.integrations.consumers",
]
# Modules that declare job handlers for the worker (see regulars/platform/jobs.py).
REGULARS_JOB_HANDLERS = [
    "regulars.platform.handlers",
    "regulars.documents.jobs",
    "regulars.exchange.jobs",
    "regulars.messaging.jobs",
    "regulars.orders.jobs",
    "regulars.integrations.jobs",
]
# Modules listing the models that point at a customer (see regulars/customers/merging.py): a merge moves their rows.
REGULARS_CUSTOMER_REFERENCES = [
    "regulars.customers.customer_refs",
    "regulars.documents.customer_refs",
    "regulars.exchange.customer_refs",
    "regulars.messaging.customer_refs",
    "regulars.orders.customer_refs",
    "regulars.integrations.customer_refs",
]
# Sections that later domains add to the customer card, in order (templates taking `customer` and `request`).
REGULARS_CARD_SECTIONS = [
    "orders/_card_orders.html",
    "messaging/_card_messages.html",
    "documents/_card_documents.html",
]
# Imports (regulars/exchange): the largest file accepted, and how many rows one worker job takes.
REGULARS_IMPORT_MAX_BYTES = int(os.environ.get("REGULARS_IMPORT_MAX_BYTES", str(100 * 1024 * 1024)))
REGULARS_IMPORT_CHUNK = int(os.environ.get("REGULARS_IMPORT_CHUNK", "2000"))
# A file of at least this many rows, and at least half as many as there are cards, is loaded in bulk (PostgreSQL):
# chunks of REGULARS_IMPORT_BULK_CHUNK rows, the search index built once at the end.
REGULARS_IMPORT_BULK_ROWS = int(os.environ.get("REGULARS_IMPORT_BULK_ROWS", "100000"))
REGULARS_IMPORT_BULK_CHUNK = int(os.environ.get("REGULARS_IMPORT_BULK_CHUNK", "25000"))
REGULARS_SEARCH_INDEX_BUILD_MEMORY = os.environ.get("REGULARS_SEARCH_INDEX_BUILD_MEMORY", "1GB")
REGULARS_EXPORT_CHUNK = int(os.environ.get("REGULARS_EXPORT_CHUNK", "5000"))
REGULARS_WORKER_LEASE_SECONDS = int(os.environ.get("REGULARS_WORKER_LEASE_SECONDS", "60"))
# E-mail to customers (the "email" provider): SMTP from the environment; a ProviderAccount may override it.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Regulars <noreply@localhost>")
# Due rows the worker claims from domain tables of their own (see regulars/platform/jobs.py: pollers).
# Webhooks may go to private and local addresses only when this is on (integrations/destinations.py).
REGULARS_WEBHOOKS_PRIVATE_OK = env_bool("REGULARS_WEBHOOKS_PRIVATE_OK", False)
REGULARS_WORKER_POLLERS = ["regulars.messaging.dispatch.messages_dispatch_due"]
# Where customers reach this installation (links in messages: one-click unsubscribe).
REGULARS_PUBLIC_URL = os.environ.get("REGULARS_PUBLIC_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
