"""API: the customer card. Handlers parse, check the permission, call a service or a selector, serialise."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from regulars.org.permissions import require
from regulars.platform.actor import Actor
from regulars.platform.errors import ValidationFailed

from . import services
from .duplicates import duplicates_find
from .lookup import lookup_card
from .models import AssetType, CustomFieldDef
from .schemas import (
    AssetIn,
    AssetOut,
    AssetPatch,
    AssetTypeOut,
    ConsentIn,
    ConsentOut,
    ConsentsOut,
    ContactIn,
    ContactOut,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    CustomFieldOut,
    FlagClearIn,
    FlagIn,
    FlagOut,
    NoteIn,
    NoteOut,
    TimelinePageOut,
    customer_json,
)
from .selectors import (
    CustomerFilters,
    consent_history,
    consents_current,
    customer_get_for_user,
    customer_search,
    ensure_not_merged,
    flags_all,
    timeline_page,
    viewer_of,
)

router = Router(tags=["customers"])


def _card(request: HttpRequest, customer_id: int) -> Any:
    require(request, "customers.view")
    return ensure_not_merged(customer_get_for_user(viewer_of(request), customer_id))


def _asset_json(asset: Any) -> dict[str, Any]:
    return {"id": asset.pk, "type": asset.type.key, "title": asset.title, "data": asset.data,
            "is_archived": asset.is_archived, "created_at": asset.created_at, "updated_at": asset.updated_at}


class ListQuery(Schema):
    q: str = ""
    branch: int | None = None
    tag: str = ""
    flag: str = ""
    consent: str = ""
    status: str = ""
    limit: int = 50
    offset: int = 0


@router.get("", response=CustomerPage, summary="Search customers",
            description="`q` matches part of a name, any run of phone digits, an e-mail, a plate or a VIN.")
def list_customers(request: HttpRequest, query: Query[ListQuery]) -> Any:
    require(request, "customers.view")
    if not 1 <= query.limit <= 200:
        raise ValidationFailed("Invalid limit", fields={"limit": "between 1 and 200"})
    if query.offset < 0:
        raise ValidationFailed("Invalid offset", fields={"offset": "0 or more"})
    filters = CustomerFilters(q=query.q, branch_id=query.branch, tag=query.tag, flag=query.flag,
                              consent=query.consent, status=query.status)
    qs = customer_search(viewer_of(request), filters).prefetch_related("tags", "contacts", "flags").select_related(
        "responsible")
    rows = list(qs[query.offset: query.offset + query.limit + 1])
    has_more = len(rows) > query.limit
    return {"items": [customer_json(c) for c in rows[: query.limit]],
            "next_offset": query.offset + query.limit if has_more else None}


@router.post("", response={201: CustomerOut}, summary="Create a customer",
             description="A phone or e-mail that another card holds answers 409 with `existing_customer_id`.")
def create_customer(request: HttpRequest, payload: CustomerIn) -> Any:
    require(request, "customers.edit")
    data = payload.model_dump()
    data["home_branch_id"] = data.pop("home_branch")
    data["responsible_id"] = data.pop("responsible")
    customer = services.customer_create(actor=Actor.from_request(request), **data)
    return Status(201, customer_json(customer_get_for_user(viewer_of(request), customer.pk)))


@router.get("/lookup", response=CustomerOut, summary="Find the card by a phone, e-mail or messenger id",
            description="Exactly one of `phone`, `email`, `telegram`, `whatsapp`, `vk`. Phones in any common "
                        "form (`8 (912) 345-67-89`, `+7 912 345 67 89`, `79123456789`).")
def lookup_customer(request: HttpRequest, phone: str = "", email: str = "", telegram: str = "",
                    whatsapp: str = "", vk: str = "") -> Any:
    # Production serves this path from regulars/customers/fast_lookup.py in front of Django; same function.
    require(request, "customers.view")
    return lookup_card({"phone": phone, "email": email, "telegram": telegram, "whatsapp": whatsapp, "vk": vk})


class MergeIn(Schema):
    survivor_id: int
    merged_ids: list[int]
    choices: dict[str, int] = {}


class DismissIn(Schema):
    customer_ids: list[int]


# Registered before "/{customer_id}" so the fixed paths never reach the id route.
@router.get("/duplicates", summary="Likely duplicate cards, in groups",
            description="Groups by rule: `name_birthday`, `name_phone`, `name_email`. Needs `customers.merge`. "
                        "Page with `offset` and `limit` (1-100); `next_offset` is null on the last page.")
def list_duplicates(request: HttpRequest, offset: int = 0, limit: int = 20) -> Any:
    require(request, "customers.merge")
    page = duplicates_find(viewer_of(request), offset=offset, limit=limit)
    return {"groups": [{"rule": g.rule, "customer_ids": [c.pk for c in g.customers],
                        "customers": [customer_json(c) for c in g.customers]} for g in page.groups],
            "next_offset": page.next_offset}


@router.post("/duplicates/dismiss", summary="Mark cards as not duplicates (hides the pair from the list)")
def dismiss_duplicates(request: HttpRequest, payload: DismissIn) -> Any:
    require(request, "customers.merge")
    added = services.duplicate_dismiss(actor=Actor.from_request(request), customer_ids=payload.customer_ids)
    return {"dismissed_pairs": added}


@router.post("/merge", response=CustomerOut, summary="Merge cards into one survivor",
             description="`choices` maps a conflicting field (e.g. `first_name`, `custom.card_no`) to the id of the "
                         "card whose value wins. Without a needed choice: 409 with `conflicts` "
                         "({field: [{customer_id, value}]}). The merged ids answer 404 `merged` afterwards.")
def merge_customers(request: HttpRequest, payload: MergeIn) -> Any:
    require(request, "customers.merge")
    survivor = services.customer_merge(actor=Actor.from_request(request), survivor_id=payload.survivor_id,
                                       merged_ids=payload.merged_ids, choices=payload.choices)
    return customer_json(customer_get_for_user(viewer_of(request), survivor.pk))


@router.get("/{customer_id}", response=CustomerOut, summary="Get a customer")
def get_customer(request: HttpRequest, customer_id: int) -> Any:
    return customer_json(_card(request, customer_id))


@router.patch("/{customer_id}", response=CustomerOut, summary="Change a customer",
              description="Only the fields sent change. A contact list sent here replaces that kind's contacts.")
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch) -> Any:
    require(request, "customers.edit")
    changes = payload.model_dump(exclude_unset=True)
    if "home_branch" in changes:
        changes["home_branch_id"] = changes.pop("home_branch")
    if "responsible" in changes:
        changes["responsible_id"] = changes.pop("responsible")
    services.customer_update(actor=Actor.from_request(request), customer_id=customer_id, **changes)
    return customer_json(_card(request, customer_id))


@router.get("/{customer_id}/timeline", response=TimelinePageOut, summary="The card's timeline, newest first")
def get_timeline(request: HttpRequest, customer_id: int, cursor: str = "", limit: int = 30) -> Any:
    _card(request, customer_id)
    page = timeline_page(customer_id, cursor=cursor or None, limit=limit)
    items = [{"id": e.pk, "kind": e.kind, "occurred_at": e.occurred_at, "summary": e.summary, "data": e.data,
              "branch": {"id": e.branch.pk, "name": e.branch.name} if e.branch else None,
              "actor_label": e.actor_label} for e in page.entries]
    return {"items": items, "next_cursor": page.next_cursor}


@router.post("/{customer_id}/contacts", response={201: ContactOut}, summary="Add a phone, e-mail or messenger id")
def add_contact(request: HttpRequest, customer_id: int, payload: ContactIn) -> Any:
    require(request, "customers.edit")
    return Status(201, services.contact_add(actor=Actor.from_request(request), customer_id=customer_id,
                                     **payload.model_dump()))


@router.delete("/{customer_id}/contacts/{contact_id}", response={204: None}, summary="Remove a contact")
def remove_contact(request: HttpRequest, customer_id: int, contact_id: int) -> Any:
    require(request, "customers.edit")
    services.contact_remove(actor=Actor.from_request(request), customer_id=customer_id, contact_id=contact_id)
    return Status(204, None)


@router.get("/{customer_id}/assets", response=list[AssetOut], summary="Assets of the customer")
def list_assets(request: HttpRequest, customer_id: int) -> Any:
    customer = _card(request, customer_id)
    return [_asset_json(a) for a in customer.assets.select_related("type").filter(is_archived=False)]


@router.post("/{customer_id}/assets", response={201: AssetOut}, summary="Add an asset (a vehicle, a prescription)")
def add_asset(request: HttpRequest, customer_id: int, payload: AssetIn) -> Any:
    require(request, "customers.edit")
    asset = services.asset_add(actor=Actor.from_request(request), customer_id=customer_id, type=payload.type,
                               data=payload.data)
    return Status(201, _asset_json(asset))


@router.patch("/{customer_id}/assets/{asset_id}", response=AssetOut, summary="Change an asset's fields")
def update_asset(request: HttpRequest, customer_id: int, asset_id: int, payload: AssetPatch) -> Any:
    require(request, "customers.edit")
    return _asset_json(services.asset_update(actor=Actor.from_request(request), customer_id=customer_id,
                                             asset_id=asset_id, data=payload.data))


@router.delete("/{customer_id}/assets/{asset_id}", response={204: None}, summary="Archive an asset")
def archive_asset(request: HttpRequest, customer_id: int, asset_id: int) -> Any:
    require(request, "customers.edit")
    services.asset_archive(actor=Actor.from_request(request), customer_id=customer_id, asset_id=asset_id)
    return Status(204, None)


@router.get("/{customer_id}/consents", response=ConsentsOut, summary="Current consents and their history")
def get_consents(request: HttpRequest, customer_id: int) -> Any:
    _card(request, customer_id)
    return {"current": list(consents_current(customer_id).values()), "history": list(consent_history(customer_id))}


@router.post("/{customer_id}/consents", response={201: ConsentOut, 200: ConsentsOut},
             summary="Record a consent decision",
             description="Answers 201 with the new row, or 200 with the unchanged state when it repeats it.")
def set_consent(request: HttpRequest, customer_id: int, payload: ConsentIn) -> Any:
    require(request, "customers.edit")
    row = services.consent_set(actor=Actor.from_request(request), customer_id=customer_id, **payload.model_dump())
    if row is None:
        state = {"current": list(consents_current(customer_id).values()),
                 "history": list(consent_history(customer_id))}
        return Status(200, state)
    return Status(201, row)


@router.get("/{customer_id}/flags", response=list[FlagOut], summary="Flags, active and cleared")
def get_flags(request: HttpRequest, customer_id: int) -> Any:
    _card(request, customer_id)
    return list(flags_all(customer_id))


@router.post("/{customer_id}/flags", response={201: FlagOut}, summary="Set a blacklist or risk flag")
def set_flag(request: HttpRequest, customer_id: int, payload: FlagIn) -> Any:
    require(request, "customers.flag")
    flag = services.flag_set(actor=Actor.from_request(request), customer_id=customer_id, **payload.model_dump())
    return Status(201, flag)


@router.post("/{customer_id}/flags/{flag_id}/clear", response=FlagOut, summary="Clear a flag (keeps its history)")
def clear_flag(request: HttpRequest, customer_id: int, flag_id: int, payload: FlagClearIn) -> Any:
    require(request, "customers.flag")
    return services.flag_clear(actor=Actor.from_request(request), customer_id=customer_id, flag_id=flag_id,
                               reason=payload.reason)


@router.get("/{customer_id}/notes", response=list[NoteOut], summary="Notes on the card")
def list_notes(request: HttpRequest, customer_id: int) -> Any:
    return list(_card(request, customer_id).notes.all())


@router.post("/{customer_id}/notes", response={201: NoteOut}, summary="Add a note")
def add_note(request: HttpRequest, customer_id: int, payload: NoteIn) -> Any:
    require(request, "customers.edit")
    note = services.note_add(actor=Actor.from_request(request), customer_id=customer_id, text=payload.text)
    return Status(201, note)


meta_router = Router(tags=["configuration"])


@meta_router.get("/asset-types", response=list[AssetTypeOut], summary="Asset types and their fields")
def list_asset_types(request: HttpRequest) -> Any:
    require(request, "customers.view")
    return list(AssetType.objects.filter(is_active=True))


@meta_router.get("/custom-fields", response=list[CustomFieldOut], summary="Custom fields of the card")
def list_custom_fields(request: HttpRequest) -> Any:
    require(request, "customers.view")
    return list(CustomFieldDef.objects.filter(is_active=True))
