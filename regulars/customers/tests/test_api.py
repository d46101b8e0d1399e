"""The customer API with the personas: exact answers, and what must not happen."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from conftest import World
from regulars.customers.models import Consent, ContactPoint, Customer, TimelineEntry
from regulars.customers.services import customer_create
from regulars.org.services import apikey_create, apikey_revoke
from regulars.platform.actor import Actor
from regulars.platform.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp(world: World) -> Client:
    _, secret = apikey_create(actor=world.actor(world.admin), name="erp")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, json.dumps(body), content_type="application/json")


def test_create_normalises_contacts_and_any_phone_form_finds_the_card(erp: Client, world: World) -> None:
    response = post(erp, "/api/v1/customers", {
        "first_name": "Анна", "last_name": "Орлова", "phones": ["8 (912) 345-67-89"], "emails": [" Anna@Mail.RU "],
        "birthday": "1990-05-17", "home_branch": world.branch_b.pk,
    })
    assert response.status_code == 201
    body = response.json()
    assert body["phones"] == ["+79123456789"]
    assert body["emails"] == ["anna@mail.ru"]
    assert body["time_zone"] == "Asia/Yekaterinburg"  # from the home branch
    for form in ("8 (912) 345-67-89", "+7 912 345 67 89", "79123456789"):
        found = erp.get("/api/v1/customers/lookup", {"phone": form})
        assert found.status_code == 200, form
        assert found.json()["id"] == body["id"]
    assert erp.get("/api/v1/customers/lookup", {"email": "ANNA@mail.ru"}).json()["id"] == body["id"]


def test_duplicate_phone_answers_409_with_the_existing_card_and_creates_nothing(erp: Client) -> None:
    first = post(erp, "/api/v1/customers", {"first_name": "Олег", "phones": ["+79161234567"]}).json()
    response = post(erp, "/api/v1/customers", {"first_name": "Другой", "phones": ["89161234567"],
                                                "emails": ["other@example.com"]})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["existing_customer_id"] == first["id"]
    assert "phones" in error["fields"]
    assert Customer.objects.count() == 1
    assert not ContactPoint.objects.filter(value="other@example.com").exists()


def test_invalid_phone_is_400_naming_the_field_and_nothing_is_saved(erp: Client) -> None:
    response = post(erp, "/api/v1/customers", {"first_name": "Пётр", "phones": ["12-34"]})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"phones"}
    assert Customer.objects.count() == 0
    assert TimelineEntry.objects.count() == 0
    assert AuditEntry.objects.filter(action="customer.create").count() == 0


def test_bad_date_and_malformed_json_are_400(erp: Client) -> None:
    response = post(erp, "/api/v1/customers", {"first_name": "A", "birthday": "17.05.1990"})
    assert response.status_code == 400
    assert "birthday" in response.json()["error"]["fields"]
    broken = erp.post("/api/v1/customers", "{nope", content_type="application/json")
    assert broken.status_code == 400


def test_unknown_customer_is_404(erp: Client) -> None:
    assert erp.get("/api/v1/customers/987654").status_code == 404
    assert patch(erp, "/api/v1/customers/987654", {"first_name": "X"}).status_code == 404
    assert erp.get("/api/v1/customers/lookup", {"phone": "+79990000000"}).status_code == 404


def test_lookup_needs_exactly_one_parameter(erp: Client) -> None:
    assert erp.get("/api/v1/customers/lookup").status_code == 400
    assert erp.get("/api/v1/customers/lookup", {"phone": "+79990000000", "email": "a@b.ru"}).status_code == 400


def test_no_key_wrong_key_and_revoked_key_are_401(world: World) -> None:
    key, secret = apikey_create(actor=world.actor(world.admin), name="shop")
    assert Client().get("/api/v1/customers").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer rk_nope_nope").get("/api/v1/customers").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/customers").status_code == 200
    apikey_revoke(actor=world.actor(world.admin), key_id=key.pk)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/customers").status_code == 401


def test_patch_changes_only_the_sent_fields_and_is_audited_as_the_key(erp: Client) -> None:
    created = post(erp, "/api/v1/customers", {"first_name": "Игорь", "last_name": "Белов",
                                              "phones": ["+79031112233"], "tags": ["VIP"]}).json()
    response = patch(erp, f"/api/v1/customers/{created['id']}", {"last_name": "Белов-Сидоров"})
    assert response.status_code == 200
    body = response.json()
    assert (body["first_name"], body["last_name"], body["phones"], body["tags"]) == (
        "Игорь", "Белов-Сидоров", ["+79031112233"], ["VIP"])
    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.actor_label == "api:erp"
    assert entry.changes == {"last_name": ["Белов", "Белов-Сидоров"]}


def test_session_user_without_permission_gets_403_and_nothing_changes(world: World) -> None:
    customer = customer_create(actor=Actor.system(), first_name="Вера", phones=["+79035556677"])
    marketer = Client(enforce_csrf_checks=False)
    marketer.force_login(world.marketer)
    assert marketer.get(f"/api/v1/customers/{customer.pk}").status_code == 200
    response = patch(marketer, f"/api/v1/customers/{customer.pk}", {"first_name": "Взлом"})
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.first_name == "Вера"


def test_session_write_without_csrf_token_is_refused(world: World) -> None:
    operator = Client(enforce_csrf_checks=True)
    operator.force_login(world.operator_a)
    response = post(operator, "/api/v1/customers", {"first_name": "Без токена"})
    assert response.status_code == 403
    assert Customer.objects.count() == 0


def test_timeline_pages_return_every_entry_once_newest_first(erp: Client) -> None:
    created = post(erp, "/api/v1/customers", {"first_name": "Лев", "phones": ["+79051234567"]}).json()
    for i in range(7):
        assert post(erp, f"/api/v1/customers/{created['id']}/notes", {"text": f"note {i}"}).status_code == 201
    seen: list[int] = []
    times: list[str] = []
    cursor = ""
    while True:
        page = erp.get(f"/api/v1/customers/{created['id']}/timeline", {"limit": "3", "cursor": cursor}).json()
        seen += [item["id"] for item in page["items"]]
        times += [item["occurred_at"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    all_ids = list(TimelineEntry.objects.filter(customer_id=created["id"]).values_list("id", flat=True))
    assert sorted(seen) == sorted(all_ids)
    assert len(seen) == len(set(seen)) == 8  # created + 7 notes
    assert times == sorted(times, reverse=True)
    assert erp.get(f"/api/v1/customers/{created['id']}/timeline", {"cursor": "garbage"}).status_code == 400


def test_assets_consents_flags_and_notes(erp: Client) -> None:
    cid = post(erp, "/api/v1/customers", {"first_name": "Ян", "phones": ["+79067778899"]}).json()["id"]
    bad = post(erp, f"/api/v1/customers/{cid}/assets", {"type": "vehicle", "data": {"make": "Kia", "model": "Rio",
                                                                                    "vin": "SHORT"}})
    assert bad.status_code == 400
    assert "data.vin" in bad.json()["error"]["fields"]
    good = post(erp, f"/api/v1/customers/{cid}/assets", {"type": "vehicle", "data": {
        "make": "Kia", "model": "Rio", "year": 2019, "vin": "Z94CB41AAGR323456", "plate": "а123вс777"}})
    assert good.status_code == 201
    assert good.json()["data"]["plate"] == "A123BC777"
    assert [a["title"] for a in erp.get(f"/api/v1/customers/{cid}/assets").json()] == ["Kia Rio 2019 A123BC777"]

    give = {"channel": "sms", "purpose": "marketing", "granted": True, "source": "website"}
    assert post(erp, f"/api/v1/customers/{cid}/consents", give).status_code == 201
    assert post(erp, f"/api/v1/customers/{cid}/consents", give).status_code == 200  # a repeat records nothing
    assert post(erp, f"/api/v1/customers/{cid}/consents", {**give, "granted": False}).status_code == 201
    consents = erp.get(f"/api/v1/customers/{cid}/consents").json()
    assert [c["granted"] for c in consents["current"]] == [False]
    assert len(consents["history"]) == 2
    assert Consent.objects.filter(customer_id=cid).count() == 2

    flag = post(erp, f"/api/v1/customers/{cid}/flags", {"kind": "blacklist", "reason": "Хамство"})
    assert flag.status_code == 201
    assert post(erp, f"/api/v1/customers/{cid}/flags", {"kind": "blacklist", "reason": "again"}).status_code == 409
    assert erp.get(f"/api/v1/customers/{cid}").json()["flags"][0]["reason"] == "Хамство"
    cleared = post(erp, f"/api/v1/customers/{cid}/flags/{flag.json()['id']}/clear", {"reason": "извинился"})
    assert cleared.status_code == 200
    assert erp.get(f"/api/v1/customers/{cid}").json()["flags"] == []
    assert post(erp, f"/api/v1/customers/{cid}/notes", {"text": "  "}).status_code == 400


def test_list_search_by_phone_digits_returns_only_matches(erp: Client) -> None:
    post(erp, "/api/v1/customers", {"first_name": "Первый", "phones": ["+79161110001"]})
    post(erp, "/api/v1/customers", {"first_name": "Второй", "phones": ["+79262220002"]})
    names = [c["first_name"] for c in erp.get("/api/v1/customers", {"q": "1110"}).json()["items"]]
    assert names == ["Первый"]
    assert erp.get("/api/v1/customers", {"limit": 0}).status_code == 400


def test_lookup_uses_a_fixed_number_of_queries(erp: Client, django_assert_max_num_queries: Any) -> None:
    post(erp, "/api/v1/customers", {"first_name": "Быстрый", "phones": ["+79170001122"], "tags": ["VIP", "Такси"]})
    erp.get("/api/v1/customers/lookup", {"phone": "+79170001122"})  # warm: last_used_at is touched once a minute
    with django_assert_max_num_queries(5):
        assert erp.get("/api/v1/customers/lookup", {"phone": "89170001122"}).status_code == 200


def test_branches_list_and_settings_permission(world: World, erp: Client) -> None:
    assert {b["code"] for b in erp.get("/api/v1/branches").json()} == {"a", "b"}
    operator = Client()
    operator.force_login(world.operator_a)
    response = post(operator, "/api/v1/branches", {"name": "Новый"})
    assert response.status_code == 403
    created = post(erp, "/api/v1/branches", {"name": "Новый", "time_zone": "Europe/Samara"})
    assert created.status_code == 201
    assert post(erp, "/api/v1/branches", {"name": "Другой", "time_zone": "Mars/Base"}).status_code == 400


def test_openapi_and_docs_are_served_without_a_cdn(erp: Client) -> None:
    spec = erp.get("/api/v1/openapi.json").json()
    assert "/api/v1/customers/lookup" in spec["paths"]
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert all(op.get("summary") for op in operations)
    docs = erp.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()
