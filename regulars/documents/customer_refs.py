"""Customer-owned rows of the documents domain: a merge moves every document to the surviving card."""

from __future__ import annotations

from regulars.customers.merging import CustomerReference

from .models import Document

REFERENCES = [CustomerReference(model=Document)]
