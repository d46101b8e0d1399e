"""The demo network loads through the real services, repeats exactly, and never loads twice."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from regulars.customers.fields import vin_problem
from regulars.customers.models import Asset, ContactPoint, Customer, TimelineEntry
from regulars.demo.seed import SEED, customer_plan
from regulars.messaging.models import Template
from regulars.orders.models import Flow
from regulars.org.models import Branch, Staff


def plan_digest(count: int) -> str:
    rng = random.Random(SEED)
    now = datetime(2026, 1, 1, tzinfo=timezone.get_current_timezone())
    plans = [customer_plan(rng, i, now) for i in range(count)]
    return hashlib.sha256(repr([(p["last_name"], p["first_name"], p["phones"]) for p in plans]).encode()).hexdigest()


def test_the_plan_is_deterministic() -> None:
    assert plan_digest(50) == plan_digest(50)


@pytest.mark.django_db
def test_demo_loads_a_consistent_network() -> None:
    call_command("demo", customers=30)
    assert Branch.objects.count() == 3
    assert Staff.objects.count() == 12
    assert Customer.objects.count() == 30
    assert sorted(Template.objects.exclude(key__startswith="order-").values_list("key", "channel")) == [
        ("car_ready", "email"), ("car_ready", "sms"), ("season_tyres", "sms")]
    assert all(c.contacts.filter(kind="phone").exists() for c in Customer.objects.all())
    assert ContactPoint.objects.filter(kind="phone").values("value").distinct().count() == ContactPoint.objects.filter(
        kind="phone").count()
    assert all(vin_problem(a.data["vin"]) is None for a in Asset.objects.all())
    assert not TimelineEntry.objects.filter(occurred_at__gt=timezone.now()).exists()
    assert list(Flow.objects.filter(is_default=True).values_list("key", flat=True)) == ["service"]
    for customer in Customer.objects.all():
        first = TimelineEntry.objects.filter(customer=customer).order_by("occurred_at", "id").first()
        assert first is not None and first.kind == "customer.created"


@pytest.mark.django_db
def test_if_empty_does_nothing_on_a_database_with_customers() -> None:
    call_command("demo", customers=5)
    counts = (Customer.objects.count(), Staff.objects.count(), TimelineEntry.objects.count())
    call_command("demo", if_empty=True)
    assert (Customer.objects.count(), Staff.objects.count(), TimelineEntry.objects.count()) == counts
