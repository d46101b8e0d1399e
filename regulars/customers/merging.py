"""The one place that knows which rows belong to a customer, so that a merge moves every one of them.

Each domain lists the models that point at Customer in its own `customer_refs.py` as `REFERENCES`, and the module
is named in settings.REGULARS_CUSTOMER_REFERENCES (the same explicit registration as event consumers and job
handlers). The merge service refuses to run while a model pointing at Customer is not listed, so a new domain
cannot silently lose rows in a merge.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import models

# move(survivor_id, merged_ids) — for rows that cannot simply be repointed (unique per customer, say).
MoveRows = Callable[[int, Sequence[int]], None]


@dataclass(frozen=True)
class CustomerReference:
    """A model with a foreign key to Customer. Without `move`, its rows are repointed with one UPDATE."""

    model: type[models.Model]
    field: str = "customer"
    move: MoveRows | None = None


@cache
def customer_references() -> tuple[CustomerReference, ...]:
    found: list[CustomerReference] = []
    for module_name in settings.REGULARS_CUSTOMER_REFERENCES:
        found.extend(importlib.import_module(module_name).REFERENCES)
    return tuple(found)
