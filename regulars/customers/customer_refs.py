"""Customer-owned rows of the customers domain, for the merge (see merging.py). Filled in by the merge work."""

from __future__ import annotations

from .merging import CustomerReference

REFERENCES: list[CustomerReference] = []
