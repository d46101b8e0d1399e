"""Two-factor sign-in: administrators must set it up when required; whoever has it is asked for a code."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, World
from regulars.org.two_factor import two_factor_reset
from regulars.platform.models import AuditEntry

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def sign_in(username: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


@override_settings(REGULARS_ADMIN_2FA="required")
def test_an_administrator_sets_it_up_before_working_and_is_asked_for_a_code_next_time(world: World) -> None:
    with time_machine.travel(START, tick=False):
        client = sign_in(world.admin.username)
        response = client.get("/customers/")
        assert response.status_code == 302
        assert response["Location"].startswith("/account/two-factor/?next=")
        page = client.get(response["Location"])
        assert b"<svg" in page.content
        device = TOTPDevice.objects.get(user=world.admin, confirmed=False)

        wrong = client.post("/account/two-factor/", {"token": "000000", "next": "/customers/"})
        assert wrong.status_code == 200
        assert not TOTPDevice.objects.filter(user=world.admin, confirmed=True).exists()
        assert client.get("/customers/").status_code == 302

        done = client.post("/account/two-factor/", {"token": code_for(device), "next": "/customers/"})
        assert (done.status_code, done["Location"]) == (302, "/customers/")
        assert client.get("/customers/").status_code == 200
        assert AuditEntry.objects.filter(action="staff.two_factor_on", object_id=str(world.admin.pk)).count() == 1

    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        client = sign_in(world.admin.username)
        response = client.get("/customers/")
        assert response["Location"].startswith("/account/two-factor/verify/")
        assert client.post("/account/two-factor/verify/", {"token": "123"}).status_code == 200
        device.refresh_from_db()
        ok = client.post("/account/two-factor/verify/", {"token": code_for(device), "next": "/customers/"})
        assert ok["Location"] == "/customers/"
        assert client.get("/customers/").status_code == 200


@override_settings(REGULARS_ADMIN_2FA="required")
def test_the_api_refuses_a_session_that_has_not_given_its_code(world: World) -> None:
    client = sign_in(world.admin.username)
    response = client.get("/api/v1/customers")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_factor_required"


@override_settings(REGULARS_ADMIN_2FA="required")
def test_other_roles_are_not_forced(world: World) -> None:
    client = sign_in(world.operator_a.username)
    assert client.get("/customers/").status_code == 200


def test_anyone_who_turned_it_on_is_asked_for_the_code(world: World) -> None:
    with time_machine.travel(START, tick=False):
        client = sign_in(world.operator_a.username)
        client.get("/account/two-factor/")
        device = TOTPDevice.objects.get(user=world.operator_a)
        client.post("/account/two-factor/", {"token": code_for(device)})
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        client = sign_in(world.operator_a.username)
        assert client.get("/customers/")["Location"].startswith("/account/two-factor/verify/")


def test_wrong_codes_are_throttled(world: World) -> None:
    with time_machine.travel(START, tick=False):
        client = sign_in(world.operator_a.username)
        client.get("/account/two-factor/")
        device = TOTPDevice.objects.get(user=world.operator_a)
        client.post("/account/two-factor/", {"token": code_for(device)})
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        client = sign_in(world.operator_a.username)
        for _ in range(3):
            client.post("/account/two-factor/verify/", {"token": "000000"})
        device.refresh_from_db()
        right = client.post("/account/two-factor/verify/", {"token": code_for(device)})
        assert right.status_code == 200  # refused while throttled, even with the right code
        assert "Too many wrong codes" in right.content.decode()
        assert client.get("/customers/").status_code == 302


def test_next_never_leads_off_site(world: World) -> None:
    with time_machine.travel(START, tick=False):
        client = sign_in(world.operator_a.username)
        client.get("/account/two-factor/")
        device = TOTPDevice.objects.get(user=world.operator_a)
        response = client.post("/account/two-factor/", {"token": code_for(device), "next": "https://evil.example/"})
        assert response["Location"] == "/"


@override_settings(REGULARS_ADMIN_2FA="required")
def test_an_administrator_resets_a_lost_phone(world: World) -> None:
    TOTPDevice.objects.create(user=world.operator_a, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(world.manager_a)
    assert client.post(f"/settings/staff/{world.operator_a.pk}/two-factor/reset/").status_code == 403
    assert TOTPDevice.objects.filter(user=world.operator_a).count() == 1

    two_factor_reset(actor=world.actor(world.admin), staff_id=world.operator_a.pk)
    assert TOTPDevice.objects.filter(user=world.operator_a).count() == 0
    assert AuditEntry.objects.filter(action="staff.two_factor_reset").count() == 1
