"""How many SQL queries one lookup and one list page run, counted in-process with Django's test client.

A cheap explanation of the gap to raw SQL: each query is a round trip plus ORM work. The count is taken on the
second request of each kind, so one-off work (the API key's last_used_at touch, caches) does not inflate it.
"""

from __future__ import annotations

from typing import Any

from . import config
from .httpbench import LIST_PATH, LOOKUP_PATH


def query_counts(api_key: str, phone: str, term: str) -> dict[str, dict[str, Any]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def count(client: Client, path: str, data: dict[str, str], **headers: str) -> dict[str, Any]:
        try:
            client.get(path, data, **headers)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path, data, **headers)
        except Exception as exc:  # a view still being written must not stop the benchmark
            return {"error": f"{type(exc).__name__}: {exc}"}
        if response.status_code != 200:
            return {"error": f"status {response.status_code}"}
        return {"count": len(ctx.captured_queries), "sql": [q["sql"] for q in ctx.captured_queries]}

    out = {"lookup": count(Client(), LOOKUP_PATH, {"phone": phone}, HTTP_AUTHORIZATION=f"Bearer {api_key}")}
    browser = Client()
    user = get_user_model().objects.get(username=config.STAFF_USERNAME)
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    out["list"] = count(browser, LIST_PATH, {"q": term})
    return out


# Where the application's time goes, by the package the profiled function lives in (first match wins).
_BUCKETS = [
    # libpq's blocking calls are not profiled on their own: the round trips land in psycopg's functions.
    ("psycopg: sending queries, waiting for PostgreSQL, reading rows", ("/psycopg/", "/psycopg_binary/")),
    ("Django ORM (building SQL, making model instances)", ("/django/db/",)),
    ("django-ninja and pydantic (parameters, serialisation)", ("/ninja/", "/pydantic/", "/pydantic_core/")),
    ("axes, django-htmx, whitenoise middleware", ("/axes/", "/django_htmx/", "/whitenoise/")),
    ("Django request handling, middleware, templates", ("/django/",)),
    ("Regulars code", ("/regulars/", "/config/")),
]


def _bucket(filename: str) -> str:
    for label, needles in _BUCKETS:
        if any(needle in filename for needle in needles):
            return label
    return "builtins and other libraries (called from all of the above)"


def profile(path: str, data_list: list[dict[str, str]], *, user: Any = None, **headers: str) -> dict[str, Any]:
    """Time `path` in-process (Django's test client, one thread), then profile it and split its own time by
    package. The profile inflates call-heavy code a little, so the split is a guide, not a measurement."""
    import cProfile
    import pstats
    import time

    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    half = len(data_list) // 2
    for data in data_list[:10]:
        client.get(path, data, **headers)
    started = time.perf_counter()
    for data in data_list[:half]:
        client.get(path, data, **headers)
    ms_per_request = (time.perf_counter() - started) * 1000 / max(1, half)
    profiler = cProfile.Profile()
    profiler.enable()
    for data in data_list[half:]:
        client.get(path, data, **headers)
    profiler.disable()
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in pstats.Stats(profiler).stats.items():  # type: ignore
        bucket = _bucket(filename)
        totals[bucket] = totals.get(bucket, 0.0) + own
    whole = sum(totals.values()) or 1.0
    shares = sorted(((label, t / whole) for label, t in totals.items()), key=lambda x: -x[1])
    return {"ms_per_request": ms_per_request, "shares": shares}


def profiles(api_key: str, phones: list[str], terms: list[str], *, lookup: bool, list_page: bool,
             ) -> dict[str, Any]:
    """Profiles of the endpoints that exist (`lookup`, `list_page`)."""
    from django.contrib.auth import get_user_model

    out: dict[str, Any] = {}
    try:
        if lookup:
            out["lookup"] = profile(LOOKUP_PATH, [{"phone": p} for p in phones[:400]],
                                    HTTP_AUTHORIZATION=f"Bearer {api_key}")
        if list_page:
            user = get_user_model().objects.get(username=config.STAFF_USERNAME)
            out["list"] = profile(LIST_PATH, [{"q": t} for t in terms[:60]], user=user)
    except Exception as exc:  # diagnostics must never sink the run
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out
