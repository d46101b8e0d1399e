"""Five copies of one status at the same moment, from five connections: one change, one message (PostgreSQL's row
locks; SQLite's single writer gives the same result by queueing them)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.db import connection

from conftest import World
from regulars.messaging.models import Message
from regulars.orders.models import Order, StatusChange
from regulars.orders.services import order_status_set, order_upsert, orders_status_batch
from regulars.platform.actor import Actor

from .conftest import order_doc
from .shipped import restore_shipped

pytestmark = [pytest.mark.django_db(transaction=True)]
SHOP = Actor.system("shop")


@pytest.fixture(autouse=True)
def _shipped(db: None) -> Iterator[None]:
    restore_shipped()
    yield


def _at_once(count: int, work: object) -> list[object]:
    barrier = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


def test_the_same_status_five_times_concurrently_is_one_change_and_one_message(world: World) -> None:
    order_upsert(actor=SHOP, source="shop", external_id="1", data=order_doc())
    order = Order.objects.get()
    results = _at_once(5, lambda: order_status_set(actor=SHOP, source="shop", external_id="1",
                                                   status="handed_to_courier"))
    assert sorted(r["status_applied"] for r in results) == [False, False, False, False, True]  # type: ignore[index]
    assert StatusChange.objects.filter(order=order, status__code="handed_to_courier").count() == 1
    assert Message.objects.filter(idempotency_key=f"order:{order.pk}:status:handed_to_courier").count() == 1


def test_the_same_new_order_five_times_concurrently_is_one_order_and_one_customer(world: World) -> None:
    results = _at_once(5, lambda: order_upsert(actor=SHOP, source="shop", external_id="7", data=order_doc()))
    assert sorted(r["created"] for r in results) == [False, False, False, False, True]  # type: ignore[index]
    order = Order.objects.get()
    assert order.customer.contacts.count() == 1
    assert Message.objects.filter(idempotency_key=f"order:{order.pk}:status:new").count() == 1
    assert connection.vendor in {"postgresql", "sqlite"}


def test_two_batches_over_the_same_orders_at_once_apply_each_status_once_and_never_deadlock(world: World) -> None:
    for n in range(20):
        order_upsert(actor=SHOP, source="shop", external_id=str(n),
                     data=order_doc(number=f"A-{n}", customer={"phone": f"+791600000{n:02d}"}))
    forward = [{"external_id": str(n), "status": "confirmed"} for n in range(20)]
    backward = list(reversed(forward))  # the other order of rows: locks are taken in id order, not this one
    batches = iter([forward, backward, forward, backward])
    lock = threading.Lock()

    def work() -> object:
        with lock:
            batch = next(batches)
        return orders_status_batch(actor=SHOP, source="shop", statuses=batch)

    answers = _at_once(4, work)
    applied = [a for batch in answers for a in batch if a["status_applied"]]  # type: ignore[attr-defined]
    assert len(applied) == 20
    assert StatusChange.objects.filter(status__code="confirmed").count() == 20
    assert Message.objects.filter(idempotency_key__endswith=":status:confirmed").count() == 20
