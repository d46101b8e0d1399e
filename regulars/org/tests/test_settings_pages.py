"""Settings pages with the personas: who may open what, exact outcomes, and what must not happen."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, World
from regulars.org.models import ApiKey, Branch, Role, Staff
from regulars.org.selectors import apikey_authenticate
from regulars.org.services import apikey_create, branch_update, staff_create
from regulars.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def as_user(staff: Staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def field_block(html: str, name: str) -> str:
    """The rendered field component (label, widget, errors) of one form field."""
    match = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)</div>', html, re.S)
    assert match, f"no field {name} on the page"
    return match.group(1)


def branch_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "Север-2", "code": "", "address": "Москва, ул. Лётчика Бабушкина, 12",
                            "phone": "8 (495) 123-45-67", "time_zone": "Europe/Moscow"}
    for day in WEEK[:5]:
        data[f"{day}_open"], data[f"{day}_close"] = "09:00", "21:00"
    data["sat_open"], data["sat_close"] = "10:00", "18:00"
    data["sun_closed"] = "on"
    data.update(overrides)
    return data


def db_state() -> tuple[Any, ...]:
    return (
        list(Branch.objects.order_by("pk").values()),
        list(Staff.objects.order_by("pk").values("pk", "username", "password", "role", "is_active")),
        list(ApiKey.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


# ---------------------------------------------------------------- who may open what

SETTINGS_PAGES = ["org:index", "org:branch_list", "org:branch_create", "org:staff_create", "org:apikey_list",
                  "org:apikey_create"]


@pytest.mark.parametrize("name", [*SETTINGS_PAGES, "org:staff_list", "org:audit"])
def test_anonymous_visitors_are_sent_to_the_login_page(name: str, world: World) -> None:
    url = reverse(name)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={url}"


def _object_pages(world: World) -> list[str]:
    return [reverse("org:branch_edit", args=[world.branch_a.pk]), reverse("org:staff_edit", args=[world.operator_a.pk]),
            *(reverse(name) for name in SETTINGS_PAGES)]


@pytest.mark.parametrize("persona", ["operator_a", "operator_b", "manager_a", "marketer", "consultant_a"])
def test_staff_without_settings_rights_get_403_on_every_settings_page(persona: str, world: World) -> None:
    client = as_user(getattr(world, persona))
    for url in _object_pages(world):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "web/403.html" in [t.name for t in response.templates]


def test_operator_posts_to_settings_are_refused_and_change_nothing(world: World) -> None:
    key, secret = apikey_create(actor=world.actor(world.admin), name="erp")
    before = db_state()
    client = as_user(world.operator_a)
    posts = {
        reverse("org:branch_create"): branch_post(),
        reverse("org:branch_edit", args=[world.branch_a.pk]): branch_post(name="Hacked"),
        reverse("org:staff_create"): {"username": "intruder", "password": "x-very-long-password-1", "role": "admin"},
        reverse("org:staff_edit", args=[world.operator_a.pk]): {"role": "admin", "language": "ru"},
        reverse("org:apikey_create"): {"name": "mine"},
        reverse("org:apikey_revoke", args=[key.pk]): {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert db_state() == before
    assert apikey_authenticate(secret) is not None
    world.operator_a.refresh_from_db()
    assert world.operator_a.role == Role.OPERATOR


def test_manager_and_operator_do_not_see_settings_in_the_navigation(world: World) -> None:
    operator_page = as_user(world.operator_a).get(reverse("web:home"), follow=True).content.decode()
    assert 'data-nav="settings"' not in operator_page
    assert 'data-nav="audit"' not in operator_page
    assert 'data-nav="staff"' not in operator_page
    manager_page = as_user(world.manager_a).get(reverse("org:staff_list")).content.decode()
    assert 'data-nav="settings"' not in manager_page
    assert 'data-nav="staff"' in manager_page
    assert 'data-nav="audit"' in manager_page
    admin_page = as_user(world.admin).get(reverse("org:index")).content.decode()
    assert 'data-nav="settings"' in admin_page


# ---------------------------------------------------------------- branches

def test_admin_creates_a_branch_with_working_hours_stored_exactly(world: World) -> None:
    client = as_user(world.admin)
    response = client.post(reverse("org:branch_create"), branch_post(tue_open="8:30"), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    assert response["Location"] == reverse("org:branch_list")

    branch = Branch.objects.get(name="Север-2")
    assert branch.code == "sever-2"
    assert branch.phone == "+74951234567"
    assert branch.time_zone == "Europe/Moscow"
    assert branch.working_hours == {
        "mon": [["09:00", "21:00"]], "tue": [["08:30", "21:00"]], "wed": [["09:00", "21:00"]],
        "thu": [["09:00", "21:00"]], "fri": [["09:00", "21:00"]], "sat": [["10:00", "18:00"]], "sun": [],
    }
    entry = AuditEntry.objects.get(action="branch.create")
    assert (entry.actor_id, entry.actor_label, entry.ip) == (world.admin.pk, "admin", "10.1.2.3")
    assert entry.object_id == str(branch.pk)
    assert entry.changes["name"] == [None, "Север-2"]

    listing = client.get(reverse("org:branch_list")).content.decode()
    assert "Север-2" in listing
    assert "+7 495 123-45-67" in listing  # the phone is shown for the eye, not as E.164
    assert "Branch “Север-2” created." in listing


def test_unknown_time_zone_is_shown_next_to_the_field_and_nothing_is_saved(world: World) -> None:
    before = db_state()
    response = as_user(world.admin).post(reverse("org:branch_create"), branch_post(time_zone="Europe/Moskva"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "unknown time zone" in field_block(html, "time_zone")
    assert 'value="Europe/Moskva"' in field_block(html, "time_zone")
    assert 'value="Север-2"' in field_block(html, "name")  # what was typed stays
    assert 'value="Москва, ул. Лётчика Бабушкина, 12"' in html
    assert "field__error" not in field_block(html, "name")
    assert db_state() == before


def test_duplicate_branch_name_is_shown_next_to_the_name(world: World) -> None:
    before = db_state()
    response = as_user(world.admin).post(reverse("org:branch_create"), branch_post(name="Branch A"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "already used" in field_block(html, "name")
    assert 'value="Branch A"' in field_block(html, "name")
    assert db_state() == before


def test_hours_without_times_or_closing_before_opening_are_refused_per_day(world: World) -> None:
    before = db_state()
    html = as_user(world.admin).post(
        reverse("org:branch_create"), branch_post(mon_open="", wed_open="22:00", wed_close="10:00")
    ).content.decode()
    assert "Enter both times or tick “Closed”." in html
    assert "The closing time must be later than the opening time." in html
    assert 'value="22:00"' in html
    assert db_state() == before


def test_admin_edits_a_branch_and_untouched_days_keep_their_intervals(world: World) -> None:
    branch = branch_update(actor=world.actor(world.admin), branch_id=world.branch_a.pk, working_hours={
        "mon": [["09:00", "13:00"], ["14:00", "20:00"]], "tue": [["09:00", "20:00"]],
    })
    client = as_user(world.admin)
    page = client.get(reverse("org:branch_edit", args=[branch.pk])).content.decode()
    assert 'value="09:00"' in page and 'value="20:00"' in page

    data = branch_post(name="Branch A", code="a", time_zone="Asia/Yekaterinburg", is_active="on",
                       mon_open="09:00", mon_close="20:00", tue_open="10:00", tue_close="19:00")
    for day in ("wed", "thu", "fri", "sat"):
        data.pop(f"{day}_open")
        data.pop(f"{day}_close")
        data[f"{day}_closed"] = "on"
    response = client.post(reverse("org:branch_edit", args=[branch.pk]), data)
    assert response.status_code == 302
    branch.refresh_from_db()
    assert branch.time_zone == "Asia/Yekaterinburg"
    assert branch.working_hours["mon"] == [["09:00", "13:00"], ["14:00", "20:00"]]  # unchanged row, kept
    assert branch.working_hours["tue"] == [["10:00", "19:00"]]
    assert branch.working_hours["sat"] == []
    entry = AuditEntry.objects.filter(action="branch.update").latest("id")
    assert entry.actor_id == world.admin.pk
    assert entry.changes["time_zone"] == ["Europe/Moscow", "Asia/Yekaterinburg"]


def test_editing_a_missing_branch_is_404(world: World) -> None:
    assert as_user(world.admin).get(reverse("org:branch_edit", args=[999999])).status_code == 404


# ---------------------------------------------------------------- staff

def test_admin_creates_staff_with_a_hashed_password_and_branches(world: World) -> None:
    client = as_user(world.admin)
    response = client.post(reverse("org:staff_create"), {
        "username": "olga", "password": "Sunny-garage-2024", "first_name": "Ольга", "last_name": "Смирнова",
        "role": Role.CONSULTANT, "position": "мастер-консультант", "phone": "8 912 345 67 89", "email": "",
        "language": "ru", "branches": [world.branch_a.pk, world.branch_b.pk],
    }, REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 302
    olga = Staff.objects.get(username="olga")
    assert olga.password != "Sunny-garage-2024"
    assert olga.check_password("Sunny-garage-2024")
    assert (olga.role, olga.position, olga.phone) == (Role.CONSULTANT, "мастер-консультант", "+79123456789")
    assert set(olga.branches.all()) == {world.branch_a, world.branch_b}
    entry = AuditEntry.objects.get(action="staff.create", object_id=str(olga.pk))
    assert (entry.actor_id, entry.ip) == (world.admin.pk, "10.9.8.7")
    assert "Sunny-garage-2024" not in str(entry.changes)


def test_weak_password_and_taken_login_are_shown_next_to_their_fields(world: World) -> None:
    client = as_user(world.admin)
    before = db_state()
    base = {"first_name": "Ivan", "role": Role.OPERATOR, "language": "ru", "branches": [world.branch_a.pk]}
    html = client.post(reverse("org:staff_create"), {**base, "username": "ivan", "password": "12345"}).content.decode()
    assert "field__error" in field_block(html, "password")
    assert 'value="ivan"' in field_block(html, "username")
    assert 'value="Ivan"' in field_block(html, "first_name")
    html = client.post(reverse("org:staff_create"),
                       {**base, "username": "operator_a", "password": "Sunny-garage-2024"}).content.decode()
    assert "already used" in field_block(html, "username")
    assert db_state() == before


def test_editing_staff_without_a_password_keeps_it(world: World) -> None:
    client = as_user(world.admin)
    url = reverse("org:staff_edit", args=[world.operator_a.pk])
    page = client.get(url).content.decode()
    assert 'value="Operator"' in field_block(page, "first_name")  # the form is filled from the account
    assert 'name="username"' not in page  # the login is not editable
    response = client.post(url, {"first_name": "Мария", "last_name": "Соколова", "role": Role.MANAGER,
                                 "language": "en", "is_active": "on", "branches": [world.branch_b.pk]})
    assert response.status_code == 302
    world.operator_a.refresh_from_db()
    assert world.operator_a.check_password(PASSWORD)
    assert (world.operator_a.first_name, world.operator_a.role) == ("Мария", Role.MANAGER)
    assert list(world.operator_a.branches.all()) == [world.branch_b]
    changes = AuditEntry.objects.filter(action="staff.update").latest("id").changes
    assert changes["role"] == ["operator", "manager"]
    assert "password" not in changes

    client.post(url, {"role": Role.MANAGER, "language": "en", "is_active": "on", "password": "New-secret-pass-42"})
    world.operator_a.refresh_from_db()
    assert world.operator_a.check_password("New-secret-pass-42")
    assert AuditEntry.objects.filter(action="staff.update").latest("id").changes["password"] == ["***", "***"]


def test_manager_sees_only_the_staff_of_their_branch_and_cannot_edit(world: World) -> None:
    response = as_user(world.manager_a).get(reverse("org:staff_list"))
    assert response.status_code == 200
    html = response.content.decode()
    for seen in ("operator_a", "manager_a", "consultant_a"):
        assert f">{seen}<" in html
    assert ">operator_b<" not in html
    assert reverse("org:staff_edit", args=[world.operator_a.pk]) not in html
    assert reverse("org:staff_create") not in html


def test_admin_sees_every_account_and_can_filter(world: World) -> None:
    client = as_user(world.admin)
    html = client.get(reverse("org:staff_list")).content.decode()
    assert ">operator_b<" in html and ">operator_a<" in html
    html = client.get(reverse("org:staff_list"), {"q": "operator_b"}).content.decode()
    assert ">operator_b<" in html and ">operator_a<" not in html
    html = client.get(reverse("org:staff_list"), {"role": "manager"}).content.decode()
    assert ">manager_a<" in html and ">operator_a<" not in html
    partial = client.get(reverse("org:staff_list"), {"q": "zzz"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content
    assert b"Nobody matches these filters" in partial.content


# ---------------------------------------------------------------- API keys

def test_api_key_secret_is_shown_once_and_only_its_hash_is_stored(world: World) -> None:
    client = as_user(world.admin)
    response = client.post(reverse("org:apikey_create"), {"name": "1C ERP"}, REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    secret = re.search(r'data-testid="secret"', html) and re.search(r'value="(rk_[^"]+)"', html)
    assert secret, "the secret is on the page"
    secret_text = secret.group(1)
    assert html.count(secret_text) == 1
    key = ApiKey.objects.get()
    assert key.name == "1C ERP"
    assert key.key_hash == hashlib.sha256(secret_text.encode()).hexdigest()
    assert secret_text not in str(list(ApiKey.objects.values()))
    assert apikey_authenticate(secret_text) == key
    entry = AuditEntry.objects.get(action="apikey.create")
    assert (entry.actor_id, entry.ip) == (world.admin.pk, "10.0.0.5")

    listing = client.get(reverse("org:apikey_list")).content.decode()
    assert "1C ERP" in listing and f"rk_{key.prefix}_" in listing
    assert secret_text not in listing


def test_api_key_needs_a_name(world: World) -> None:
    html = as_user(world.admin).post(reverse("org:apikey_create"), {"name": "  "}).content.decode()
    assert "field__error" in field_block(html, "name")
    assert not ApiKey.objects.exists()


def test_revoke_stops_the_key_and_is_post_only(world: World) -> None:
    key, secret = apikey_create(actor=world.actor(world.admin), name="shop")
    client = as_user(world.admin)
    url = reverse("org:apikey_revoke", args=[key.pk])
    assert client.get(url).status_code == 405
    assert apikey_authenticate(secret) is not None
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("org:apikey_list")
    assert "Key “shop” revoked" in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert apikey_authenticate(secret) is None
    entry = AuditEntry.objects.get(action="apikey.revoke")
    assert (entry.actor_id, entry.ip) == (world.admin.pk, "127.0.0.1")


# ---------------------------------------------------------------- audit log and index

def test_audit_log_lists_changes_newest_first_readably_and_filters(world: World) -> None:
    actor = world.actor(world.admin)
    branch_update(actor=actor, branch_id=world.branch_a.pk, name="Branch A+", time_zone="Asia/Omsk")
    staff_create(actor=actor, username="petr", password="Sunny-garage-2024", role="operator",
                 branch_ids=[world.branch_b.pk])
    apikey_create(actor=world.actor(world.operator_b), name="exotic")
    client = as_user(world.manager_a)  # managers may read the log
    html = client.get(reverse("org:audit")).content.decode()
    assert html.index("exotic") < html.index("petr") < html.index("Branch A+")
    assert "Europe/Moscow" in html and "Asia/Omsk" in html
    assert re.search(r"Europe/Moscow</span><span class=\"diff__arrow\">→</span><span class=\"diff__new\">Asia/Omsk",
                     html)
    assert "Branch B" in html  # branch ids in "branches" changes are shown by name

    only_staff = client.get(reverse("org:audit"), {"object_type": "staff"}).content.decode()
    assert "petr" in only_staff and "exotic" not in only_staff
    by_actor = client.get(reverse("org:audit"), {"actor": "operator_b"}).content.decode()
    assert "exotic" in by_actor and "petr" not in by_actor
    partial = client.get(reverse("org:audit"), {"q": "exotic"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"exotic" in partial.content
    assert "HX-Request" in partial["Vary"]


def test_audit_log_is_closed_to_operators(world: World) -> None:
    assert as_user(world.operator_a).get(reverse("org:audit")).status_code == 403


def test_settings_index_links_every_section(world: World) -> None:
    html = as_user(world.admin).get(reverse("org:index")).content.decode()
    for name in ("org:branch_list", "org:staff_list", "org:apikey_list", "org:audit"):
        assert f'href="{reverse(name)}"' in html


def test_revoking_a_key_from_its_page_says_so_and_refuses_it_from_then_on(world: World) -> None:
    key, secret = apikey_create(actor=world.actor(world.admin), name="erp")
    client = as_user(world.admin)
    response = client.post(reverse("org:apikey_revoke", args=[key.pk]), follow=True)
    assert response.redirect_chain == [(reverse("org:apikey_list"), 302)]
    assert "Key “erp” revoked" in response.content.decode()
    assert apikey_authenticate(secret) is None
