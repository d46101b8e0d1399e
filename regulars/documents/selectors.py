"""Reads of the documents domain, with the reader's permissions applied."""

from __future__ import annotations

from typing import IO, Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import Http404

from regulars.customers.models import Customer
from regulars.customers.selectors import customers_visible_to

from .models import Document


def documents_visible_to(viewer: Any) -> QuerySet[Document]:
    """Documents of the cards this viewer may see (`customers.view`, or an active API key); archived ones hidden."""
    return Document.objects.filter(customer__in=customers_visible_to(viewer), archived_at__isnull=True)


def documents_for_customer(viewer: Any, customer_id: int) -> list[Document]:
    return list(documents_visible_to(viewer).filter(customer_id=customer_id).order_by("created_at", "id"))


def document_get_for_user(viewer: Any, document_id: int) -> Document:
    """The document, or Http404 (the same answer for 'missing', 'archived' and 'not yours')."""
    document = documents_visible_to(viewer).select_related("customer").filter(pk=document_id).first()
    if document is None:
        raise Http404("No such document")
    return document


def document_open(document: Document, *, thumbnail: bool = False) -> IO[bytes]:
    """The stored bytes of the file (or of its thumbnail) for the permission-checked file view."""
    field = document.thumbnail if thumbnail and document.thumbnail else document.file
    name = field.name if field else None
    if not name or not default_storage.exists(name):
        raise Http404("File missing")
    return default_storage.open(name, "rb")


def to_complete_queue(viewer: Any, *, branch_id: int | None = None) -> QuerySet[Customer]:
    """Cards started from documents and not yet filled in, oldest first."""
    qs = customers_visible_to(viewer).filter(status=Customer.Status.TO_COMPLETE)
    if branch_id:
        qs = qs.filter(home_branch_id=branch_id)
    return qs.select_related("home_branch").order_by("created_at", "id")


def next_to_complete(viewer: Any, *, after: Customer, branch_id: int | None = None) -> Customer | None:
    """The next card of the queue after this one (or the oldest one if it was the last)."""
    queue = to_complete_queue(viewer, branch_id=branch_id).exclude(pk=after.pk)
    return queue.filter(created_at__gte=after.created_at).exclude(
        created_at=after.created_at, id__lt=after.pk).first() or queue.first()
