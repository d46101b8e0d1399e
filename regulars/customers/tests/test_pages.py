"""Customer pages with the personas: what each person sees and can do, and what must not happen."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import World
from regulars.customers.models import Asset, Customer, TimelineEntry
from regulars.customers.services import customer_create

pytestmark = pytest.mark.django_db


def client_for(staff: object) -> Client:
    client = Client()
    client.force_login(staff)  # type: ignore[arg-type]
    return client


@pytest.fixture
def two_customers(world: World) -> tuple[Customer, Customer]:
    actor = world.actor(world.admin)
    olga = customer_create(actor=actor, first_name="Ольга", last_name="Смирнова", phones=["+79165554321"],
                           home_branch_id=world.branch_a.pk)
    petr = customer_create(actor=actor, first_name="Пётр", last_name="Кузнецов", phones=["+79031112233"],
                           home_branch_id=world.branch_b.pk)
    return olga, petr


def test_anonymous_is_sent_to_login(db: None) -> None:
    response = Client().get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_search_by_four_digits_finds_only_the_match(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, petr = two_customers
    page = client_for(world.operator_b).get("/customers/", {"q": "4321"}).content.decode()
    assert f"/customers/{olga.pk}/" in page
    assert f"/customers/{petr.pk}/" not in page


def test_htmx_search_returns_only_the_results_fragment(world: World, two_customers: tuple[Customer, Customer]) -> None:
    response = client_for(world.operator_a).get("/customers/", {"q": "Кузнец"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert "Кузнецов" in html and "Смирнова" not in html


def test_filter_by_branch(world: World, two_customers: tuple[Customer, Customer]) -> None:
    html = client_for(world.admin).get("/customers/", {"branch": world.branch_b.pk}).content.decode()
    assert "Кузнецов" in html and "Смирнова" not in html


def test_card_is_shared_by_the_network(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    response = client_for(world.operator_b).get(f"/customers/{olga.pk}/")  # a branch-A customer, branch-B operator
    assert response.status_code == 200
    html = response.content.decode()
    assert "+7 916 555-43-21" in html
    assert 'data-testid="timeline"' in html


def test_unknown_card_is_404(world: World) -> None:
    assert client_for(world.operator_a).get("/customers/424242/").status_code == 404


def test_create_with_a_bad_phone_keeps_the_typed_values_and_saves_nothing(world: World) -> None:
    response = client_for(world.operator_a).post("/customers/new/", {
        "last_name": "Новиков", "phones": "12-34", "language": "ru", "consent-source": "form"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Новиков"' in html
    assert "12-34 is not a valid phone number" in html
    assert Customer.objects.count() == 0


def test_create_with_a_taken_phone_links_the_existing_card(world: World,
                                                          two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    response = client_for(world.operator_a).post("/customers/new/", {
        "first_name": "Двойник", "phones": "8 916 555 43 21", "language": "ru"})
    assert response.status_code == 200
    assert f'href="/customers/{olga.pk}/"' in response.content.decode()
    assert Customer.objects.count() == 2


def test_create_then_land_on_the_card(world: World) -> None:
    response = client_for(world.operator_a).post("/customers/new/", {
        "first_name": "Алла", "last_name": "Гусева", "phones": "8 (999) 123-45-67", "language": "ru",
        "tags": "VIP, Такси", "consent-service": ["sms"], "consent-source": "Анкета"})
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "Такси"]
    assert customer.consents.get().source == "Анкета"


def test_adding_a_vehicle_through_the_page(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    client = client_for(world.consultant_a)
    fields = client.get(f"/customers/{olga.pk}/assets/new/", {"type": "vehicle"}, HTTP_HX_REQUEST="true")
    assert 'name="vin"' in fields.content.decode()
    bad = client.post(f"/customers/{olga.pk}/assets/new/", {"type": "vehicle", "save": "1", "make": "Kia",
                                                           "model": "Rio", "vin": "123"})
    assert bad.status_code == 200
    assert "17 letters and digits" in bad.content.decode()
    assert not Asset.objects.exists()
    good = client.post(f"/customers/{olga.pk}/assets/new/", {"type": "vehicle", "save": "1", "make": "Kia",
                                                            "model": "Rio", "year": "2019", "plate": "в456ор799"})
    assert good.status_code == 302
    assert Asset.objects.get().title == "Kia Rio 2019 B456OP799"
    assert TimelineEntry.objects.filter(customer=olga, kind="asset.added").count() == 1


def test_marketer_cannot_change_a_card(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    client = client_for(world.marketer)
    assert client.post(f"/customers/{olga.pk}/notes/", {"text": "hack"}).status_code == 403
    assert client.post(f"/customers/{olga.pk}/edit/", {"first_name": "X", "language": "ru"}).status_code == 403
    assert not olga.notes.exists()
    olga.refresh_from_db()
    assert olga.first_name == "Ольга"


def test_operator_cannot_open_card_settings(world: World) -> None:
    client = client_for(world.operator_a)
    assert client.get("/customers/settings/asset-types/").status_code == 403
    assert client.post("/customers/settings/custom-fields/new/", {"label": "X", "type": "text"}).status_code == 403


def test_operator_cannot_set_flags_but_manager_can(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    assert client_for(world.operator_a).post(f"/customers/{olga.pk}/flags/", {
        "kind": "blacklist", "reason": "x"}).status_code == 403
    assert not olga.flags.exists()
    assert client_for(world.manager_a).post(f"/customers/{olga.pk}/flags/", {
        "kind": "blacklist", "reason": "Хамство"}).status_code == 302
    assert olga.flags.get().reason == "Хамство"


def test_consent_toggle_and_note_from_the_card(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    client = client_for(world.operator_a)
    client.post(f"/customers/{olga.pk}/consents/", {"channel": "sms", "purpose": "marketing", "granted": "1",
                                                   "source": "Звонок"})
    client.post(f"/customers/{olga.pk}/consents/", {"channel": "sms", "purpose": "marketing", "granted": "0",
                                                   "source": "Звонок"})
    assert list(olga.consents.order_by("id").values_list("granted", flat=True)) == [True, False]
    client.post(f"/customers/{olga.pk}/notes/", {"text": "Перезвонить в пятницу"})
    assert "Перезвонить в пятницу" in client.get(f"/customers/{olga.pk}/").content.decode()


def test_admin_adds_a_custom_field_and_it_appears_on_the_form(world: World) -> None:
    client = client_for(world.admin)
    response = client.post("/customers/settings/custom-fields/new/", {"label": "Номер карты", "type": "text"})
    assert response.status_code == 302
    assert "Номер карты" in client.get("/customers/new/").content.decode()
