"""The sending rules, checked when the worker sends and not only when a message is queued: consent, blacklist,
quiet hours in the customer's zone, deadlines, caps, fallback, and never the same message twice."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import World
from regulars.customers.models import Customer, TimelineEntry
from regulars.customers.services import consent_set, customer_create, flag_set
from regulars.messaging import services
from regulars.messaging.dispatch import messages_dispatch_due
from regulars.messaging.models import Message, MessagingPolicy, Template
from regulars.messaging.rules import in_quiet_hours, next_allowed, sms_segments
from regulars.platform.actor import Actor
from regulars.platform.errors import ValidationFailed
from regulars.platform.models import Event

SYSTEM = Actor.system("test")
MOSCOW = ZoneInfo("Europe/Moscow")
NOON = dt.datetime(2026, 12, 1, 12, 0, tzinfo=MOSCOW)  # outside the default quiet hours (21:00–09:00)


def _customer(**kwargs: Any) -> Customer:
    defaults: dict[str, Any] = {"first_name": "Иван", "last_name": "Петров", "emails": ["ivan@example.com"],
                                "phones": ["+79160000001"], "time_zone": "Europe/Moscow"}
    return customer_create(actor=SYSTEM, **(defaults | kwargs))


def _marketing_consent(customer: Customer, channel: str, granted: bool = True) -> None:
    consent_set(actor=SYSTEM, customer_id=customer.pk, channel=channel, purpose="marketing", granted=granted,
                source="test")


def _send(customer: Customer, key: str = "k1", **kwargs: Any) -> Message:
    params: dict[str, Any] = {"channel": "email", "text": "Здравствуйте, {{ customer.first_name }}!"} | kwargs
    message, _created = services.message_send(actor=SYSTEM, customer_id=customer.pk, idempotency_key=key, **params)
    return message


def _drain() -> int:
    total = 0
    while taken := messages_dispatch_due(worker_id="test-worker"):
        total += taken
    return total


@pytest.fixture(autouse=True)
def _at_noon() -> Any:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


pytestmark = pytest.mark.django_db


def test_a_service_email_is_rendered_sent_once_and_on_the_timeline(world: World) -> None:
    customer = _customer()
    message = _send(customer)
    assert (message.status, message.to, message.body) == ("queued", "ivan@example.com", "Здравствуйте, Иван!")
    assert _drain() == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at is not None and message.provider == "email"
    assert [m.to for m in mail.outbox] == [["ivan@example.com"]] and mail.outbox[0].body == "Здравствуйте, Иван!"
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers  # service mail carries no unsubscribe header
    entry = TimelineEntry.objects.get(customer=customer, kind="message.sent")
    assert entry.summary == "E-mail: Здравствуйте, Иван!"
    # the same key again: the first message, nothing queued, nothing sent
    again, created = services.message_send(actor=SYSTEM, customer_id=customer.pk, idempotency_key="k1",
                                           channel="email", text="другой текст")
    assert (again.pk, created) == (message.pk, False)
    assert _drain() == 0 and len(mail.outbox) == 1 and Message.objects.count() == 1


def test_advertising_needs_consent_in_that_channel_and_falls_back_to_one_that_has_it(world: World) -> None:
    customer = _customer(preferred_channels=["sms", "email"])
    _marketing_consent(customer, "email")
    first = _send(customer, channel="", purpose="marketing", text="Скидка 10 %")
    assert first.channel == "sms" and first.next_channels[0] == "email"
    _drain()
    first.refresh_from_db()
    assert (first.status, first.status_reason) == ("suppressed", "no advertising consent in this channel")
    fallback = Message.objects.get(fallback_of=first)
    assert (fallback.channel, fallback.status, fallback.body) == ("email", "sent", "Скидка 10 %")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    kinds = list(TimelineEntry.objects.filter(customer=customer, kind__startswith="message.")
                 .order_by("id").values_list("kind", flat=True))
    assert kinds == ["message.suppressed", "message.sent"]  # the card shows both


def test_a_consent_revoked_after_queueing_stops_the_message(world: World) -> None:
    customer = _customer()
    _marketing_consent(customer, "email")
    message = _send(customer, purpose="marketing")
    _marketing_consent(customer, "email", granted=False)
    _drain()
    message.refresh_from_db()
    assert message.status == "suppressed" and mail.outbox == []


def test_nothing_goes_to_a_blacklisted_customer_not_even_service(world: World) -> None:
    customer = _customer(preferred_channels=["email", "sms"])
    flag_set(actor=SYSTEM, customer_id=customer.pk, kind="blacklist", reason="fraud")
    message = _send(customer, channel="")
    _drain()
    message.refresh_from_db()
    assert (message.status, message.status_reason) == ("suppressed", "the customer is blacklisted")
    assert not Message.objects.filter(fallback_of=message).exists() and mail.outbox == []


def test_at_night_a_message_waits_for_the_morning_in_the_customers_zone(world: World, _at_noon: Any) -> None:
    customer = _customer(time_zone="Asia/Yekaterinburg")  # UTC+5: 23:30 there is 21:30 in Moscow
    _at_noon.move_to(dt.datetime(2026, 12, 1, 23, 30, tzinfo=ZoneInfo("Asia/Yekaterinburg")))
    message = _send(customer)
    _drain()
    message.refresh_from_db()
    morning = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Asia/Yekaterinburg"))
    assert (message.status, message.due_at, message.attempts) == ("queued", morning, 0)
    assert mail.outbox == []
    _at_noon.move_to(morning + dt.timedelta(minutes=1))
    _drain()
    message.refresh_from_db()
    assert message.status == "sent" and len(mail.outbox) == 1


def test_a_message_past_its_deadline_expires_instead_of_arriving_late(world: World, _at_noon: Any) -> None:
    customer = _customer()
    message = _send(customer, send_by=NOON + dt.timedelta(minutes=30))
    _at_noon.move_to(NOON + dt.timedelta(hours=1))
    _drain()
    message.refresh_from_db()
    assert message.status == "expired" and mail.outbox == []


def test_advertising_frequency_cap_per_day(world: World) -> None:
    MessagingPolicy.objects.create(marketing_per_day=1, marketing_per_week=5)
    customer = _customer()
    _marketing_consent(customer, "email")
    first, second = _send(customer, "m1", purpose="marketing"), _send(customer, "m2", purpose="marketing")
    _drain()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("sent", "suppressed")
    assert second.status_reason == "advertising frequency cap (per day)" and len(mail.outbox) == 1


def test_no_address_in_the_channel_falls_back_and_the_end_of_the_list_is_final(world: World) -> None:
    customer = _customer(emails=[], preferred_channels=["email"])
    message = _send(customer, channel="")
    assert message.next_channels == ["telegram", "whatsapp", "vk", "sms"]
    _drain()
    chain = list(Message.objects.filter(customer=customer).order_by("id").values_list("channel", "status"))
    # no e-mail, no messenger ids, and no SMS provider configured: every channel said why, nothing was sent
    assert chain == [("email", "suppressed"), ("telegram", "suppressed"), ("whatsapp", "suppressed"),
                     ("vk", "suppressed"), ("sms", "suppressed")]
    assert Message.objects.get(customer=customer, channel="sms").status_reason == \
        "no provider configured for this channel"


def test_templates_per_category_with_versions(world: World) -> None:
    regular = services.template_save(actor=SYSTEM, key="ready", name="Ready", channel="email",
                                     body="{{ customer.first_name }}, заказ {{ order.number }} готов")
    services.template_save(actor=SYSTEM, key="ready", name="Ready VIP", channel="email", category="vip",
                           body="Уважаемый {{ customer.full_name }}, заказ {{ order.number }} ждёт вас")
    vip = _customer(tags=["vip"])
    other = _customer(emails=["olga@example.com"], phones=["+79160000002"], first_name="Ольга")
    a = _send(vip, "t1", text="", template_key="ready", context={"order": {"number": "A-7"}})
    b = _send(other, "t2", text="", template_key="ready", context={"order": {"number": "B-8"}})
    assert a.body == "Уважаемый Петров Иван, заказ A-7 ждёт вас"
    assert b.body == "Ольга, заказ B-8 готов" and b.template_version is not None and b.template_version.version == 1
    services.template_edit(actor=SYSTEM, template_id=regular.pk, name="Ready", body="Заказ {{ order.number }}")
    c = _send(other, "t3", text="", template_key="ready", context={"order": {"number": "C-9"}})
    assert c.body == "Заказ C-9" and c.template_version is not None and c.template_version.version == 2
    b.refresh_from_db()
    assert b.template_version is not None and b.template_version.version == 1  # what was sent stays as it was
    assert Template.objects.get(pk=regular.pk).versions.count() == 2


@pytest.mark.parametrize(("body", "reason"), [
    ("{% debug %}", "Invalid block tag"),
    ("{% load static %}", "Invalid block tag"),
    ("{% include 'x.html' %}", "Invalid block tag"),
    ("{{ settings.SECRET_KEY }}", "unknown variable: settings.SECRET_KEY"),
    ("{{ customer.first_name", "unclosed"),
    ("Привет, customer.first_name }}", "unclosed"),
])
def test_a_template_reaches_only_its_documented_variables(world: World, body: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.template_save(actor=SYSTEM, key="bad", name="Bad", channel="sms", body=body)
    assert reason.lower() in refused.value.fields["body"].lower()
    assert not Template.objects.exclude(key__startswith="order-").exists()


def test_delivery_reports_only_move_forward_and_count_once(world: World) -> None:
    from regulars.messaging.providers.base import StatusUpdate

    customer = _customer()
    message = _send(customer)
    _drain()
    Message.objects.filter(pk=message.pk).update(provider="sms_smsru", provider_message_id="p-1")
    at = NOON + dt.timedelta(minutes=1)
    reports = [StatusUpdate("p-1", "delivered", at), StatusUpdate("p-1", "sent", at),
               StatusUpdate("p-1", "delivered", at), StatusUpdate("p-1", "failed", at, reason="late report")]
    assert services.messages_apply_reports(provider="sms_smsru", updates=reports) == 1
    message.refresh_from_db()
    assert (message.status, message.delivered_at) == ("delivered", at)
    assert Event.objects.filter(name="message.delivered").count() == 1
    assert not Event.objects.filter(name="message.failed").exists()
    services.messages_apply_reports(provider="sms_smsru", updates=[StatusUpdate("p-1", "read", at)])
    message.refresh_from_db()
    assert message.status == "read"


def test_bad_requests_are_refused_with_the_field(world: World) -> None:
    customer = _customer()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"channel": "pigeon"}, "channel"), ({"purpose": "spam"}, "purpose"), ({"text": ""}, "text"),
        ({"text": "", "template_key": "nope"}, "template"), ({"text": "{{ x.y }}"}, "text"),
    ]
    for params, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            _send(customer, f"bad-{field}", **params)
        assert field in refused.value.fields, (params, refused.value.fields)
    assert not Message.objects.exists()


def test_sms_length_counts_segments_like_a_phone() -> None:
    assert sms_segments("a" * 160) == (160, 1, "GSM-7")
    assert sms_segments("a" * 161) == (161, 2, "GSM-7")
    assert sms_segments("я" * 70) == (70, 1, "UCS-2")
    assert sms_segments("я" * 71) == (71, 2, "UCS-2")
    assert sms_segments("{}") == (4, 1, "GSM-7")  # extended characters take two places


ZONES = ["Europe/Moscow", "Asia/Yekaterinburg", "Europe/Berlin", "America/New_York", "Asia/Kamchatka",
         "Europe/London", "Australia/Lord_Howe"]


@settings(max_examples=300, deadline=None)
# hypothesis takes naive bounds and adds the zone itself
@given(at=st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1),  # noqa: DTZ001
                       timezones=st.just(dt.UTC)),
       zone=st.sampled_from(ZONES),
       quiet_from=st.times(), quiet_to=st.times())
def test_next_allowed_is_never_earlier_never_quiet_and_within_a_day(at: dt.datetime, zone: str,
                                                                     quiet_from: dt.time, quiet_to: dt.time) -> None:
    quiet_from, quiet_to = quiet_from.replace(second=0, microsecond=0), quiet_to.replace(second=0, microsecond=0)
    allowed = next_allowed(at, time_zone=zone, quiet_from=quiet_from, quiet_to=quiet_to)
    assert allowed >= at
    assert allowed - at <= dt.timedelta(hours=26)  # a DST night is at most an hour or so longer
    # never inside quiet hours on the customer's wall clock (a morning that falls into a DST gap lands after it)
    assert not in_quiet_hours(allowed.astimezone(ZoneInfo(zone)).time(), quiet_from, quiet_to)
    if allowed > at:  # it moved, so `at` itself was quiet
        assert in_quiet_hours(at.astimezone(ZoneInfo(zone)).time(), quiet_from, quiet_to)


def test_a_template_that_needs_values_the_message_lacks_is_refused(world: World) -> None:
    services.template_save(actor=SYSTEM, key="courier", name="Courier", channel="email",
                           body="Курьер {{ order.courier_phone }} везёт заказ {{ order.number }}")
    customer = _customer()
    with pytest.raises(ValidationFailed) as refused:
        _send(customer, "c1", text="", template_key="courier", context={"order": {"number": "A-1"}})
    assert refused.value.fields["template"] == \
        "the template needs order.courier_phone, which this message does not have"
    assert not Message.objects.exists()
    sent = _send(customer, "c2", text="", template_key="courier",
                 context={"order": {"number": "A-1", "courier_phone": "+79160000000"}})
    assert sent.body == "Курьер +79160000000 везёт заказ A-1"


def test_two_workers_share_a_providers_rate() -> None:
    from regulars.messaging.throttle import Throttle

    now = [1_000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    first, second = Throttle(clock=lambda: now[0], sleep=sleep), Throttle(clock=lambda: now[0], sleep=sleep)
    waits = [(first if n % 2 else second).wait("telegram:1", 30.0) for n in range(90)]
    assert waits[0] == 0.0 and all(w == pytest.approx(1 / 30) for w in waits[1:])  # one slot every 1/30 s …
    assert now[0] - 1_000.0 == pytest.approx(89 / 30)  # … whichever worker takes it: 90 sends in ~3 s, not 1.5
    assert first.wait("sms_smsru:2", 0.0) == 0.0 and len(slept) == 89  # no rate, no wait
    now[0] += 60  # an idle account starts again at once, with no burst saved up
    assert [first.wait("telegram:1", 30.0), second.wait("telegram:1", 30.0)] == [0.0, pytest.approx(1 / 30)]


def test_an_accounts_own_rate_replaces_the_providers_usual_one(world: World) -> None:
    from regulars.messaging.accounts import provider_account_save
    from regulars.messaging.throttle import rate_for

    actor = world.actor(world.admin)
    account = provider_account_save(actor=actor, channel="sms", provider="sms_smsru", name="SMS.ru",
                                    config={"api_id": "k", "rate_per_second": "5"})
    assert account.config["rate_per_second"] == 5 and rate_for("sms_smsru", account.config) == 5.0
    assert rate_for("telegram", {}) == 30.0 and rate_for("sms_smsru", {}) == 0.0
    with pytest.raises(ValidationFailed) as refused:
        provider_account_save(actor=actor, channel="sms", provider="sms_smsru", name="SMS.ru", account_id=account.pk,
                              config={"api_id": "k", "rate_per_second": "-1"})
    assert refused.value.fields == {"config.rate_per_second": "0 or more"}
    account.refresh_from_db()
    assert account.config["rate_per_second"] == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_never_share_a_slot() -> None:
    """Four threads (each with its own database connection, as four workers would be) reserve slots of one account
    at the same moment: every slot is its own, 1/rate after the one before."""
    import threading

    from django.db import connection

    from regulars.messaging.throttle import reserve

    interval, slots, errors = 0.01, [], []
    lock, start = threading.Lock(), threading.Barrier(4)

    def worker() -> None:
        try:
            start.wait()
            for _ in range(25):
                slot = reserve("whatsapp:7", now=1_000.0, interval=interval)
                with lock:
                    slots.append(slot)
        except Exception as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(slots) == pytest.approx([1_000.0 + n * interval for n in range(100)])


def test_a_batch_answers_each_messages_state_in_a_few_statements_whatever_its_size(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dispatcher is set-based: dispatching 40 messages runs as many statements as dispatching 4 (in one
    chunk here; each further chunk of sends adds one recording)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from regulars.messaging import dispatch
    from regulars.messaging.dispatch import messages_claim, messages_dispatch

    monkeypatch.setattr(dispatch, "FIRST_CHUNK", 1000)

    def statements(count: int, prefix: str) -> tuple[int, dict[int, str]]:
        customers = [_customer(emails=[f"{prefix}{n}@example.com"], phones=[]) for n in range(count)]
        sent = [_send(c, f"{prefix}:{n}") for n, c in enumerate(customers)]
        late = _send(customers[0], f"{prefix}:late", send_by=NOON - dt.timedelta(minutes=1))
        flag_set(actor=SYSTEM, customer_id=customers[1].pk, kind="blacklist", reason="test")
        barred = _send(customers[1], f"{prefix}:barred")
        batch = messages_claim(worker_id="w1", limit=500)
        Message.objects.filter(pk=sent[2].pk).update(locked_by="another worker")  # taken over meanwhile
        with CaptureQueriesContext(connection) as queries:
            states = messages_dispatch(batch, worker_id="w1")
        expected = {m.pk: "sent" for m in sent} | {late.pk: "expired", barred.pk: "suppressed",
                                                     sent[1].pk: "suppressed", sent[2].pk: "lease-lost"}
        assert states == expected
        return len(queries), states

    few, _ = statements(4, "a")
    mail.outbox.clear()
    many, _ = statements(40, "b")
    assert many == few
    assert len(mail.outbox) == 38  # once each, and none to the blacklisted card or of the taken-over message
