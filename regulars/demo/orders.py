"""Demo orders: work orders of the workshops and parts orders of the network's e-shop, moved through their steps
by the orders services at past times, so the cards show orders, pickup rates and the messages they caused."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F

from regulars.messaging.models import Message
from regulars.orders.services import order_status_set, order_upsert
from regulars.platform.actor import Actor

from .data import SERVICES

PARTS = [("Масляный фильтр", "Фильтры", 890), ("Колодки тормозные", "Тормоза", 3490),
         ("Щётки стеклоочистителя", "Аксессуары", 1290), ("Масло 5W-30, 4 л", "Масла", 3990),
         ("Лампа H7", "Электрика", 450), ("Антифриз, 5 л", "Жидкости", 1590)]
ESHOP_PATHS = [["confirmed", "assembled", "handed_to_courier", "delivered", "picked_up"]] * 6 + [
    ["confirmed", "assembled", "handed_to_courier", "delivered", "not_picked_up", "returned"],
    ["confirmed", "assembled"], ["cancelled"]]
SERVICE_PATH = ["in_repair", "ready", "issued"]


def seed_orders(rng: random.Random, customers: list[tuple[int, int, datetime]], branch_codes: dict[int, str],
                now: datetime) -> int:
    """customers: (id, home branch id, card created at). Returns how many orders were created."""
    shop, workshop = Actor.system("e-shop"), Actor.system("1c")
    count = 0
    for customer_id, branch_id, since in customers:
        span = now - since
        if rng.random() < 0.35:
            service, price = rng.choice(SERVICES)
            count += _order(workshop, "1c", f"ZN-{customer_id:05d}", since + span * rng.uniform(0.2, 0.95), {
                "flow": "service", "branch": branch_codes[branch_id], "customer": {"id": customer_id},
                "items": [{"name": service, "category": "Работы", "price": price}]},
                SERVICE_PATH[:rng.choice([1, 2, 3, 3, 3])])
        if rng.random() < 0.25:
            for n in range(rng.choice([1, 1, 2, 3])):
                items = [{"sku": f"P{rng.randrange(1000, 9999)}", "name": name, "category": category,
                          "quantity": rng.choice([1, 1, 2]), "price": price}
                         for name, category, price in rng.sample(PARTS, rng.randint(1, 3))]
                count += _order(shop, "shop", f"{customer_id:05d}-{n}", since + span * rng.uniform(0.1, 0.95), {
                    "customer": {"id": customer_id}, "items": items, "delivery_method": "Пункт выдачи",
                    "pickup_point": "ПВЗ «Регулярс», ул. Сущёвский Вал, 5",
                    "shipments": [{"carrier": "СДЭК", "tracking_number": f"10{rng.randrange(10**8, 10**9)}",
                                   "courier_name": "Алексей", "courier_phone": "+79031234567"}]},
                    rng.choice(ESHOP_PATHS))
    # A few customers who rarely collect their parcels: the low-pickup rule flags their cards.
    for customer_id, _branch, since in rng.sample(customers, min(3, len(customers))):
        for n, path in enumerate([ESHOP_PATHS[6], ESHOP_PATHS[6], ESHOP_PATHS[0]]):
            count += _order(shop, "shop", f"{customer_id:05d}-r{n}", since + (now - since) * (0.3 + 0.2 * n), {
                "customer": {"id": customer_id}, "items": [{"name": PARTS[n][0], "category": PARTS[n][1],
                                                            "price": PARTS[n][2]}],
                "delivery_method": "Пункт выдачи", "pickup_point": "ПВЗ «Регулярс», ул. Сущёвский Вал, 5"}, path)
    return count


def _delivered_back_then(order_id: int) -> None:
    """Seeding only: what a step queued was sent and delivered back then, before the next step (so the demo shows
    delivered messages, not messages withdrawn by a step that came seconds later), and the worker sends no past."""
    Message.objects.filter(source=f"order:{order_id}", status="queued").update(
        status="delivered", created_at=F("due_at"), sent_at=F("due_at"), delivered_at=F("due_at"),
        finished_at=F("due_at"))


def _order(actor: Actor, source: str, external_id: str, placed: datetime, data: dict[str, Any],
           path: list[str]) -> int:
    order_id = order_upsert(actor=actor, source=source, external_id=external_id,
                            data={**data, "number": external_id, "placed_at": placed.isoformat(),
                                  "status_changed_at": placed.isoformat()})["id"]
    _delivered_back_then(order_id)
    # the steps spread over the time since the order was placed, a few hours to a couple of days apart
    room = (datetime.now(tz=placed.tzinfo) - placed) / (len(path) + 1)
    step = min(timedelta(hours=random.Random(external_id).randint(3, 60)), room)  # noqa: S311 - demo data
    at = placed
    for status in path:
        at += step
        order_status_set(actor=actor, source=source, external_id=external_id, status=status, changed_at=at)
        _delivered_back_then(order_id)
    return 1
