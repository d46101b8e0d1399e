"""Duplicates and merge (C1.3): every row moves, conflicts need a choice, tombstones vanish from reads."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import World
from regulars.customers import services
from regulars.customers.duplicates import duplicates_find
from regulars.customers.merging import customer_references
from regulars.customers.models import (
    Asset,
    AssetType,
    Consent,
    ContactPoint,
    Customer,
    ExternalRef,
    Flag,
    Note,
    TimelineEntry,
)
from regulars.customers.selectors import CustomerFilters, consents_current, customer_lookup, customer_search
from regulars.customers.services.merge import missing_references
from regulars.platform.actor import Actor
from regulars.platform.errors import Conflict, NotFound, ValidationFailed
from regulars.platform.models import AuditEntry, Event

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def _card(first: str, last: str = "Петров", **kw: Any) -> Customer:
    return services.customer_create(actor=SYSTEM, first_name=first, last_name=last, **kw)


def _fill(customer: Customer, n: int) -> None:
    """One row of every customers-domain model that points at the card."""
    now = timezone.now()
    ExternalRef.objects.create(customer=customer, source="erp", value=f"E{n}", created_at=now)
    Consent.objects.create(customer=customer, channel="sms", purpose="marketing", granted=bool(n % 2),
                           source="test", at=now - dt.timedelta(days=n))
    Flag.objects.create(customer=customer, kind="blacklist", reason=f"r{n}", created_at=now)
    asset_type, _ = AssetType.objects.get_or_create(key="car", defaults={"name": "Car", "fields": []})
    Asset.objects.create(customer=customer, type=asset_type, data={}, created_at=now, updated_at=now)
    Note.objects.create(customer=customer, text=f"note {n}", created_at=now)


def test_every_model_pointing_at_customer_is_registered() -> None:
    assert missing_references() == []
    labels = {f"{r.model._meta.label}.{r.field}" for r in customer_references()}
    assert {"customers.ContactPoint.customer", "customers.Consent.customer", "customers.Flag.customer",
            "customers.TimelineEntry.customer", "customers.ExternalRef.customer"} <= labels


def test_guard_reports_a_model_missing_from_a_reduced_registry() -> None:
    reduced = [r for r in customer_references() if r.model is not Note]
    assert missing_references(reduced) == ["customers.Note.customer"]


def test_merge_moves_every_row_and_leaves_tombstones(world: World) -> None:
    survivor = _card("Иван", phones=["+79123456789"], emails=["a@mail.ru"], tags=["vip"])
    other = _card("Иван", phones=["+79123456780"], emails=["b@mail.ru"], tags=["car"])
    _fill(survivor, 1)
    _fill(other, 2)
    before = {r.model: r.model._default_manager.count() for r in customer_references()}
    result = services.customer_merge(actor=world.actor(world.admin), survivor_id=survivor.pk,
                                      merged_ids=[other.pk], choices={})
    assert result.pk == survivor.pk
    for ref in customer_references():
        assert ref.model._default_manager.filter(**{f"{ref.field}_id": other.pk}).count() == 0, ref.model
    for model in (ExternalRef, Consent, Flag, Asset, Note):
        assert model.objects.filter(customer=survivor).count() == 2, model
        assert model.objects.count() == before[model]  # nothing deleted
    assert ContactPoint.objects.filter(customer=survivor).count() == 4
    assert ContactPoint.objects.filter(customer=survivor, is_primary=True, kind="phone").count() <= 1
    assert Flag.objects.filter(customer=survivor, cleared_at=None).count() == 1  # one active blacklist flag
    assert set(survivor.tags.values_list("name", flat=True)) == {"vip", "car"}
    other.refresh_from_db()
    assert (other.status, other.merged_into_id) == ("merged", survivor.pk)
    # consent: the newest decision by `at` (survivor's, a day old) is current, not the merge time
    assert consents_current(survivor.pk)[("sms", "marketing")].granted is True
    survivor.refresh_from_db()
    assert "79123456780" in survivor.search_text
    assert Event.objects.filter(name="customer.merged", subject_id=survivor.pk).count() == 1
    entry = TimelineEntry.objects.get(customer=survivor, kind="customer.merged")
    assert entry.summary == f"Merged with #{other.pk}"
    audit = AuditEntry.objects.get(action="customer.merge", object_id=str(survivor.pk))
    assert audit.changes["moved"][1]["customers.Note.customer"] == 1
    # reads: tombstone out of search and lookup
    assert other not in customer_search(world.admin, CustomerFilters())
    # a search has no status filter: the tombstone's emptied search_text is what keeps it out
    assert other.search_text == ""
    assert list(customer_search(world.admin, CustomerFilters(q="Иван"))) == [survivor]
    assert customer_lookup(kind="phone", value="+79123456780") == survivor


def test_conflict_without_choice_changes_nothing_and_choice_wins(world: World) -> None:
    a = _card("Иван", birthday=dt.date(1990, 1, 1), middle_name="Ильич")
    b = _card("Иван", birthday=dt.date(1991, 1, 1))
    counts = (Customer.objects.filter(status="merged").count(), AuditEntry.objects.count())
    with pytest.raises(Conflict) as caught:
        services.customer_merge(actor=world.actor(world.admin), survivor_id=a.pk, merged_ids=[b.pk], choices={})
    assert set(caught.value.extra["conflicts"]) == {"birthday"}
    assert caught.value.extra["conflicts"]["birthday"] == [{"customer_id": a.pk, "value": "1990-01-01"},
                                                           {"customer_id": b.pk, "value": "1991-01-01"}]
    assert (Customer.objects.filter(status="merged").count(), AuditEntry.objects.count()) == counts
    merged = services.customer_merge(actor=world.actor(world.admin), survivor_id=a.pk, merged_ids=[b.pk],
                                     choices={"birthday": b.pk})
    assert merged.birthday == dt.date(1991, 1, 1)
    assert merged.middle_name == "Ильич"  # empty vs non-empty takes the non-empty


def test_bad_ids_are_refused(world: World) -> None:
    a, b = _card("А"), _card("Б")
    actor = world.actor(world.admin)
    with pytest.raises(ValidationFailed):
        services.customer_merge(actor=actor, survivor_id=a.pk, merged_ids=[a.pk], choices={})
    with pytest.raises(NotFound):
        services.customer_merge(actor=actor, survivor_id=a.pk, merged_ids=[999999], choices={})
    services.customer_merge(actor=actor, survivor_id=a.pk, merged_ids=[b.pk], choices={"first_name": a.pk})
    with pytest.raises(Conflict):
        services.customer_merge(actor=actor, survivor_id=a.pk, merged_ids=[b.pk], choices={})


def test_duplicates_find_name_birthday_and_email_variants_and_dismissal(world: World) -> None:
    a = _card("Иван", birthday=dt.date(1990, 1, 1))
    b = _card("Иван", birthday=dt.date(1990, 1, 1))
    c = _card("Olga", last="Smith", emails=["olga.smith+shop@gmail.com"])
    d = _card("Olga", last="Smith", emails=["olgasmith@gmail.com"])
    _card("Olga", last="Other", emails=["olga.other@gmail.com"])
    _card("Иван", birthday=dt.date(1980, 1, 1), last="Сидоров")
    groups = {(g.rule, tuple(x.pk for x in g.customers)) for g in duplicates_find(world.admin).groups}
    assert groups == {("name_birthday", (a.pk, b.pk)), ("name_email", (c.pk, d.pk))}
    services.duplicate_dismiss(actor=world.actor(world.admin), customer_ids=[c.pk, d.pk])
    groups = {(g.rule, tuple(x.pk for x in g.customers)) for g in duplicates_find(world.admin).groups}
    assert groups == {("name_birthday", (a.pk, b.pk))}


def _api(world: World, who: Any) -> Client:
    client = Client()
    client.force_login(who)
    return client


def test_api_merge_conflict_then_ok_and_merged_id_answers_404_merged(world: World) -> None:
    a = _card("Иван", birthday=dt.date(1990, 1, 1))
    b = _card("Иван", birthday=dt.date(1991, 1, 1))
    manager = _api(world, world.manager_a)
    url = "/api/v1/customers/merge"
    body: dict[str, Any] = {"survivor_id": a.pk, "merged_ids": [b.pk]}
    response = manager.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["conflicts"]["birthday"][1]["customer_id"] == b.pk
    operator = _api(world, world.operator_a)
    assert operator.post(url, json.dumps(body), content_type="application/json").status_code == 403
    assert operator.get("/api/v1/customers/duplicates").status_code == 403
    x = _card("Ольга", last="Иванова", birthday=dt.date(1985, 2, 2))
    y = _card("Ольга", last="Иванова", birthday=dt.date(1985, 2, 2))
    dupes = manager.get("/api/v1/customers/duplicates")
    assert dupes.status_code == 200
    assert [g["customer_ids"] for g in dupes.json()["groups"]] == [[x.pk, y.pk]]
    body["choices"] = {"birthday": b.pk}
    response = manager.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 200 and response.json()["birthday"] == "1991-01-01"
    gone = manager.get(f"/api/v1/customers/{b.pk}")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "merged" and gone.json()["error"]["merged_into"] == a.pk
    assert manager.get(f"/customers/{b.pk}/")["Location"] == f"/customers/{a.pk}/"
    assert manager.post(url, json.dumps({"survivor_id": a.pk, "merged_ids": [424242]}),
                        content_type="application/json").status_code == 404
    dismissed = manager.post("/api/v1/customers/duplicates/dismiss", json.dumps({"customer_ids": [x.pk, y.pk]}),
                             content_type="application/json")
    assert dismissed.status_code == 200
    assert manager.get("/api/v1/customers/duplicates").json()["groups"] == []
