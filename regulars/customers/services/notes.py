"""Notes on the card."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.errors import ValidationFailed

from ..models import Note
from ._common import emit, lock_customer, touch


@transaction.atomic
def note_add(*, actor: Actor, customer_id: int, text: str) -> Note:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("A note cannot be empty"), fields={"text": _("required")})
    if len(text) > 10_000:
        raise ValidationFailed(_("The note is too long"), fields={"text": _("at most 10000 characters")})
    customer = lock_customer(customer_id)
    note = Note.objects.create(customer=customer, text=text, author_id=actor.user_id,
                               author_label=actor.label[:200], created_at=timezone.now())
    touch(customer)
    emit("note.added", customer, actor=actor, summary=text[:300], note_id=note.pk)
    return note
