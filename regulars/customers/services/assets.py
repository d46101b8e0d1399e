"""Assets on the card (a vehicle, a prescription): values validated against the type's configured fields."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record, diff
from regulars.platform.errors import NotFound, ValidationFailed

from ..fields import clean_values
from ..models import Asset, AssetType
from ._common import emit, lock_customer, refresh_search_text, touch


def asset_title(asset_type: AssetType, data: dict[str, Any]) -> str:
    keys = asset_type.title_fields or [f["key"] for f in asset_type.fields[:3]]
    return " ".join(str(data[k]) for k in keys if data.get(k) not in (None, ""))[:200] or asset_type.name


def _type(type_key_or_id: str | int) -> AssetType:
    lookup = {"pk": type_key_or_id} if isinstance(type_key_or_id, int) else {"key": type_key_or_id}
    asset_type = AssetType.objects.filter(is_active=True, **lookup).first()
    if asset_type is None:
        reason = _("no active asset type %(type)s") % {"type": type_key_or_id}
        raise ValidationFailed(_("Unknown asset type"), fields={"type": reason})
    return asset_type


@transaction.atomic
def asset_add(*, actor: Actor, customer_id: int, type: str | int, data: dict[str, Any]) -> Asset:
    asset_type = _type(type)
    if not isinstance(data, dict):
        raise ValidationFailed(_("Asset data must be an object"), fields={"data": _("expected an object")})
    cleaned = clean_values(asset_type.fields, data, error_prefix="data.")
    customer = lock_customer(customer_id)
    now = timezone.now()
    asset = Asset.objects.create(customer=customer, type=asset_type, data=cleaned,
                                 title=asset_title(asset_type, cleaned), created_at=now, updated_at=now)
    refresh_search_text(customer)
    touch(customer)
    emit("asset.added", customer, actor=actor, summary=asset.title, asset_id=asset.pk, asset_type=asset_type.key,
         asset_type_name=asset_type.name)
    audit_record(actor=actor, action="customer.asset_add", object_type="customer", object_id=customer.pk,
                 object_label=customer.full_name, changes={f"asset.{asset.pk}": [None, cleaned]})
    return asset


@transaction.atomic
def asset_update(*, actor: Actor, customer_id: int, asset_id: int, data: dict[str, Any]) -> Asset:
    customer = lock_customer(customer_id)
    asset = customer.assets.select_related("type").filter(pk=asset_id).first()
    if asset is None:
        raise NotFound(_("No such asset on this customer"), fields={"asset_id": _("not found")})
    if not isinstance(data, dict):
        raise ValidationFailed(_("Asset data must be an object"), fields={"data": _("expected an object")})
    merged = {**asset.data, **data}
    cleaned = clean_values(asset.type.fields, merged, error_prefix="data.")
    before = dict(asset.data)
    asset.data = cleaned
    asset.title = asset_title(asset.type, cleaned)
    asset.updated_at = timezone.now()
    asset.save(update_fields=["data", "title", "updated_at"])
    changed = diff(before, cleaned)
    refresh_search_text(customer)
    if changed:
        emit("asset.updated", customer, actor=actor, summary=asset.title, asset_id=asset.pk,
             asset_type=asset.type.key, changes=changed)
        audit_record(actor=actor, action="customer.asset_update", object_type="customer", object_id=customer.pk,
                     object_label=customer.full_name, changes={f"asset.{asset.pk}.{k}": v for k, v in changed.items()})
    return asset


@transaction.atomic
def asset_archive(*, actor: Actor, customer_id: int, asset_id: int) -> Asset:
    customer = lock_customer(customer_id)
    asset = customer.assets.filter(pk=asset_id).first()
    if asset is None:
        raise NotFound(_("No such asset on this customer"), fields={"asset_id": _("not found")})
    if not asset.is_archived:
        asset.is_archived = True
        asset.save(update_fields=["is_archived"])
        refresh_search_text(customer)
        emit("asset.archived", customer, actor=actor, summary=asset.title, asset_id=asset.pk)
        audit_record(actor=actor, action="customer.asset_archive", object_type="customer", object_id=customer.pk,
                     object_label=customer.full_name, changes={f"asset.{asset.pk}": [asset.title, None]})
    return asset
