"""Local use (`make run`): the defaults of base.py with DEBUG on unless the environment says otherwise."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
# The demo's administrator signs in with a password alone unless told otherwise; production requires a second factor.
REGULARS_ADMIN_2FA = os.environ.get("REGULARS_ADMIN_2FA", "optional" if DEBUG else "required")
# Without a mail server configured, e-mail to customers is printed by the worker instead of failing.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# A developer's receivers run on this machine.
REGULARS_WEBHOOKS_PRIVATE_OK = env_bool("REGULARS_WEBHOOKS_PRIVATE_OK", True)
