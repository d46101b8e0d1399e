"""A logged-in session made directly in the database: the fallback when the login form cannot be used.

It is what Django's test client `force_login` does. The harness runs Django with the server's SECRET_KEY, so the
server accepts the session (both the session data and the auth hash in it are signed with that key).
"""

from __future__ import annotations

from importlib import import_module


def session_cookie(username: str) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    user = get_user_model().objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
