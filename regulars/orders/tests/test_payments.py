"""Payment links (PRODUCT C7.3) against a YooKassa stand-in: created once, sent once, paid only when YooKassa's
API says so, and every webhook repeat or forgery changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from conftest import World, client_for
from regulars.customers.models import TimelineEntry
from regulars.messaging.models import Message
from regulars.orders.models import Order, PaymentAccount, PaymentLink
from regulars.orders.payments.providers import KNOWN
from regulars.orders.payments.providers.yookassa import PROVIDER as YOOKASSA
from regulars.orders.payments.services import payment_account_save, payment_link_create
from regulars.orders.services import order_upsert
from regulars.platform.errors import Conflict, ValidationFailed
from regulars.platform.models import AuditEntry, Event

from .shipped import restore_shipped
from .standin_yookassa import YooKassaApi

pytestmark = pytest.mark.django_db
SECRET = "test_SECRET_key_42"


@pytest.fixture
def kassa() -> Iterator[YooKassaApi]:
    with YooKassaApi(shop_id="100500", secret_key=SECRET) as api:
        yield api


@pytest.fixture
def account(world: World, kassa: YooKassaApi) -> PaymentAccount:
    return payment_account_save(actor=world.actor(world.admin), provider="yookassa", name="Shop", config={
        "shop_id": "100500", "secret_key": SECRET, "api_url": kassa.url, "return_url": "https://shop.example/thanks",
        "timeout": "5"})


def make_order(world: World, **extra: Any) -> Order:
    data = {"number": "A-1", "customer": {"phone": "+79160000001", "first_name": "Иван"},
            "items": [{"name": "x", "price": "990.00"}], **extra}
    result = order_upsert(actor=world.actor(world.admin), source="shop", external_id="1", data=data)
    return Order.objects.get(pk=result["id"])


@pytest.fixture
def order(world: World) -> Order:
    return make_order(world, branch="a")


def create_link(client: Client, order: Order, **body: Any) -> Any:
    return client.post(f"/api/v1/orders/{order.pk}/payment-links", json.dumps(body), content_type="application/json")


def webhook(account: PaymentAccount, body: bytes, secret: str | None = None) -> Any:
    return Client(enforce_csrf_checks=True).post(
        f"/api/v1/payments/callbacks/{account.pk}/{secret or account.callback_secret}", body,
        content_type="application/json")


def payment_messages(order: Order) -> list[Message]:
    return list(Message.objects.filter(source=f"order:{order.pk}:payment").order_by("id"))


def test_a_link_is_created_at_yookassa_and_sent_with_its_url(world: World, kassa: YooKassaApi,
                                                             account: PaymentAccount, order: Order) -> None:
    response = create_link(client_for(world.operator_a), order)
    assert response.status_code == 201, response.content
    body = response.json()
    link = PaymentLink.objects.get()
    assert (body["id"], body["status"], Decimal(body["amount"]), body["currency"]) == (link.pk, "pending",
                                                                                        Decimal("990.00"), "RUB")
    payment_id = next(iter(kassa.payments))
    assert body["url"] == link.url == kassa.payments[payment_id]["confirmation"]["confirmation_url"]
    assert link.provider_payment_id == payment_id and link.idempotency_key == f"order:{order.pk}:pay:1"
    [create] = kassa.creates
    assert create.auth == ("100500", SECRET) and create.idempotency_key == f"order:{order.pk}:pay:1"
    assert create.body is not None
    assert create.body["amount"] == {"value": "990.00", "currency": "RUB"} and create.body["capture"] is True
    assert create.body["confirmation"] == {"type": "redirect", "return_url": "https://shop.example/thanks"}
    assert create.body["metadata"]["order_id"] == str(order.pk) and "A-1" in create.body["description"]
    order.refresh_from_db()
    assert order.payment_state == "pending"
    [message] = payment_messages(order)
    assert message.idempotency_key == f"order:{order.pk}:payment-link:{link.pk}"
    assert message.template_key == "order-payment-link"
    assert link.url in message.body and "A-1" in message.body and "990.00 RUB" in message.body
    assert Event.objects.filter(name="order.payment_link_created", subject_id=order.pk).count() == 1


def test_asking_again_reuses_the_pending_link_one_payment_one_message(world: World, kassa: YooKassaApi,
                                                                      account: PaymentAccount, order: Order) -> None:
    actor = world.actor(world.operator_a)
    first = payment_link_create(actor=actor, order_id=order.pk)
    second = payment_link_create(actor=actor, order_id=order.pk)
    again = create_link(client_for(world.operator_a), order)
    assert second.pk == first.pk and again.json()["id"] == first.pk and again.status_code == 201
    assert len(kassa.payments) == 1 and len(kassa.creates) == 1
    assert PaymentLink.objects.count() == 1 and len(payment_messages(order)) == 1
    # send=False makes a link without a message; the total changed: a new payment for the new amount
    order_upsert(actor=actor, source="shop", external_id="1", data={"items": [{"name": "x", "price": "1500.00"}]})
    third = payment_link_create(actor=actor, order_id=order.pk, send=False)
    assert third.pk != first.pk and third.amount == Decimal("1500.00") and len(kassa.payments) == 2
    assert third.idempotency_key == f"order:{order.pk}:pay:2" and len(payment_messages(order)) == 1


def test_the_webhook_marks_the_order_paid_once_however_often_it_arrives(world: World, kassa: YooKassaApi,
                                                                        account: PaymentAccount, order: Order) -> None:
    link = payment_link_create(actor=world.actor(world.operator_a), order_id=order.pk)
    kassa.succeed(link.provider_payment_id)
    for _ in range(3):
        answer = webhook(account, kassa.notification(link.provider_payment_id))
        assert answer.status_code == 200
    link.refresh_from_db()
    order.refresh_from_db()
    assert link.status == "succeeded" and link.paid_at is not None and order.payment_state == "paid"
    [paid] = Event.objects.filter(name="order.paid")
    assert paid.payload["customer_id"] == order.customer_id and paid.payload["order_id"] == order.pk
    assert (paid.payload["order_number"], paid.payload["amount"]) == ("A-1", "990.00") and paid.payload["summary"]
    assert TimelineEntry.objects.filter(kind="order.paid", customer_id=order.customer_id).count() == 1
    sent = [m for m in payment_messages(order) if m.template_key == "order-paid"]
    assert [m.idempotency_key for m in sent] == [f"order:{order.pk}:paid"]
    assert "A-1" in sent[0].body
    # the verification is YooKassa's own API, asked each time; the body was only read for the id
    assert [r.method for r in kassa.requests].count("GET") == 3
    # a paid order gets no other link
    with pytest.raises(Conflict) as refused:
        payment_link_create(actor=world.actor(world.operator_a), order_id=order.pk)
    assert "order" in refused.value.fields
    assert create_link(client_for(world.operator_a), order).status_code == 409


def test_a_forged_notification_changes_nothing(world: World, kassa: YooKassaApi, account: PaymentAccount,
                                               order: Order) -> None:
    link = payment_link_create(actor=world.actor(world.operator_a), order_id=order.pk)
    events, messages = Event.objects.count(), Message.objects.count()
    forged = json.loads(kassa.notification(link.provider_payment_id))
    forged["event"], forged["object"]["status"], forged["object"]["paid"] = "payment.succeeded", "succeeded", True
    answer = webhook(account, json.dumps(forged).encode())
    assert answer.status_code == 200 and answer.json()["result"] == "unchanged"  # YooKassa says: still pending
    unknown = json.dumps({"type": "notification", "event": "payment.succeeded", "object": {"id": "nope"}}).encode()
    assert webhook(account, unknown).json()["result"] == "unknown"
    assert webhook(account, b"not json").json()["result"] == "ignored"
    link.refresh_from_db()
    order.refresh_from_db()
    assert link.status == "pending" and link.paid_at is None and order.payment_state == "pending"
    assert (Event.objects.count(), Message.objects.count()) == (events, messages)


def test_a_wrong_secret_is_404_and_writes_nothing(world: World, kassa: YooKassaApi, account: PaymentAccount,
                                                  order: Order) -> None:
    link = payment_link_create(actor=world.actor(world.operator_a), order_id=order.pk)
    kassa.succeed(link.provider_payment_id)
    events, requests = Event.objects.count(), len(kassa.requests)
    assert webhook(account, kassa.notification(link.provider_payment_id), secret="wrong").status_code == 404
    missing = Client().post(f"/api/v1/payments/callbacks/9999/{account.callback_secret}", b"{}",
                            content_type="application/json")
    assert missing.status_code == 404
    link.refresh_from_db()
    assert link.status == "pending" and Event.objects.count() == events and len(kassa.requests) == requests


def test_a_payment_for_another_amount_does_not_pay_the_order(world: World, kassa: YooKassaApi,
                                                             account: PaymentAccount, order: Order) -> None:
    link = payment_link_create(actor=world.actor(world.operator_a), order_id=order.pk)
    kassa.succeed(link.provider_payment_id, amount="1.00")
    assert webhook(account, kassa.notification(link.provider_payment_id)).json()["result"] == "mismatch"
    link.refresh_from_db()
    order.refresh_from_db()
    assert link.status == "pending" and order.payment_state == "pending"
    assert not Event.objects.filter(name="order.paid").exists()
    assert not Message.objects.filter(template_key="order-paid").exists()


def test_a_canceled_payment_cancels_the_link_and_the_order_is_unpaid_again(world: World, kassa: YooKassaApi,
                                                                           account: PaymentAccount,
                                                                           order: Order) -> None:
    link = payment_link_create(actor=world.actor(world.operator_a), order_id=order.pk)
    kassa.cancel(link.provider_payment_id)
    assert webhook(account, kassa.notification(link.provider_payment_id)).json()["result"] == "canceled"
    assert webhook(account, kassa.notification(link.provider_payment_id)).json()["result"] == "unchanged"
    link.refresh_from_db()
    order.refresh_from_db()
    assert link.status == "canceled" and order.payment_state == "unpaid"
    assert Event.objects.filter(name="order.payment_canceled").count() == 1
    # the next link is a new payment with a new key
    again = payment_link_create(actor=world.actor(world.operator_a), order_id=order.pk)
    assert again.pk != link.pk and again.idempotency_key == f"order:{order.pk}:pay:2" and len(kassa.payments) == 2


def test_a_provider_error_is_clear_leaves_the_link_retryable_and_sends_nothing(world: World, kassa: YooKassaApi,
                                                                               account: PaymentAccount,
                                                                               order: Order) -> None:
    operator = client_for(world.operator_a)
    kassa.fail_next = 1
    failed = create_link(operator, order)
    assert failed.status_code == 502
    error = failed.json()["error"]
    assert error["code"] == "provider_unavailable" and "HTTP 500" in error["fields"]["provider"]
    assert SECRET not in failed.content.decode()
    link = PaymentLink.objects.get()
    assert (link.status, link.url, link.provider_payment_id) == ("pending", "", "")
    order.refresh_from_db()
    assert order.payment_state == "unpaid" and payment_messages(order) == []
    # YooKassa made the payment but its answer was lost: the retry sends the same key and gets the same payment
    kassa.lose_next_answer = 1
    assert create_link(operator, order).status_code == 502
    ok = create_link(operator, order)
    assert ok.status_code == 201 and ok.json()["id"] == link.pk
    assert len(kassa.payments) == 1 and {r.idempotency_key for r in kassa.creates} == {f"order:{order.pk}:pay:1"}
    assert PaymentLink.objects.count() == 1 and len(payment_messages(order)) == 1


def test_a_refusal_for_good_closes_the_attempt(world: World, kassa: YooKassaApi, account: PaymentAccount,
                                               order: Order) -> None:
    PaymentAccount.objects.filter(pk=account.pk).update(config={**account.config, "secret_key": "revoked"})
    refused = create_link(client_for(world.operator_a), order)
    assert refused.status_code == 409 and "HTTP 401" in refused.json()["error"]["fields"]["provider"]
    assert PaymentLink.objects.get().status == "canceled" and not payment_messages(order)


def test_what_cannot_be_paid_is_refused_with_the_reason(world: World, kassa: YooKassaApi, order: Order) -> None:
    actor = world.actor(world.operator_a)
    with pytest.raises(ValidationFailed) as no_account:
        payment_link_create(actor=actor, order_id=order.pk)
    assert "account_id" in no_account.value.fields
    account = payment_account_save(actor=world.actor(world.admin), provider="yookassa", name="Shop", config={
        "shop_id": "100500", "secret_key": SECRET, "api_url": kassa.url, "return_url": "https://shop.example/"})
    free = order_upsert(actor=actor, source="shop", external_id="2", data={
        "number": "A-2", "customer": {"phone": "+79160000001"}, "items": [{"name": "gift", "price": "0"}]})
    with pytest.raises(ValidationFailed) as zero:
        payment_link_create(actor=actor, order_id=free["id"])
    assert "total" in zero.value.fields
    PaymentAccount.objects.filter(pk=account.pk).update(is_active=False)
    answer = create_link(client_for(world.operator_a), order)
    assert answer.status_code == 400 and "account_id" in answer.json()["error"]["fields"]
    assert not PaymentLink.objects.exists() and not kassa.requests


def test_links_are_branch_work_and_need_orders_edit(world: World, kassa: YooKassaApi, account: PaymentAccount,
                                                    order: Order) -> None:
    assert create_link(client_for(world.operator_b), order).status_code == 404
    assert create_link(client_for(world.consultant_a), order).status_code == 403
    assert client_for(world.operator_b).get(f"/api/v1/orders/{order.pk}/payment-links").status_code == 404
    assert not PaymentLink.objects.exists() and not kassa.requests
    create_link(client_for(world.operator_a), order)
    listed = client_for(world.consultant_a).get(f"/api/v1/orders/{order.pk}/payment-links")
    assert listed.status_code == 200 and [link["status"] for link in listed.json()] == ["pending"]


def test_payment_accounts_api_never_returns_a_secret(world: World, kassa: YooKassaApi) -> None:
    admin = client_for(world.admin)
    created = admin.post("/api/v1/payment-accounts", json.dumps({"provider": "yookassa", "name": "Shop", "config": {
        "shop_id": "100500", "secret_key": SECRET, "return_url": "https://shop.example/"}}),
        content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secrets_set"] == ["secret_key"] and body["config"] == {"shop_id": "100500",
                                                                        "return_url": "https://shop.example/"}
    account = PaymentAccount.objects.get()
    assert body["callback_url"].endswith(f"/api/v1/payments/callbacks/{account.pk}/{account.callback_secret}")
    patched = admin.patch(f"/api/v1/payment-accounts/{account.pk}", json.dumps({
        "config": {"secret_key": "", "api_url": kassa.url}}), content_type="application/json")
    assert patched.status_code == 200, patched.content
    account.refresh_from_db()
    assert account.config["secret_key"] == SECRET and account.config["api_url"] == kassa.url
    listed = admin.get("/api/v1/payment-accounts")
    for answer in (created, patched, listed):
        assert SECRET not in answer.content.decode()
    assert not any(SECRET in str(e.changes) for e in AuditEntry.objects.filter(action="payment_account.save"))
    bad = admin.post("/api/v1/payment-accounts", json.dumps({"provider": "yookassa", "name": "x", "config": {}}),
                     content_type="application/json")
    assert bad.status_code == 400 and "config.shop_id" in bad.json()["error"]["fields"]
    assert client_for(world.manager_a).get("/api/v1/payment-accounts").status_code == 403


def test_the_order_page_button_sends_a_link_and_shows_it(world: World, kassa: YooKassaApi, account: PaymentAccount,
                                                         order: Order) -> None:
    operator = client_for(world.operator_a)
    sent = operator.post(f"/orders/payments/orders/{order.pk}/send-link", follow=True)
    assert sent.redirect_chain[0] == (f"/orders/{order.pk}/", 302)
    link = PaymentLink.objects.get()
    assert b"is on its way to the customer" in sent.content and link.url.encode() in sent.content
    russian = client_for(world.operator_a, language="ru").get(f"/orders/{order.pk}/").content.decode()
    assert "Отправить ссылку на оплату" in russian and "Сумма" in russian
    assert len(payment_messages(order)) == 1
    kassa.fail_next = 1
    order_upsert(actor=world.actor(world.admin), source="shop", external_id="1",
                 data={"items": [{"name": "x", "price": "10.00"}]})
    failed = operator.post(f"/orders/payments/orders/{order.pk}/send-link", follow=True)
    assert b"did not answer" in failed.content
    assert client_for(world.consultant_a).post(f"/orders/payments/orders/{order.pk}/send-link").status_code == 403
    assert client_for(world.operator_b).post(f"/orders/payments/orders/{order.pk}/send-link").status_code == 404
    request = RequestFactory().get("/")
    request.user = world.consultant_a
    html = render_to_string("orders/payments/_order_payments.html", {"order": order, "can_edit": False},
                            request=request)
    assert link.url in html and "send-payment-link" not in html


def test_the_payment_accounts_page_keeps_secrets_write_only(world: World, kassa: YooKassaApi) -> None:
    admin = client_for(world.admin)
    assert admin.get("/orders/payments/accounts/").status_code == 200
    form = admin.get("/orders/payments/accounts/new/?provider=yookassa")
    assert form.status_code == 200 and b'name="config_secret_key"' in form.content
    refused = admin.post("/orders/payments/accounts/new/", {"provider": "yookassa", "name": "Shop"})
    assert refused.status_code == 200 and b"required" in refused.content and not PaymentAccount.objects.exists()
    saved = admin.post("/orders/payments/accounts/new/", {
        "provider": "yookassa", "name": "Shop", "config_shop_id": "100500", "config_secret_key": SECRET,
        "config_return_url": "https://shop.example/", "is_active": "on"})
    assert saved.status_code == 302
    account = PaymentAccount.objects.get()
    edit = admin.get(f"/orders/payments/accounts/{account.pk}/")
    assert SECRET.encode() not in edit.content and b"leave empty to keep" in edit.content
    listing = admin.get("/orders/payments/accounts/")
    assert f"/api/v1/payments/callbacks/{account.pk}/{account.callback_secret}".encode() in listing.content
    admin.post(f"/orders/payments/accounts/{account.pk}/", {"name": "Shop 2", "config_shop_id": "100500",
                                                            "config_secret_key": "",
                                                            "config_return_url": "https://shop.example/"})
    account.refresh_from_db()
    assert account.config["secret_key"] == SECRET and account.name == "Shop 2" and not account.is_active
    assert client_for(world.manager_a).get("/orders/payments/accounts/").status_code == 403
    russian = client_for(world.admin, language="ru").get("/orders/payments/accounts/")
    assert "Платёжные аккаунты" in russian.content.decode()


def test_the_provider_folder_is_discovered_and_parses_only_payment_notifications() -> None:
    assert "yookassa" in KNOWN
    assert YOOKASSA.parse_webhook(b'{"type": "notification", "event": "payment.succeeded", "object": {"id": "p1"}}') \
        == "p1"
    assert YOOKASSA.parse_webhook(b'{"type": "notification", "event": "refund.succeeded", "object": {"id": "r"}}') \
        is None
    assert YOOKASSA.parse_webhook(b"[]") is None and YOOKASSA.parse_webhook(b"\xff") is None


@pytest.mark.django_db(transaction=True)
def test_the_provider_is_called_with_no_transaction_open_and_the_key_committed_first(
        world: World, kassa: YooKassaApi, account: PaymentAccount, monkeypatch: pytest.MonkeyPatch) -> None:
    restore_shipped()  # an earlier transactional test flushed the shipped flows and templates
    order = make_order(world)
    seen: list[tuple[bool, bool]] = []
    create = YOOKASSA.create

    def watched(account: Any, **kwargs: Any) -> Any:
        committed = PaymentLink.objects.filter(idempotency_key=kwargs["idempotency_key"]).exists()
        seen.append((transaction.get_connection().in_atomic_block, committed))
        return create(account, **kwargs)

    monkeypatch.setattr(YOOKASSA, "create", watched)
    payment_link_create(actor=world.actor(world.operator_a), order_id=order.pk)
    assert seen == [(False, True)]
