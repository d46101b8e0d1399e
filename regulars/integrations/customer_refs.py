"""Customer-owned rows of the integrations domain, for the merge (see regulars/customers/merging.py): events a
program reported follow their customer to the surviving card."""

from __future__ import annotations

from regulars.customers.merging import CustomerReference

from .models import ReceivedEvent

REFERENCES = [CustomerReference(ReceivedEvent)]
