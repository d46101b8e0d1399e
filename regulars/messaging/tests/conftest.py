"""Fixtures of the messaging tests: a customer, the stand-in gateway and SMTP sink, a fixed daytime clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from conftest import World
from regulars.customers.models import Customer
from regulars.customers.services import customer_create

from .helpers import NOON
from .standins import SmsGateway, SmtpSink


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The clock stands still at NOON until the test moves it."""
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ivan(world: World) -> Customer:
    return customer_create(actor=world.actor(world.admin), first_name="Иван", last_name="Петров",
                           phones=["+79160000001"], emails=["ivan@example.com"])


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with SmsGateway(api_id="k") as server:
        yield server


@pytest.fixture(params=[False, True], ids=["one-command-at-a-time", "pipelining"])
def sink(request: pytest.FixtureRequest) -> Iterator[SmtpSink]:
    """Every e-mail test runs against a server without PIPELINING (smtplib's own exchange) and one with it."""
    with SmtpSink(pipelining=request.param) as server:
        yield server
