"""Write use cases of the documents domain: attach and archive files, start a card from documents, complete it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.customers import services as customer_services
from regulars.customers.models import ContactKind, Customer
from regulars.org.models import Branch
from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.errors import Conflict, NotFound, ValidationFailed
from regulars.platform.events import publish

from .files import Sniffed, make_thumbnail, sniff
from .models import Document, Kind

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


class TooLarge(ValidationFailed):
    """A file over REGULARS_DOCUMENT_MAX_BYTES: 413 in the API, a form error on a page."""

    status = 413
    code = "too_large"


def max_bytes() -> int:
    return int(getattr(settings, "REGULARS_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _human(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _checked(upload: Any, kind: str) -> tuple[bytes, Sniffed]:
    """Read and check one upload. Nothing is stored until every check passed."""
    if kind not in Kind.values:
        raise ValidationFailed(_("Unknown document kind"), fields={"kind": _("one of %(kinds)s") % {
            "kinds": ", ".join(Kind.values)}})
    if upload is None:
        raise ValidationFailed(_("No file"), fields={"file": _("choose a file")})
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise TooLarge(_("File too large"), fields={"file": _("the file is larger than %(limit)s") % {
            "limit": _human(limit)}})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(_("File too large"), fields={"file": _("the file is larger than %(limit)s") % {
            "limit": _human(limit)}})
    if not data:
        raise ValidationFailed(_("Empty file"), fields={"file": _("the file is empty")})
    sniffed = sniff(data)
    if sniffed is None:
        raise ValidationFailed(_("Unsupported file"), fields={
            "file": _("not a JPEG, PNG, HEIC or PDF file (its content was checked, not its name)")})
    return data, sniffed


@contextmanager
def _storage_cleanup() -> Iterator[list[str]]:
    """Collects the names written to storage; if the service fails afterwards, removes them again."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise


def _store(customer: Customer, data: bytes, sniffed: Sniffed, *, kind: str, original_name: str, actor: Actor,
           written: list[str]) -> Document:
    document = Document(
        customer=customer, kind=kind, original_name=(original_name or "")[:255], content_type=sniffed.content_type,
        size=len(data), width=sniffed.width, height=sniffed.height, uploaded_by_id=actor.user_id,
        created_at=timezone.now(),
    )
    document.file.save(f"upload.{sniffed.extension}", ContentFile(data), save=False)
    written.append(str(document.file.name))
    if sniffed.content_type != "application/pdf":
        document.thumbnail.save("thumb.jpg", ContentFile(make_thumbnail(data)), save=False)
        written.append(str(document.thumbnail.name))
    document.save()
    summary = document.original_name or str(Kind(kind).label)
    publish("document.attached", subject_type="customer", subject_id=customer.pk, actor=actor,
            payload={"customer_id": customer.pk, "summary": summary, "branch_id": customer.home_branch_id,
                     "document_id": document.pk, "kind": kind})
    audit_record(actor=actor, action="document.attach", object_type="customer", object_id=customer.pk,
                 object_label=customer.full_name,
                 changes={"document": [None, {"id": document.pk, "kind": kind, "name": document.original_name,
                                              "content_type": document.content_type, "size": document.size}]})
    return document


def _customer(customer_id: int) -> Customer:
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None or customer.status == Customer.Status.MERGED:
        raise NotFound(_("No such customer"), fields={"customer_id": _("not found")})
    return customer


def document_attach(*, actor: Actor, customer_id: int, upload: Any, kind: str) -> Document:
    """Attach one file to the card. The type is decided by the content; a bad file stores nothing."""
    data, sniffed = _checked(upload, kind)
    with _storage_cleanup() as written, transaction.atomic():
        customer = _customer(customer_id)
        return _store(customer, data, sniffed, kind=kind, original_name=getattr(upload, "name", ""),
                      actor=actor, written=written)


@transaction.atomic
def document_archive(*, actor: Actor, document_id: int) -> Document:
    """Soft delete: the file stays in storage for the audit trail, the card no longer shows it."""
    document = Document.objects.select_for_update().select_related("customer").filter(
        pk=document_id, archived_at__isnull=True).first()
    if document is None:
        raise NotFound(_("No such document"), fields={"document_id": _("not found")})
    document.archived_at = timezone.now()
    document.save(update_fields=["archived_at"])
    customer = document.customer
    publish("document.archived", subject_type="customer", subject_id=customer.pk, actor=actor,
            payload={"customer_id": customer.pk, "summary": document.original_name or Kind(document.kind).label,
                     "branch_id": customer.home_branch_id, "document_id": document.pk, "kind": document.kind})
    audit_record(actor=actor, action="document.archive", object_type="customer", object_id=customer.pk,
                 object_label=customer.full_name, changes={"document": [document.pk, None]})
    return document


