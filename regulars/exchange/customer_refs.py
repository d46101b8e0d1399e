"""Customer-owned rows of the exchange domain, for the merge (see regulars/customers/merging.py).

Import batches, rejections and exports do not point at a card (the timeline entries an import writes belong to
the customers domain), so there is nothing to move.
"""

from __future__ import annotations

from regulars.customers.merging import CustomerReference

REFERENCES: list[CustomerReference] = []
