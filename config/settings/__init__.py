"""Settings modules: base (shared), test, production. Select with DJANGO_SETTINGS_MODULE."""
