"""Putting a service's `DomainError` onto a Django form, so the page shows each reason next to its field."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from .errors import DomainError


def apply_domain_error(
    form: forms.BaseForm, exc: DomainError, *, field_map: Mapping[str, str] | None = None
) -> None:
    """Add `exc.fields` to the form's fields; unknown names (and an error without fields) become non-field errors.

    `field_map` renames service fields to form fields where they differ, e.g. ``{"branch_ids": "branches"}``.
    Call it after ``form.is_valid()``; the form keeps what the user typed, so re-rendering it shows their values.
    """
    form.errors  # noqa: B018 — makes sure the form was cleaned, so add_error() has cleaned_data to update
    mapping = field_map or {}
    for name, reason in exc.fields.items():
        target = mapping.get(name, name)
        if target in form.fields:
            form.add_error(target, str(reason))
        else:
            form.add_error(None, f"{name}: {reason}")
    if not exc.fields:
        form.add_error(None, exc.message)
