"""Customer-owned rows of the messaging domain, for the merge (see regulars/customers/merging.py): messages
follow their customer to the surviving card."""

from __future__ import annotations

from regulars.customers.merging import CustomerReference

from .models import InboundMessage, Message

REFERENCES = [CustomerReference(Message), CustomerReference(InboundMessage)]
