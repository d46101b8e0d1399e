"""Demo orders: work orders of the workshops and parts orders of the network's e-shop, moved through their steps
by the orders services at past times, so the cards show orders, pickup rates and the messages they caused."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F

from regulars.messaging.models import Message
from regulars.orders.services import order_upsert, orders_status_batch
from regulars.platform.actor import Actor

from .data import SERVICES

PARTS = [("Масляный фильтр", "Фильтры", 890), ("Колодки тормозные", "Тормоза", 3490),
         ("Щётки стеклоочистителя", "Аксессуары", 1290), ("Масло 5W-30, 4 л", "Масла", 3990),
         ("Лампа H7", "Электрика", 450), ("Антифриз, 5 л", "Жидкости", 1590)]
ESHOP_PATHS = [["confirmed", "assembled", "handed_to_courier", "delivered", "picked_up"]] * 6 + [
    ["confirmed", "assembled", "handed_to_courier", "delivered", "not_picked_up", "returned"],
    ["confirmed", "assembled"], ["cancelled"]]
SERVICE_PATH = ["in_repair", "ready", "issued"]


@dataclass
class _Plan:
    actor: Actor
    source: str
    external_id: str
    placed: datetime
    data: dict[str, Any]
    path: list[str]


def seed_orders(rng: random.Random, customers: list[tuple[int, int, datetime]], branch_codes: dict[int, str],
                now: datetime) -> int:
    """customers: (id, home branch id, card created at). Returns how many orders were created."""
    shop, workshop = Actor.system("e-shop"), Actor.system("1c")
    plans: list[_Plan] = []
    for customer_id, branch_id, since in customers:
        span = now - since
        if rng.random() < 0.35:
            service, price = rng.choice(SERVICES)
            plans.append(_Plan(workshop, "1c", f"ZN-{customer_id:05d}", since + span * rng.uniform(0.2, 0.95), {
                "flow": "service", "branch": branch_codes[branch_id], "customer": {"id": customer_id},
                "items": [{"name": service, "category": "Работы", "price": price}]},
                SERVICE_PATH[:rng.choice([1, 2, 3, 3, 3])]))
        if rng.random() < 0.25:
            for n in range(rng.choice([1, 1, 2, 3])):
                items = [{"sku": f"P{rng.randrange(1000, 9999)}", "name": name, "category": category,
                          "quantity": rng.choice([1, 1, 2]), "price": price}
                         for name, category, price in rng.sample(PARTS, rng.randint(1, 3))]
                plans.append(_Plan(shop, "shop", f"{customer_id:05d}-{n}", since + span * rng.uniform(0.1, 0.95), {
                    "customer": {"id": customer_id}, "items": items, "delivery_method": "Пункт выдачи",
                    "pickup_point": "ПВЗ «Регулярс», ул. Сущёвский Вал, 5",
                    "shipments": [{"carrier": "СДЭК", "tracking_number": f"10{rng.randrange(10**8, 10**9)}",
                                   "courier_name": "Алексей", "courier_phone": "+79031234567"}]},
                    rng.choice(ESHOP_PATHS)))
    # A few customers who rarely collect their parcels: the low-pickup rule flags their cards.
    for customer_id, _branch, since in rng.sample(customers, min(3, len(customers))):
        for n, path in enumerate([ESHOP_PATHS[6], ESHOP_PATHS[6], ESHOP_PATHS[0]]):
            plans.append(_Plan(shop, "shop", f"{customer_id:05d}-r{n}", since + (now - since) * (0.3 + 0.2 * n), {
                "customer": {"id": customer_id}, "items": [{"name": PARTS[n][0], "category": PARTS[n][1],
                                                            "price": PARTS[n][2]}],
                "delivery_method": "Пункт выдачи", "pickup_point": "ПВЗ «Регулярс», ул. Сущёвский Вал, 5"}, path))
    _play(plans, now)
    return len(plans)


def _play(plans: list[_Plan], now: datetime) -> None:
    """The orders arrive, then each step arrives for all of them in one batch per source, as an ERP's exchange
    sends it; the steps of one order are spread over its life, a few hours to a couple of days apart."""
    for plan in plans:
        order_upsert(actor=plan.actor, source=plan.source, external_id=plan.external_id,
                     data={**plan.data, "number": plan.external_id, "placed_at": plan.placed.isoformat(),
                           "status_changed_at": plan.placed.isoformat()})
    _delivered_back_then()
    for k in range(max(len(p.path) for p in plans)):
        batches: dict[tuple[str, str], tuple[Actor, list[dict[str, Any]]]] = {}
        for plan in (p for p in plans if len(p.path) > k):
            room = (now - plan.placed) / (len(plan.path) + 1)
            step = min(timedelta(hours=random.Random(plan.external_id).randint(3, 60)), room)  # noqa: S311
            batches.setdefault((plan.actor.label, plan.source), (plan.actor, []))[1].append(
                {"external_id": plan.external_id, "status": plan.path[k], "changed_at": plan.placed + step * (k + 1)})
        for (_label, source), (actor, statuses) in batches.items():
            for start in range(0, len(statuses), 500):
                orders_status_batch(actor=actor, source=source, statuses=statuses[start:start + 500])
        _delivered_back_then()


def _delivered_back_then() -> None:
    """Seeding only: what the steps queued was sent and delivered back then, before the next step (so the demo shows
    delivered messages, not messages withdrawn by the step that came next), and the worker sends no past."""
    Message.objects.filter(source__startswith="order:", status="queued").update(
        status="delivered", created_at=F("due_at"), sent_at=F("due_at"), delivered_at=F("due_at"),
        finished_at=F("due_at"))
