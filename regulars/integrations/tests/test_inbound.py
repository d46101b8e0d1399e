"""Signed webhooks in: a valid one applies its effect; every refusal has its status and writes nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from conftest import World
from regulars.customers.models import Customer, TimelineEntry
from regulars.integrations.models import InboundEndpoint, InboundReceipt, ReceivedEvent
from regulars.integrations.services import inbound_endpoint_save
from regulars.platform import signing
from regulars.platform.models import AuditEntry, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(world: World) -> InboundEndpoint:
    return inbound_endpoint_save(actor=world.actor(world.admin), name="1C", source="erp")


def event_body(phone: str = "+79160000009", name: str = "visit.completed") -> bytes:
    return json.dumps({"type": "event", "data": {"name": name, "summary": "Визит",
                                                 "customer": {"phone": phone, "first_name": "Пётр"}}}).encode()


def deliver(endpoint: InboundEndpoint, body: bytes, *, msg_id: str = "msg_1", secret: str | None = None,
            timestamp: int | None = None, headers: dict[str, str] | None = None, signed_body: bytes | None = None,
            endpoint_id: int | None = None) -> Any:
    stamp = int(time.time()) if timestamp is None else timestamp
    sent = signing.headers_for([secret or endpoint.secret], msg_id, stamp, signed_body or body)
    if headers is not None:
        sent = headers
    return Client().post(f"/api/v1/inbound/{endpoint_id or endpoint.pk}", body, content_type="application/json",
                         headers=sent)


def counts() -> tuple[int, ...]:
    return (InboundReceipt.objects.count(), Event.objects.count(), ReceivedEvent.objects.count(),
            Customer.objects.count(), TimelineEntry.objects.count(), AuditEntry.objects.count())


def test_a_valid_event_is_applied_once(endpoint: InboundEndpoint) -> None:
    response = deliver(endpoint, event_body())
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["type"] == "event" and answer["result"]["name"] == "visit.completed"
    customer = Customer.objects.get(pk=answer["result"]["customer_id"])
    assert customer.first_name == "Пётр"
    assert TimelineEntry.objects.filter(customer=customer, kind="visit.completed", summary="Визит").exists()
    event = Event.objects.get(name="visit.completed")
    assert event.actor_label == "inbound:1C"
    receipt = InboundReceipt.objects.get()
    assert (receipt.endpoint_id, receipt.msg_id, receipt.type) == (endpoint.pk, "msg_1", "event")


def test_a_replayed_id_is_409_and_writes_nothing(endpoint: InboundEndpoint) -> None:
    assert deliver(endpoint, event_body()).status_code == 200
    before = counts()
    replay = deliver(endpoint, event_body(phone="+79160000010"))  # even with another, validly signed body
    assert replay.status_code == 409 and "webhook-id" in replay.json()["error"]["fields"]
    assert counts() == before


@pytest.mark.parametrize("case", ["tampered", "wrong_secret", "six_minutes_old", "six_minutes_ahead"])
def test_refused_with_401_and_nothing_written(endpoint: InboundEndpoint, case: str) -> None:
    body = event_body()
    before = counts()
    if case == "tampered":
        response = deliver(endpoint, body.replace(b"+79160000009", b"+79160000008"), signed_body=body)
    elif case == "wrong_secret":
        response = deliver(endpoint, body, secret=signing.new_secret())
    elif case == "six_minutes_old":
        response = deliver(endpoint, body, timestamp=int(time.time()) - 360)
    else:
        response = deliver(endpoint, body, timestamp=int(time.time()) + 360)
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "bad_signature"
    assert counts() == before


def test_missing_headers_are_400_and_unknown_or_inactive_endpoints_404(world: World,
                                                                       endpoint: InboundEndpoint) -> None:
    before = counts()
    signed = signing.headers_for([endpoint.secret], "msg_1", int(time.time()), event_body())
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        partial = {k: v for k, v in signed.items() if k != name}
        assert deliver(endpoint, event_body(), headers=partial).status_code == 400
    assert deliver(endpoint, event_body(), endpoint_id=endpoint.pk + 100).status_code == 404
    inbound_endpoint_save(actor=world.actor(world.admin), endpoint_id=endpoint.pk, name="1C", source="erp",
                          is_active=False)
    assert deliver(endpoint, event_body()).status_code == 404
    assert counts()[:5] == before[:5]


def test_an_unknown_type_or_a_refused_effect_writes_nothing_and_the_id_stays_usable(
        endpoint: InboundEndpoint) -> None:
    before = counts()
    unknown = deliver(endpoint, json.dumps({"type": "refund", "data": {}}).encode())
    assert unknown.status_code == 400 and set(unknown.json()["error"]["fields"]) == {"type"}
    owned = deliver(endpoint, event_body(name="order.created"))
    assert owned.status_code == 400 and "name" in owned.json()["error"]["fields"]
    not_json = deliver(endpoint, b"not json")
    assert not_json.status_code == 400
    assert counts() == before
    assert deliver(endpoint, event_body()).status_code == 200  # the same webhook-id, now correct


def test_the_inbound_endpoint_needs_no_api_key_but_nothing_else_opens(endpoint: InboundEndpoint) -> None:
    response = Client().post(f"/api/v1/inbound/{endpoint.pk}", event_body(), content_type="application/json")
    assert response.status_code == 400 and not InboundReceipt.objects.exists()


def test_an_external_id_without_a_source_is_the_endpoints_own(endpoint: InboundEndpoint) -> None:
    body = json.dumps({"type": "event", "data": {"name": "visit.completed",
                                                 "customer": {"external_id": "C-77", "first_name": "Ира"}}}).encode()
    first = deliver(endpoint, body, msg_id="msg_a")
    assert first.status_code == 200
    customer = Customer.objects.get()
    assert list(customer.external_refs.values_list("source", "value")) == [("erp", "C-77")]
    again = deliver(endpoint, body, msg_id="msg_b")  # a new message about the same customer finds the card
    assert again.status_code == 200 and again.json()["result"]["customer_id"] == customer.pk
    assert Customer.objects.count() == 1 and ReceivedEvent.objects.count() == 2


def test_receipts_older_than_a_day_are_pruned_once_a_day(endpoint: InboundEndpoint) -> None:
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from regulars.platform.jobs import jobs_run_due
    from regulars.platform.models import Job

    for number in range(3):  # three webhooks today: one pruning queued, for tomorrow
        assert deliver(endpoint, event_body(), msg_id=f"msg_{number}").status_code == 200
    prune = Job.objects.get(kind="integrations.receipts_prune")
    assert prune.due_at > timezone.now() + dt.timedelta(hours=23)
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        assert deliver(endpoint, event_body(), msg_id="msg_tomorrow").status_code == 200
        jobs_run_due(worker_id="t")
    assert list(InboundReceipt.objects.values_list("msg_id", flat=True)) == ["msg_tomorrow"]
    assert Job.objects.filter(kind="integrations.receipts_prune", status="pending").count() == 1  # tomorrow's


def test_after_a_rotation_the_old_secret_is_taken_for_a_day_then_refused(world: World,
                                                                         endpoint: InboundEndpoint) -> None:
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from conftest import client_for
    from regulars.integrations.services import inbound_secret_rotate

    old = endpoint.secret
    rotated = inbound_secret_rotate(actor=world.actor(world.admin), endpoint_id=endpoint.pk)
    assert rotated.secret != old
    assert deliver(endpoint, event_body(), msg_id="m_old", secret=old).status_code == 200  # the sender not switched yet
    assert deliver(endpoint, event_body(), msg_id="m_new", secret=rotated.secret).status_code == 200
    stale = deliver(endpoint, event_body(), msg_id="m_stale", secret=old, timestamp=int(time.time()) - 3600)
    assert (stale.status_code, stale.json()["error"]["fields"]["webhook-signature"]) == (401, signing.TIMESTAMP_TOO_OLD)
    listed = client_for(world.admin).get("/api/v1/inbound-endpoints").json()
    assert [e["previous_secret_until"] is not None for e in listed] == [True]
    page = client_for(world.admin).get("/integrations/inbound/")
    assert b'data-testid="previous-secret"' in page.content

    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, minutes=1)):
        refused = deliver(endpoint, event_body(), msg_id="m_late", secret=old)
        reason = refused.json()["error"]["fields"]["webhook-signature"]
        assert (refused.status_code, reason) == (401, signing.BAD_SIGNATURE)
        assert deliver(endpoint, event_body(), msg_id="m_late2", secret=rotated.secret).status_code == 200
        assert client_for(world.admin).get("/api/v1/inbound-endpoints").json()[0]["previous_secret_until"] is None
    assert not InboundReceipt.objects.filter(msg_id__in=["m_stale", "m_late"]).exists()
