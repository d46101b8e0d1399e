"""What the card's "Documents" section shows: used by the template tag and by the upload view's fragment."""

from __future__ import annotations

from typing import Any

from regulars.customers.models import Customer
from regulars.org.permissions import has_perm

from .forms import UploadForm
from .selectors import documents_for_customer


def section_context(user: Any, customer: Customer, *, form: UploadForm | None = None,
                    open_form: bool = False) -> dict[str, Any]:
    return {
        "customer": customer,
        "documents": documents_for_customer(user, customer.pk),
        "upload_form": form or UploadForm(),
        "upload_open": open_form,
        "can_attach": has_perm(user, "customers.edit"),
    }
