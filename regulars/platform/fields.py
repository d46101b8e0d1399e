"""Model fields without business words."""

from __future__ import annotations

from typing import Any

from django.db import models


class BulkJSONField(models.JSONField):  # type: ignore[type-arg]
    """A JSONField that many-row INSERTs send as one parameter per value.

    Django 5.2's PostgreSQL bulk_create passes each column as one array (`UNNEST(%s::jsonb[])`); psycopg then writes
    every JSON document into an array literal, escaping each quote with a regular expression — a quarter of the
    Python time of a batch of order statuses. A field with `get_placeholder` keeps the plain VALUES form. It
    deconstructs as a JSONField: the column, the migrations and the behaviour are exactly a JSONField's."""

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs
