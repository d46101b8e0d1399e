"""The documents part of the REST API: files on a customer card."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from regulars.customers.selectors import customer_get_for_user, viewer_of
from regulars.org.permissions import require
from regulars.platform.actor import Actor

from . import services
from .models import Document
from .selectors import document_get_for_user, documents_for_customer
from .views import file_response

router = Router(tags=["documents"])


class DocumentUrls(Schema):
    file: str
    thumbnail: str | None


class DocumentOut(Schema):
    id: int
    customer_id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    created_at: datetime
    urls: DocumentUrls


def document_json(document: Document) -> dict[str, Any]:
    return {
        "id": document.pk, "customer_id": document.customer_id, "kind": document.kind,
        "original_name": document.original_name, "content_type": document.content_type, "size": document.size,
        "width": document.width, "height": document.height, "created_at": document.created_at,
        "urls": {"file": reverse("api:document_file", args=[document.pk]),
                 "thumbnail": reverse("documents:thumbnail", args=[document.pk]) if document.thumbnail else None},
    }


@router.post("/customers/{customer_id}/documents", response={201: DocumentOut}, summary="Attach a document",
             description="Multipart: `file` (JPEG, PNG, HEIC or PDF, recognised by its content) and `kind` "
                         "(photo, passport, vehicle_registration, driver_licence, prescription, contract, other). "
                         "A file that is not what it claims answers 400 with `fields.file`; too big, 413.")
def attach(request: HttpRequest, customer_id: int, file: File[UploadedFile], kind: Form[str] = "photo") -> Any:
    require(request, "customers.edit")
    customer = customer_get_for_user(viewer_of(request), customer_id)
    document = services.document_attach(actor=Actor.from_request(request), customer_id=customer.pk, upload=file,
                                         kind=kind)
    return Status(201, document_json(document))


@router.get("/customers/{customer_id}/documents", response=list[DocumentOut], summary="List a card's documents")
def list_documents(request: HttpRequest, customer_id: int) -> Any:
    require(request, "customers.view")
    customer = customer_get_for_user(viewer_of(request), customer_id)
    return [document_json(d) for d in documents_for_customer(viewer_of(request), customer.pk)]


@router.get("/documents/{document_id}", response=DocumentOut, summary="Get a document")
def get_document(request: HttpRequest, document_id: int) -> Any:
    require(request, "customers.view")
    return document_json(document_get_for_user(viewer_of(request), document_id))


@router.get("/documents/{document_id}/file", url_name="document_file", summary="Download the file",
            description="The stored bytes with their real content type, `Content-Disposition: inline`.")
def get_file(request: HttpRequest, document_id: int) -> HttpResponseBase:
    require(request, "customers.view")
    document = document_get_for_user(viewer_of(request), document_id)
    return file_response(request, document.pk, thumbnail=False, viewer=viewer_of(request))


@router.delete("/documents/{document_id}", response={204: None}, summary="Archive a document")
def archive(request: HttpRequest, document_id: int) -> Any:
    require(request, "customers.edit")
    document = document_get_for_user(viewer_of(request), document_id)
    services.document_archive(actor=Actor.from_request(request), document_id=document.pk)
    return Status(204, None)
