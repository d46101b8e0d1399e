import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django_application = get_wsgi_application()

# The caller-id lookup is answered in front of Django; every other request goes to Django as usual.
from regulars.customers.fast_lookup import CallerIdFastPath  # noqa: E402  (needs Django set up)

application = CallerIdFastPath(django_application)
