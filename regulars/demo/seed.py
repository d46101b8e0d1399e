"""The demo auto-service network, built through the same services the UI and the API use.

Deterministic: the same seed gives the same branches, staff, customers, phones and history, so tests and
screenshots repeat.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from regulars.customers import services as customers
from regulars.customers.models import TimelineEntry
from regulars.messaging.services import template_save
from regulars.orders.models import Flow
from regulars.orders.services import flow_default_set
from regulars.org.services import branch_create, staff_create
from regulars.platform.actor import Actor
from regulars.platform.events import publish

from . import DEMO_PASSWORD
from .data import (
    BLACKLIST_REASONS,
    CARS,
    FEMALE_FIRST,
    LAST,
    MAIL_DOMAINS,
    MALE_FIRST,
    NOTES,
    PATRONYMIC,
    PLATE_LETTERS,
    PLATE_REGIONS,
    RISK_REASONS,
    SERVICES,
    TAGS,
    TRANSLIT,
    VIN_CHARS,
)
from .orders import seed_orders

SEED = 2026
HOURS = {day: [["09:00", "21:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}
HOURS["sun"] = [["10:00", "18:00"]]
BRANCHES = [
    ("Автосервис на Варшавке", "varshavka", "Москва, Варшавское шоссе, 118к1", "+7 495 120-11-01"),
    ("Автосервис на Профсоюзной", "profsoyuznaya", "Москва, Профсоюзная ул., 65", "+7 495 120-11-02"),
    ("Автосервис в Мытищах", "mytishchi", "Мытищи, Олимпийский пр-т, 29", "+7 495 120-11-03"),
]
# (login, role, position, first name, last name, branch indexes)
STAFF = [
    ("admin", "admin", "Владелец сети", "Анна", "Соколова", [0, 1, 2]),
    ("manager1", "manager", "Управляющий", "Денис", "Крылов", [0]),
    ("manager2", "manager", "Управляющий", "Елена", "Гаврилова", [1]),
    ("manager3", "manager", "Управляющий", "Роман", "Титов", [2]),
    ("operator", "operator", "Оператор колл-центра", "Илья", "Морозов", [0, 1, 2]),
    ("operator2", "operator", "Оператор колл-центра", "Мария", "Белова", [0, 1, 2]),
    ("operator3", "operator", "Оператор колл-центра", "Ксения", "Дьячкова", [0]),
    ("operator4", "operator", "Оператор колл-центра", "Олег", "Марков", [2]),
    ("master1", "consultant", "Мастер-консультант", "Сергей", "Жуков", [0]),
    ("master2", "consultant", "Мастер-консультант", "Артём", "Киселев", [1]),
    ("master3", "consultant", "Мастер-консультант", "Виктор", "Комаров", [2]),
    ("marketer", "marketer", "Маркетолог", "Юлия", "Романова", [0, 1, 2]),
]
FIRST_PHONE_PREFIXES = ["916", "926", "903", "905", "915", "925", "985", "977", "999", "965"]
SECOND_PHONE_PREFIXES = ["901", "904", "906", "909", "910"]
# Kinds the services write with "now"; the seed moves them back to the customer's creation time.
SEEDED_NOW_KINDS = ["customer.created", "contact.added", "consent.given", "consent.revoked", "asset.added",
                    "flag.set", "note.added"]


def person(rng: random.Random) -> dict[str, str]:
    female = rng.random() < 0.42
    male_patronymic, female_patronymic = rng.choice(PATRONYMIC)
    last = rng.choice(LAST)
    return {
        "first_name": rng.choice(FEMALE_FIRST if female else MALE_FIRST),
        "last_name": last + "а" if female else last,
        "middle_name": female_patronymic if female else male_patronymic,
    }


def phone(index: int, prefixes: list[str], offset: int) -> str:
    """Unique per index: 7919 is coprime with 10^7, so the suffixes never repeat below 10^7 customers."""
    return f"+7{prefixes[index % len(prefixes)]}{(index * 7919 + offset) % 10_000_000:07d}"


def latin(text: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in text.lower())


def vehicle(rng: random.Random) -> dict[str, Any]:
    make, model, wmi = rng.choice(CARS)
    letters = "".join(rng.choice(PLATE_LETTERS) for _ in range(3))
    return {
        "make": make,
        "model": model,
        "year": rng.randint(2008, 2024),
        "vin": wmi + "".join(rng.choice(VIN_CHARS) for _ in range(14)),
        "plate": f"{letters[0]}{rng.randint(1, 999):03d}{letters[1:]}{rng.choice(PLATE_REGIONS)}",
        "mileage": rng.randint(5, 250) * 1000,
    }


def customer_plan(rng: random.Random, index: int, now: datetime) -> dict[str, Any]:
    """Everything about one demo customer, decided before anything is written."""
    who = person(rng)
    created = now - timedelta(days=rng.randint(20, 400), minutes=rng.randint(0, 600))
    data: dict[str, Any] = {
        **who,
        "phones": [phone(index, FIRST_PHONE_PREFIXES, 1_000_003)]
        + ([phone(index, SECOND_PHONE_PREFIXES, 5_000_011)] if rng.random() < 0.2 else []),
        "emails": [f"{latin(who['first_name'])}.{latin(who['last_name'])}{index}@{rng.choice(MAIL_DOMAINS)}"]
        if rng.random() < 0.6 else [],
        "telegram": [f"{latin(who['first_name'])}_{index}"] if rng.random() < 0.3 else [],
        "birthday": date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28)),
        "preferred_channels": rng.choice([["sms"], ["telegram", "sms"], ["sms", "email"], ["whatsapp", "sms"]]),
        "tags": rng.sample(TAGS, 1) if rng.random() < 0.25 else [],
        "created_at": created,
    }
    consents = []
    if rng.random() < 0.9:
        consents.append({"channel": "sms", "purpose": "service", "granted": True, "source": "Анкета в сервисе"})
    if rng.random() < 0.5:
        consents += [{"channel": ch, "purpose": "marketing", "granted": True, "source": "Анкета в сервисе"}
                     for ch in ("sms", "telegram")]
    data["consents"] = consents
    return data


# What an auto service tells its customers; the marketer edits them under Messages → Templates.
TEMPLATES = [
    ("car_ready", "Машина готова", "sms", "service", "",
     "{{ customer.first_name }}, ваш автомобиль готов. Ждём вас: {{ branch.name }}, {{ branch.phone }}."),
    ("car_ready", "Машина готова", "email", "service", "Ваш автомобиль готов",
     "Здравствуйте, {{ customer.first_name }}!\n\nАвтомобиль готов, его можно забрать в филиале {{ branch.name }} "
     "({{ branch.address }}).\nТелефон: {{ branch.phone }}."),
    ("season_tyres", "Сезонная смена шин", "sms", "marketing", "",
     "{{ customer.first_name }}, пора менять шины: запишитесь в {{ branch.name }} по {{ branch.phone }}."),
]


def seed(*, customers_count: int = 2000, stdout: Any = None) -> dict[str, int]:
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    started = time.monotonic()
    system = Actor.system("demo")
    now = timezone.now()
    with transaction.atomic():
        branches = [branch_create(actor=system, name=name, code=code, address=address, phone=tel,
                                  time_zone="Europe/Moscow", working_hours=HOURS)
                    for name, code, address, tel in BRANCHES]
        staff = [staff_create(actor=system, username=login, password=DEMO_PASSWORD, role=role, position=position,
                              first_name=first, last_name=last, branch_ids=[branches[i].pk for i in indexes],
                              email=f"{login}@regulars.demo")
                 for login, role, position, first, last, indexes in STAFF]
        operators = [s for s in staff if s.role == "operator"]
        masters = [s for s in staff if s.role == "consultant"]
        counts = {"branches": len(branches), "staff": len(staff), "customers": 0, "vehicles": 0, "events": 0}
        created_at: dict[int, datetime] = {}
        cards: list[tuple[int, int, datetime]] = []
        for index in range(customers_count):
            plan = customer_plan(rng, index, now)
            branch_index = rng.randrange(len(branches))
            master = masters[branch_index]
            customer = customers.customer_create(
                actor=system, home_branch_id=branches[branch_index].pk,
                responsible_id=master.pk if rng.random() < 0.3 else None, **plan)
            created_at[customer.pk] = plan["created_at"]
            cards.append((customer.pk, branches[branch_index].pk, plan["created_at"]))
            counts["customers"] += 1
            if rng.random() < 0.9:
                for _ in range(1 if rng.random() < 0.8 else 2):
                    customers.asset_add(actor=system, customer_id=customer.pk, type="vehicle", data=vehicle(rng))
                    counts["vehicles"] += 1
            roll = rng.random()
            if roll < 0.01:
                customers.flag_set(actor=system, customer_id=customer.pk, kind="blacklist",
                                   reason=rng.choice(BLACKLIST_REASONS))
            elif roll < 0.04:
                customers.flag_set(actor=system, customer_id=customer.pk, kind="risk", reason=rng.choice(RISK_REASONS))
            if rng.random() < 0.2:
                customers.note_add(actor=system, customer_id=customer.pk, text=rng.choice(NOTES))
            counts["events"] += _history(rng, customer.pk, branches[branch_index].pk, plan["created_at"], now,
                                         operators, master)
            if stdout and (index + 1) % 500 == 0:
                stdout.write(f"  {index + 1} customers…\n")
        _backdate(created_at)
        counts["orders"] = seed_orders(rng, cards, {b.pk: b.code for b in branches}, now)
        # An auto-service network: an order without a flow of its own is a car in repair, not a parcel.
        workshop = Flow.objects.filter(key="service").first()
        if workshop is not None:
            flow_default_set(actor=system, flow_id=workshop.pk)
        for key, name, channel, purpose, subject, body in TEMPLATES:
            template_save(actor=system, key=key, name=name, channel=channel, purpose=purpose, subject=subject,
                          body=body)
        counts["templates"] = len(TEMPLATES)
    counts["seconds"] = round(time.monotonic() - started)
    return counts


def _history(rng: random.Random, customer_id: int, branch_id: int, since: datetime, now: datetime,
             operators: list[Any], master: Any) -> int:
    """Calls and visits spread between the customer's first contact and today."""
    span = (now - since).total_seconds()
    published = 0
    for _ in range(rng.randint(2, 6)):
        at = since + timedelta(seconds=rng.uniform(0.05, 0.98) * span)
        operator = rng.choice(operators)
        roll = rng.random()
        if roll < 0.45:
            seconds = rng.randint(60, 540)
            name, actor = "call.ended", Actor(user_id=operator.pk, label=operator.username)
            payload = {"summary": f"Входящий звонок, {seconds // 60} мин {seconds % 60:02d} с",
                       "duration_seconds": seconds, "operator": str(operator)}
        elif roll < 0.6:
            name, actor = "call.missed", Actor.system("pbx")
            payload = {"summary": "Пропущенный входящий"}
        else:
            service, price = rng.choice(SERVICES)
            name, actor = "visit.completed", Actor(user_id=master.pk, label=master.username)
            payload = {"summary": f"{service} · {price:,} ₽".replace(",", " "), "service": service, "amount": price}
        publish(name, subject_type="customer", subject_id=customer_id, actor=actor, occurred_at=at,
                payload={"customer_id": customer_id, "branch_id": branch_id, **payload})
        published += 1
    return published


def _backdate(created_at: dict[int, datetime]) -> None:
    """Seeding only: entries the services wrote with the current time move to when the customer came to us."""
    by_time: dict[datetime, list[int]] = {}
    for customer_id, at in created_at.items():
        by_time.setdefault(at, []).append(customer_id)
    for at, ids in by_time.items():
        TimelineEntry.objects.filter(customer_id__in=ids, kind__in=SEEDED_NOW_KINDS).update(occurred_at=at)
