"""The caller-id fast path answers exactly as the regular API endpoint, and hands everything unusual to Django."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client, RequestFactory, override_settings

from conftest import World
from regulars.customers.fast_lookup import PATH, CallerIdFastPath
from regulars.customers.lookup import card_by_contact
from regulars.customers.models import Customer
from regulars.customers.schemas import CustomerOut, customer_json
from regulars.customers.services import customer_create, flag_clear, flag_set
from regulars.org.models import ApiKey
from regulars.org.services import apikey_create, apikey_revoke

pytestmark = pytest.mark.django_db


class NotForDjango:
    """Stands for Django behind the fast path: records whether a request fell through."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls += 1
        start_response("599 Fell Through", [])
        return [b""]


@pytest.fixture
def secret(world: World) -> str:
    return apikey_create(actor=world.actor(world.admin), name="pbx")[1]


@pytest.fixture
def card(world: World) -> Customer:
    actor = world.actor(world.admin)
    customer = customer_create(
        actor=actor, first_name="Анна", last_name="Орлова", middle_name="Сергеевна", birthday="1990-05-17",
        phones=["+7 912 345-67-89", "8 916 000 11 22"], emails=["anna@mail.ru"], telegram=["@anna_o"],
        home_branch_id=world.branch_a.pk, responsible_id=world.operator_a.pk, preferred_channels=["telegram", "sms"],
        tags=["vip", "Авто", "b2b"],
    )
    flag_set(actor=actor, customer_id=customer.pk, kind="risk", reason="не забрал 3 заказа")
    cleared = flag_set(actor=actor, customer_id=customer.pk, kind="blacklist", reason="ошибка")
    flag_clear(actor=actor, customer_id=customer.pk, flag_id=cleared.pk, reason="снят")
    return customer


def call(app: CallerIdFastPath, query: dict[str, str], **headers: str) -> tuple[str, dict[str, str], bytes]:
    environ = RequestFactory().get(PATH, query, **headers).environ  # type: ignore[arg-type]
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(response_headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def test_the_sql_card_equals_the_orm_card(card: Customer) -> None:
    orm = Customer.objects.prefetch_related("contacts", "tags", "flags").get(pk=card.pk)
    fast = card_by_contact(kind="phone", normalized="+79160001122")
    assert fast is not None
    assert CustomerOut.model_validate(fast).model_dump() == CustomerOut.model_validate(customer_json(orm)).model_dump()
    assert fast["phones"] == ["+79123456789", "+79160001122"]
    assert [f["kind"] for f in fast["flags"]] == ["risk"]  # the cleared flag is not shown
    assert fast["responsible"]["id"] == card.responsible_id
    assert fast["birthday"] == dt.date(1990, 5, 17)


@pytest.mark.parametrize("query", [{"phone": "8 (912) 345-67-89"}, {"phone": "+79990000000"}, {"email": "ANNA@mail.ru"},
                                   {"telegram": "https://t.me/Anna_O"}])
def test_the_fast_answer_is_byte_for_byte_the_django_answer(card: Customer, secret: str, query: dict[str, str]) -> None:
    django = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(PATH, query)
    behind = NotForDjango()
    status, headers, body = call(CallerIdFastPath(behind), query, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert behind.calls == 0
    assert int(status.split()[0]) == django.status_code
    assert body == django.content
    assert headers == dict(django.headers.items())


def test_a_found_card_costs_one_query(card: Customer, secret: str, django_assert_num_queries: Any) -> None:
    app = CallerIdFastPath(NotForDjango())
    call(app, {"phone": "89123456789"}, HTTP_AUTHORIZATION=f"Bearer {secret}")  # verifies and caches the key
    with django_assert_num_queries(1):
        status, _, body = call(app, {"phone": "89123456789"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert status == "200 OK"
    assert json.loads(body)["id"] == card.pk


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ({"phone": "89123456789"}, {"HTTP_AUTHORIZATION": "Bearer rk_not-a-key"}),  # Django answers 401
        ({"phone": "not a phone"}, {}),  # Django answers 400 with the field
        ({"phone": "89123456789", "email": "anna@mail.ru"}, {}),
        ({}, {}),
        ({"phone": "89123456789"}, {"HTTP_ACCEPT_LANGUAGE": "ru"}),  # translated errors are Django's job
        ({"phone": "89123456789"}, {"HTTP_HOST": "evil.example"}),
    ],
)
def test_anything_unusual_goes_to_django(card: Customer, secret: str, query: dict[str, str],
                                         headers: dict[str, str]) -> None:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", **headers}
    behind = NotForDjango()
    status, _, _ = call(CallerIdFastPath(behind), query, **headers)
    assert (status, behind.calls) == ("599 Fell Through", 1)


def test_without_a_key_the_request_goes_to_django(card: Customer) -> None:
    behind = NotForDjango()
    assert call(CallerIdFastPath(behind), {"phone": "89123456789"})[0] == "599 Fell Through"
    assert behind.calls == 1


def test_a_revoked_key_stops_working_at_once(card: Customer, secret: str, world: World) -> None:
    app = CallerIdFastPath(NotForDjango())
    assert call(app, {"phone": "89123456789"}, HTTP_AUTHORIZATION=f"Bearer {secret}")[0] == "200 OK"
    apikey_revoke(actor=world.actor(world.admin), key_id=ApiKey.objects.get(name="pbx").pk)
    assert call(app, {"phone": "89123456789"}, HTTP_AUTHORIZATION=f"Bearer {secret}")[0] == "599 Fell Through"
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(PATH, {"phone": "89123456789"}).status_code == 401


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_goes_to_django_when_https_is_required(card: Customer, secret: str) -> None:
    behind = NotForDjango()
    call(CallerIdFastPath(behind), {"phone": "89123456789"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert behind.calls == 1


def test_other_paths_are_untouched(secret: str) -> None:
    behind = NotForDjango()
    app = CallerIdFastPath(behind)
    environ = RequestFactory().get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {secret}").environ
    list(app(environ, lambda *a: None))
    assert behind.calls == 1


def test_the_production_application_is_wrapped() -> None:
    from config.wsgi import application

    assert isinstance(application, CallerIdFastPath)
    assert isinstance(application.app, WSGIHandler)
