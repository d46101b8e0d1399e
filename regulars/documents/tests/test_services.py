"""The documents services with the personas: what is stored, what is refused, and what must not happen."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from PIL import Image

from conftest import World
from regulars.customers.models import Customer, TimelineEntry
from regulars.customers.services import customer_create
from regulars.documents import services
from regulars.documents.models import Document
from regulars.platform.errors import NotFound, ValidationFailed
from regulars.platform.models import AuditEntry, Event

from .helpers import PDF, fake_jpeg, image_bytes, jpeg, pdf, png, stored_files, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(world: World) -> Customer:
    return customer_create(actor=world.actor(world.admin), first_name="Ольга", last_name="Смирнова",
                           home_branch_id=world.branch_a.pk)


def _attach(world: World, card: Customer, file: object, kind: str = "photo") -> Document:
    return services.document_attach(actor=world.actor(world.operator_a), customer_id=card.pk, upload=file, kind=kind)


def test_jpeg_is_stored_with_a_320px_jpeg_thumbnail_an_event_a_timeline_entry_and_an_audit_entry(
        world: World, card: Customer) -> None:
    document = _attach(world, card, jpeg(size=(1600, 1200)), kind="driver_licence")  # type: ignore[arg-type]

    assert (document.content_type, document.width, document.height) == ("image/jpeg", 1600, 1200)
    assert document.original_name == "photo.jpg" and document.uploaded_by_id == world.operator_a.pk
    assert str(document.file.name).startswith(f"documents/{card.pk}/") and str(document.file.name).endswith(".jpg")
    with default_storage.open(str(document.thumbnail.name)) as fh:
        thumb = Image.open(io.BytesIO(fh.read()))
    assert thumb.format == "JPEG" and max(thumb.size) == 320
    event = Event.objects.get(name="document.attached")
    assert event.payload["customer_id"] == card.pk and event.payload["document_id"] == document.pk
    entry = TimelineEntry.objects.get(customer=card, kind="document.attached")
    assert "photo.jpg" in entry.summary
    assert AuditEntry.objects.filter(action="document.attach", object_id=str(card.pk)).count() == 1


def test_png_and_pdf_are_recognised_by_content_pdf_has_no_thumbnail(world: World, card: Customer) -> None:
    # The names lie on purpose: the content decides the type and the stored extension.
    as_png = _attach(world, card, upload("scan.jpeg", image_bytes("PNG"), "image/jpeg"))
    as_pdf = _attach(world, card, upload("contract.png", PDF, "image/png"), kind="contract")

    assert (as_png.content_type, str(as_png.file.name).rsplit(".", 1)[1]) == ("image/png", "png")
    assert as_png.thumbnail
    assert (as_pdf.content_type, str(as_pdf.file.name).rsplit(".", 1)[1]) == ("application/pdf", "pdf")
    assert not as_pdf.thumbnail and as_pdf.width is None
    assert _attach(world, card, png()).content_type == "image/png"
    assert _attach(world, card, pdf()).content_type == "application/pdf"


def test_heic_photo_is_accepted(world: World, card: Customer) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    out = io.BytesIO()
    try:
        pillow_heif.from_pillow(Image.new("RGB", (640, 480), "#884400")).save(out, quality=60)
    except Exception as exc:  # an encoder-less libheif build can read but not write
        pytest.skip(f"this pillow-heif cannot write HEIC: {exc}")

    document = _attach(world, card, upload("IMG_0001.HEIC", out.getvalue(), "image/heic"))

    assert (document.content_type, document.width, document.height) == ("image/heic", 640, 480)
    assert document.thumbnail


@pytest.mark.parametrize("make, kind, field, status", [
    (fake_jpeg, "photo", "file", 400),
    (lambda: upload("empty.pdf", b""), "photo", "file", 400),
    (lambda: upload("doc.pdf", b"%PDX-1.4 nope"), "photo", "file", 400),
    (lambda: upload("cut.jpg", image_bytes("JPEG")[:200]), "photo", "file", 400),
    (lambda: upload("anim.gif", image_bytes("GIF")), "photo", "file", 400),
    (jpeg, "selfie", "kind", 400),
])
def test_bad_files_and_kinds_are_refused_and_nothing_is_stored(world: World, card: Customer, make: object, kind: str,
                                                               field: str, status: int) -> None:
    files_before = stored_files()
    with pytest.raises(ValidationFailed) as caught:
        _attach(world, card, make(), kind=kind)  # type: ignore[operator]
    assert caught.value.status == status and field in caught.value.fields
    assert not Document.objects.exists()
    assert stored_files() == files_before
    assert not Event.objects.filter(name__startswith="document.").exists()
    assert not AuditEntry.objects.filter(action__startswith="document.").exists()


@override_settings(REGULARS_DOCUMENT_MAX_BYTES=1000)
def test_a_file_over_the_limit_is_refused_with_413_and_nothing_is_stored(world: World, card: Customer) -> None:
    files_before = stored_files()
    with pytest.raises(services.TooLarge) as caught:
        _attach(world, card, jpeg())
    assert caught.value.status == 413 and "file" in caught.value.fields
    assert not Document.objects.exists() and stored_files() == files_before


def test_unknown_customer_is_not_found_and_stores_nothing(world: World) -> None:
    files_before = stored_files()
    with pytest.raises(NotFound):
        services.document_attach(actor=world.actor(world.admin), customer_id=999_999, upload=jpeg(), kind="photo")
    assert stored_files() == files_before and not Document.objects.exists()


def test_archive_hides_the_document_and_records_it(world: World, card: Customer) -> None:
    document = _attach(world, card, jpeg())
    services.document_archive(actor=world.actor(world.manager_a), document_id=document.pk)

    document.refresh_from_db()
    assert document.archived_at is not None
    assert default_storage.exists(str(document.file.name))  # soft delete: the bytes stay
    assert TimelineEntry.objects.filter(customer=card, kind="document.archived").count() == 1
    with pytest.raises(NotFound):  # twice is an error, not a second event
        services.document_archive(actor=world.actor(world.manager_a), document_id=document.pk)
    assert Event.objects.filter(name="document.archived").count() == 1


def test_customer_from_documents_starts_a_card_to_complete_with_its_photos(world: World) -> None:
    customer = services.customer_from_documents(
        actor=world.actor(world.consultant_a), branch_id=world.branch_a.pk,
        uploads=[(jpeg("sts.jpg"), "vehicle_registration"), (png("vu.png"), "driver_licence")])

    assert customer.status == Customer.Status.TO_COMPLETE and customer.home_branch_id == world.branch_a.pk
    kinds = sorted(Document.objects.filter(customer=customer).values_list("kind", flat=True))
    assert kinds == ["driver_licence", "vehicle_registration"]
    assert Event.objects.filter(name="customer.created", subject_id=customer.pk).count() == 1
    assert TimelineEntry.objects.filter(customer=customer, kind="document.attached").count() == 2


def test_customer_from_documents_with_one_bad_file_creates_nothing(world: World) -> None:
    files_before = stored_files()
    with pytest.raises(ValidationFailed) as caught:
        services.customer_from_documents(actor=world.actor(world.consultant_a), branch_id=world.branch_a.pk,
                                         uploads=[(jpeg(), "vehicle_registration"), (fake_jpeg("vu.jpg"), "photo")])
    assert "vu.jpg" in caught.value.fields["files"]
    with pytest.raises(ValidationFailed) as caught:
        services.customer_from_documents(actor=world.actor(world.consultant_a), branch_id=None, uploads=[])
    assert set(caught.value.fields) == {"branch", "files"}
    assert not Customer.objects.exists() and not Document.objects.exists() and stored_files() == files_before


def test_customer_complete_fills_the_card_adds_contacts_and_makes_it_active(world: World) -> None:
    customer = services.customer_from_documents(actor=world.actor(world.consultant_a), branch_id=world.branch_a.pk,
                                                uploads=[(jpeg(), "driver_licence")])
    with pytest.raises(ValidationFailed) as caught:
        services.customer_complete(actor=world.actor(world.operator_a), customer_id=customer.pk, last_name="Орлов",
                                   phone="12", email="not-an-email", birthday="2999-01-01")
    assert set(caught.value.fields) == {"phone", "email", "birthday"}
    customer.refresh_from_db()
    assert customer.status == Customer.Status.TO_COMPLETE and customer.last_name == ""  # nothing half-applied

    done = services.customer_complete(actor=world.actor(world.operator_a), customer_id=customer.pk,
                                      last_name="Орлов", first_name="Игорь", birthday="1985-04-12",
                                      phone="8 912 345-67-89", email="Igor@Mail.ru")
    assert (done.status, done.full_name, str(done.birthday)) == ("active", "Орлов Игорь", "1985-04-12")
    assert sorted(done.contacts.values_list("value", flat=True)) == ["+79123456789", "igor@mail.ru"]
    with pytest.raises(ValidationFailed):
        services.customer_complete(actor=world.actor(world.operator_a), customer_id=customer.pk, last_name="X")