def customer_from_documents(*, actor: Actor, branch_id: int | None, uploads: Sequence[tuple[Any, str]]) -> Customer:
    """Start a card in state "to complete" from photos of documents; back-office staff fill it in later."""
    errors: dict[str, str] = {}
    if branch_id is None or not Branch.objects.filter(pk=branch_id).exists():
        errors["branch"] = _("choose a branch")
    if not uploads:
        errors["files"] = _("add at least one photo")
    checked: list[tuple[bytes, Sniffed, str, str]] = []
    for i, (upload, kind) in enumerate(uploads):
        try:
            data, sniffed = _checked(upload, kind)
        except ValidationFailed as exc:
            name = getattr(upload, "name", "") or f"#{i + 1}"
            errors["files"] = f"{name}: {'; '.join(str(r) for r in exc.fields.values())}"
            if isinstance(exc, TooLarge):
                raise TooLarge(exc.message, fields={**errors, "files": errors["files"]}) from exc
            continue
        checked.append((data, sniffed, kind, getattr(upload, "name", "")))
    if errors:
        raise ValidationFailed(_("Invalid documents"), fields=errors)
    with _storage_cleanup() as written, transaction.atomic():
        branch = Branch.objects.get(pk=int(branch_id or 0))
        now = timezone.now()
        customer = Customer.objects.create(status=Customer.Status.TO_COMPLETE, home_branch=branch,
                                           time_zone=branch.time_zone, created_at=now, updated_at=now,
                                           created_by_id=actor.user_id)
        publish("customer.created", subject_type="customer", subject_id=customer.pk, actor=actor,
                payload={"customer_id": customer.pk, "summary": _("Started from documents"),
                         "branch_id": branch.pk, "source": "documents"})
        audit_record(actor=actor, action="customer.create", object_type="customer", object_id=customer.pk,
                     changes={"status": [None, customer.status], "home_branch_id": [None, branch.pk]})
        for data, sniffed, kind, name in checked:
            _store(customer, data, sniffed, kind=kind, original_name=name, actor=actor, written=written)
        return customer


_CONTACT_FIELDS = {ContactKind.PHONE: "phone", ContactKind.EMAIL: "email"}


@transaction.atomic
def customer_complete(*, actor: Actor, customer_id: int, first_name: str = "", last_name: str = "",
                      middle_name: str = "", birthday: dt.date | str | None = None, phone: str = "",
                      email: str = "") -> Customer:
    """Fill a card started from documents and make it active. Every field error is reported at once."""
    customer = _customer(customer_id)
    if customer.status != Customer.Status.TO_COMPLETE:
        raise ValidationFailed(_("This card is already complete"), fields={"status": _("not to complete")})
    errors: dict[str, str] = {}
    if not (first_name.strip() or last_name.strip()):
        errors["last_name"] = _("a first or last name is required")
    for kind, value in ((ContactKind.PHONE, phone), (ContactKind.EMAIL, email)):
        if value.strip():
            try:
                customer_services.normalize_contact(kind, value)
            except ValueError as exc:
                errors[_CONTACT_FIELDS[kind]] = str(exc)
    try:
        customer_services.customer_update(actor=actor, customer_id=customer.pk, first_name=first_name,
                                          last_name=last_name, middle_name=middle_name, birthday=birthday,
                                          status=Customer.Status.ACTIVE)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("Invalid customer"), fields=errors)
    for kind, value in ((ContactKind.PHONE, phone), (ContactKind.EMAIL, email)):
        if value.strip():
            try:
                customer_services.contact_add(actor=actor, customer_id=customer.pk, kind=kind, value=value)
            except (ValidationFailed, Conflict) as exc:
                raise type(exc)(exc.message, fields={_CONTACT_FIELDS[kind]: "; ".join(
                    str(r) for r in exc.fields.values())}, **exc.extra) from exc
    customer.refresh_from_db()
    return customer

