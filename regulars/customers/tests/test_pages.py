"""Customer pages with the personas: what each person sees and can do, and what must not happen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from conftest import World, client_for
from regulars.customers import services
from regulars.customers.models import Asset, AssetType, Consent, ContactPoint, Customer, Flag, Note, TimelineEntry
from regulars.platform.models import AuditEntry, Event

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def block(html: str, element_id: str) -> str:
    """The HTML of the element with this id, up to its closing tag: to assert that an error sits next to its field
    or that a value is shown in the right section."""
    attr = html.index(f'id="{element_id}"')
    start = html.rindex("<", 0, attr)
    tag = re.match(r"<(\w+)", html[start:]).group(1)  # type: ignore[union-attr]
    depth, pos = 0, start
    for match in re.finditer(rf"<(/?){tag}\b", html[start:]):
        depth += -1 if match.group(1) else 1
        pos = start + match.end()
        if depth == 0:
            break
    return html[start:pos]


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Customer, ContactPoint, Consent, Flag, Asset, Note, Event,
                                                     TimelineEntry, AuditEntry))


@pytest.fixture
def two_customers(world: World) -> tuple[Customer, Customer]:
    actor = world.actor(world.admin)
    olga = services.customer_create(actor=actor, first_name="Ольга", last_name="Смирнова", phones=["+79165554321"],
                                    emails=["olga@smirnova.ru"], home_branch_id=world.branch_a.pk, tags=["VIP"])
    petr = services.customer_create(actor=actor, first_name="Пётр", last_name="Кузнецов", phones=["+79031112233"],
                                    home_branch_id=world.branch_b.pk)
    return olga, petr


# ------------------------------------------------------------------ access


def test_anonymous_is_sent_to_login(db: None) -> None:
    for url in ("/customers/", "/customers/1/", "/customers/new/", "/customers/settings/asset-types/"):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/")


def test_unknown_card_is_404(world: World) -> None:
    client = client_for(world.operator_a)
    assert 'class="error-page"' in client.get("/customers/424242/").content.decode()  # the product's 404 page
    for url in ("/customers/424242/", "/customers/424242/edit/", "/customers/424242/timeline/",
                "/customers/424242/assets/new/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/customers/424242/notes/", {"text": "x"}).status_code == 404
    assert not Note.objects.exists()


def test_operator_cannot_open_card_settings(world: World) -> None:
    client = client_for(world.operator_a)
    for url in ("/customers/settings/asset-types/", "/customers/settings/asset-types/new/",
                "/customers/settings/custom-fields/", "/customers/settings/custom-fields/new/"):
        assert client.get(url).status_code == 403, url
    types = AssetType.objects.count()
    assert client.post("/customers/settings/asset-types/new/", {"name": "X"}).status_code == 403
    assert client.post("/customers/settings/custom-fields/new/", {"label": "X", "type": "text"}).status_code == 403
    assert AssetType.objects.count() == types
    assert 'data-testid="forbidden"' in client.get("/customers/settings/asset-types/").content.decode()


def test_marketer_sees_cards_but_cannot_change_them(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    client = client_for(world.marketer)
    page = client.get(f"/customers/{olga.pk}/").content.decode()
    assert "Смирнова" in page
    assert "note-form" not in page and 'data-testid="add-asset"' not in page
    before = counts()
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/customers/new/", {"first_name": "X", "phones": "+79001112233"}),
        (f"/customers/{olga.pk}/edit/", {"first_name": "X", "language": "ru"}),
        (f"/customers/{olga.pk}/notes/", {"text": "hack"}),
        (f"/customers/{olga.pk}/contacts/", {"kind": "phone", "value": "+79001112233"}),
        (f"/customers/{olga.pk}/consents/", {"channel": "sms", "purpose": "marketing", "granted": "1",
                                             "source": "x"}),
        (f"/customers/{olga.pk}/flags/", {"kind": "blacklist", "reason": "x"}),
        (f"/customers/{olga.pk}/assets/new/", {"type": "vehicle", "save": "1", "make": "A", "model": "B"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
        assert client.post(url, data, headers=HTMX).status_code == 403, url
    assert counts() == before
    olga.refresh_from_db()
    assert olga.first_name == "Ольга"


def test_operator_cannot_set_flags_but_manager_can(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    assert client_for(world.operator_a).post(f"/customers/{olga.pk}/flags/", {
        "kind": "blacklist", "reason": "x"}).status_code == 403
    assert not olga.flags.exists()
    assert client_for(world.manager_a).post(f"/customers/{olga.pk}/flags/", {
        "kind": "blacklist", "reason": "Хамство"}).status_code == 302
    assert olga.flags.get().reason == "Хамство"


# ------------------------------------------------------------------ the list


def test_search_by_four_digits_finds_only_the_match(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, petr = two_customers
    page = client_for(world.operator_b).get("/customers/", {"q": "4321"}).content.decode()
    assert f"/customers/{olga.pk}/" in page
    assert f"/customers/{petr.pk}/" not in page
    assert '+7 916 555-<mark class="hit">43-21</mark>' in page  # the typed digits are marked
    assert "1 customer found" in page


def test_search_box_is_live(world: World, two_customers: tuple[Customer, Customer]) -> None:
    page = client_for(world.operator_a).get("/customers/").content.decode()
    box = re.search(r'<input type="search" name="q"[^>]*>', page, re.S)
    assert box is not None
    assert "autofocus" in box.group(0)
    assert 'hx-trigger="input changed delay:250ms, search"' in box.group(0)
    assert 'hx-target="#customer-results"' in page and 'hx-push-url="true"' in page


def test_htmx_search_returns_only_the_results_fragment(world: World, two_customers: tuple[Customer, Customer]) -> None:
    response = client_for(world.operator_a).get("/customers/", {"q": "Кузнец"}, headers=HTMX)
    html = response.content.decode()
    assert "<html" not in html and "customer-search" not in html
    assert "Кузнецов" in html and "Смирнова" not in html
    assert response["Vary"].find("HX-Request") >= 0
    restore = client_for(world.operator_a).get("/customers/", {"q": "Кузнец"}, headers={
        **HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()  # back button: htmx wants the whole page


def test_filters_by_branch_flag_and_tag(world: World, two_customers: tuple[Customer, Customer]) -> None:
    _olga, petr = two_customers
    services.flag_set(actor=world.actor(world.admin), customer_id=petr.pk, kind="risk", reason="спорит")
    client = client_for(world.admin)
    html = client.get("/customers/", {"branch": world.branch_b.pk}).content.decode()
    assert "Кузнецов" in html and "Смирнова" not in html
    html = client.get("/customers/", {"flag": "risk"}).content.decode()
    assert "Кузнецов" in html and "Смирнова" not in html and 'title="спорит"' in html
    html = client.get("/customers/", {"tag": "VIP"}).content.decode()
    assert "Смирнова" in html and "Кузнецов" not in html
    html = client.get("/customers/", {"flag": "nonsense", "branch": "x", "consent": "fax:x"}).content.decode()
    assert "Смирнова" in html and "Кузнецов" in html  # unknown filter values are ignored, not a 500


def test_list_pages_by_fifty_without_counting_everything(world: World) -> None:
    for i in range(51):
        services.customer_create(actor=world.actor(world.admin), first_name=f"Клиент{i:02d}",
                                 phones=[f"+7916000{i:04d}"])
    client = client_for(world.operator_a)
    first = client.get("/customers/").content.decode()
    assert first.count('data-testid="customer-row"') == 50
    assert "Showing 1–50" in first and 'rel="next"' in first and "Клиент50" in first and "Клиент00" not in first
    second = client.get("/customers/", {"page": "2"}).content.decode()
    assert second.count('data-testid="customer-row"') == 1 and "Клиент00" in second
    searched = client.get("/customers/", {"q": "клиент"}).content.decode()
    assert "More than 50 found" in searched and "showing 1–50" in searched  # no count of every match
    last = client.get("/customers/", {"q": "клиент", "page": "2"}).content.decode()
    assert "51 customers found" in last  # the last page knows the exact number


def test_nothing_found_for_a_phone_offers_a_card_with_it(world: World) -> None:
    client = client_for(world.operator_a)
    html = client.get("/customers/", {"q": "8 912 000-11-22"}).content.decode()
    assert 'data-testid="nothing-found"' in html
    assert "/customers/new/?phone=8%20912%20000-11-22" in html
    form = client.get("/customers/new/", {"phone": "8 912 000-11-22"}).content.decode()
    assert "8 912 000-11-22</textarea>" in form
    by_name = client.get("/customers/", {"q": "Несуществующий"}).content.decode()
    assert "Nothing found for «Несуществующий»" in by_name and "?phone=" not in by_name


def test_empty_database_offers_to_create_the_first_card(world: World) -> None:
    html = client_for(world.operator_a).get("/customers/").content.decode()
    assert "No customers yet" in html and 'href="/customers/new/"' in html


# ------------------------------------------------------------------ the card


def test_card_shows_contacts_profile_assets_consents_and_timeline(world: World,
                                                                  two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    actor = world.actor(world.manager_a)
    services.asset_add(actor=actor, customer_id=olga.pk, type="vehicle",
                       data={"make": "Kia", "model": "Rio", "year": "2019", "plate": "А123ВС77",
                             "vin": "XTAGFL110KY123456"})
    services.consent_set(actor=actor, customer_id=olga.pk, channel="sms", purpose="marketing", granted=True,
                         source="Анкета")
    services.consent_set(actor=actor, customer_id=olga.pk, channel="email", purpose="marketing", granted=False,
                         source="Отписка")
    services.flag_set(actor=actor, customer_id=olga.pk, kind="blacklist", reason="Долг 18 000 ₽")
    services.note_add(actor=actor, customer_id=olga.pk, text="Перезвонить в пятницу")
    html = client_for(world.operator_b).get(f"/customers/{olga.pk}/").content.decode()  # a branch-B operator
    contacts = block(html, "card-contacts")
    assert "+7 916 555-43-21" in contacts and "olga@smirnova.ru" in contacts and 'data-copy="#contact-' in contacts
    assert "Branch A" in block(html, "card-profile")
    assets = block(html, "card-assets")
    assert "Kia Rio 2019 A123BC77" in assets and "XTAGFL110KY123456" in assets and "Plate" in assets
    consents = block(html, "card-consents")
    assert re.search(r'data-testid="consent-sms:marketing"[^>]*>\s*<span class="consent-cell__mark"[^>]*>✓', consents)
    assert re.search(r'data-testid="consent-email:marketing"[^>]*>\s*<span class="consent-cell__mark"[^>]*>✗',
                     consents)
    assert "Анкета" in consents and "Отписка" in consents
    badges = block(html, "card-badges")
    assert 'data-testid="flag-blacklist"' in badges and "Долг 18 000 ₽" in badges and "VIP" in badges
    assert "Last:" in badges and "Note" in badges
    timeline = html[html.index('data-testid="timeline"'):]
    assert timeline.index("Перезвонить в пятницу") < timeline.index("Flag set") < timeline.index("Asset added")
    assert "Card created" in timeline


def test_card_in_russian(world: World, two_customers: tuple[Customer, Customer]) -> None:
    """The switcher's choice (the test settings default to English; production to Russian)."""
    olga, _ = two_customers
    client = client_for(world.operator_a, "ru")
    html = client.get(f"/customers/{olga.pk}/").content.decode()
    for word in ("Контакты", "Согласия", "Отметки", "История", "Объекты", "Сервисные", "Реклама", "Карточка создана"):
        assert word in html, word
    assert "Клиенты" in client.get("/customers/").content.decode()


def test_timeline_loads_earlier_entries_with_the_cursor(world: World,
                                                       two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    for i in range(30):
        services.note_add(actor=world.actor(world.operator_a), customer_id=olga.pk, text=f"заметка {i:02d}")
    client = client_for(world.operator_a)
    html = client.get(f"/customers/{olga.pk}/").content.decode()
    assert "заметка 29" in html and "заметка 04" not in html
    cursor = re.search(r"timeline/\?cursor=([^\"&]+)", html)
    assert cursor is not None
    more = client.get(f"/customers/{olga.pk}/timeline/?cursor={cursor.group(1)}", headers=HTMX).content.decode()
    assert "заметка 04" in more and "заметка 29" not in more and "Card created" in more
    assert client.get(f"/customers/{olga.pk}/timeline/?cursor=garbage", headers=HTMX).status_code == 400


def test_contacts_are_added_and_removed_inline(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, petr = two_customers
    client = client_for(world.operator_a)
    before = counts()
    bad = client.post(f"/customers/{olga.pk}/contacts/", {"kind": "phone", "value": "12-34"}, headers=HTMX)
    html = bad.content.decode()
    assert bad.status_code == 200 and html.lstrip().startswith('<section class="card" id="card-contacts"')
    assert "12-34 is not a valid phone number" in html and 'value="12-34"' in html
    taken = client.post(f"/customers/{olga.pk}/contacts/", {"kind": "phone", "value": "8 903 111 22 33"}, headers=HTMX)
    assert f'href="/customers/{petr.pk}/"' in taken.content.decode()
    assert counts() == before
    good = client.post(f"/customers/{olga.pk}/contacts/", {"kind": "telegram", "value": "@Olga_S"}, headers=HTMX)
    html = good.content.decode()
    assert "@olga_s" in html
    assert 'id="card-timeline" data-testid="timeline-section" hx-swap-oob="true"' in html  # the timeline follows
    contact = olga.contacts.get(kind="telegram")
    removed = client.post(f"/customers/{olga.pk}/contacts/{contact.pk}/remove/", headers=HTMX).content.decode()
    assert "@olga_s" not in removed.split("card-timeline")[0]
    assert not olga.contacts.filter(kind="telegram").exists()
    assert list(TimelineEntry.objects.filter(customer=olga, kind__startswith="contact.").values_list(
        "kind", flat=True)) == ["contact.removed", "contact.added"]


def test_consent_is_recorded_with_its_source(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    client = client_for(world.operator_a)
    editor = client.get(f"/customers/{olga.pk}/consents/", {"consent": "sms:marketing"}, headers=HTMX).content.decode()
    assert 'data-testid="consent-editor"' in editor and 'name="source"' in editor
    before = counts()
    missing = client.post(f"/customers/{olga.pk}/consents/", {"channel": "sms", "purpose": "marketing",
                                                              "granted": "1", "source": ""}, headers=HTMX)
    assert "say where the consent came from" in missing.content.decode()
    assert counts() == before
    client.post(f"/customers/{olga.pk}/consents/", {"channel": "sms", "purpose": "marketing", "granted": "1",
                                                   "source": "Звонок"}, headers=HTMX)
    revoked = client.post(f"/customers/{olga.pk}/consents/", {"channel": "sms", "purpose": "marketing",
                                                              "granted": "0", "source": "Ответ STOP"}, headers=HTMX)
    assert list(olga.consents.order_by("id").values_list("granted", "source")) == [(True, "Звонок"),
                                                                                 (False, "Ответ STOP")]
    html = revoked.content.decode()
    assert "Ответ STOP" in html and "Consent revoked" in html  # the grid and the timeline (out of band)
    # Without JavaScript the cell link opens the same form on the card page.
    page = client.get(f"/customers/{olga.pk}/", {"consent": "email:service"}).content.decode()
    assert 'data-testid="consent-editor"' in page and 'name="channel" value="email"' in page


def test_notes_and_flags_from_the_card(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    operator, manager = client_for(world.operator_a), client_for(world.manager_a)
    empty = operator.post(f"/customers/{olga.pk}/notes/", {"text": "  "}, headers=HTMX).content.decode()
    assert "A note cannot be empty" in empty or "required" in empty
    assert not olga.notes.exists()
    note = operator.post(f"/customers/{olga.pk}/notes/", {"text": "Перезвонить в пятницу"}, headers=HTMX)
    assert "Перезвонить в пятницу" in note.content.decode()
    no_reason = manager.post(f"/customers/{olga.pk}/flags/", {"kind": "risk", "reason": ""}, headers=HTMX)
    assert 'id="card-flags"' in no_reason.content.decode() and not olga.flags.exists()
    flagged = manager.post(f"/customers/{olga.pk}/flags/", {"kind": "risk", "reason": "Спорит о цене"}, headers=HTMX)
    html = flagged.content.decode()
    assert 'data-testid="flag-risk"' in html  # the header badges are swapped out of band
    twice = manager.post(f"/customers/{olga.pk}/flags/", {"kind": "risk", "reason": "ещё"}, headers=HTMX)
    assert "This flag is already set" in twice.content.decode() or "already set" in twice.content.decode()
    flag = olga.flags.get()
    manager.post(f"/customers/{olga.pk}/flags/{flag.pk}/clear/", {"reason": "Помирились"}, headers=HTMX)
    flag.refresh_from_db()
    assert flag.cleared_at is not None and flag.cleared_reason == "Помирились"


# ------------------------------------------------------------------ create and edit


def test_create_with_a_bad_phone_keeps_the_typed_values_and_saves_nothing(world: World) -> None:
    before = counts()
    response = client_for(world.operator_a).post("/customers/new/", {
        "last_name": "Новиков", "phones": "+7 912 345 67 89\n12-34", "language": "ru", "consent-source": "form"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Новиков"' in html
    assert "12-34 is not a valid phone number" in block(html, "field-phones")
    assert "+7 912 345 67 89\n12-34</textarea>" in html
    assert counts() == before


def test_create_with_a_taken_phone_links_the_existing_card(world: World,
                                                          two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    before = counts()
    response = client_for(world.operator_a).post("/customers/new/", {
        "first_name": "Двойник", "phones": "8 916 555 43 21", "language": "ru"})
    assert response.status_code == 200
    phones = block(response.content.decode(), "field-phones")
    assert "This phone belongs to" in phones and f'href="/customers/{olga.pk}/"' in phones and "Смирнова" in phones
    assert counts() == before


def test_create_then_land_on_the_card(world: World) -> None:
    response = client_for(world.operator_a).post("/customers/new/", {
        "first_name": "Алла", "last_name": "Гусева", "phones": "8 (999) 123-45-67\n+7 999 765 43 21",
        "emails": "Alla@Mail.ru", "language": "ru", "tags": "VIP, Такси", "home_branch": world.branch_b.pk,
        "preferred_channels_0": "telegram", "preferred_channels_1": "sms",
        "consent-service": ["sms"], "consent-marketing": ["sms", "email"], "consent-source": "Анкета"})
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "Такси"]
    assert list(customer.contacts.filter(kind="phone").values_list("value", "is_primary")) == [
        ("+79991234567", True), ("+79997654321", False)]
    assert customer.preferred_channels == ["telegram", "sms"]
    assert customer.time_zone == "Asia/Yekaterinburg"  # from the home branch
    assert sorted(customer.consents.values_list("channel", "purpose", "source")) == [
        ("email", "marketing", "Анкета"), ("sms", "marketing", "Анкета"), ("sms", "service", "Анкета")]


def test_custom_field_error_sits_next_to_its_input(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    services.custom_field_create(actor=world.actor(world.admin), label="Скидка", key="discount", type="number")
    response = client_for(world.operator_a).post(f"/customers/{olga.pk}/edit/", {
        "first_name": "Ольга", "last_name": "Смирнова", "phones": "+79165554321", "custom.discount": "много"})
    assert response.status_code == 200
    assert "a number is expected" in block(response.content.decode(), "field-custom.discount")
    olga.refresh_from_db()
    assert olga.custom == {}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_edit_form_round_trip_changes_only_what_was_changed(world: World, two_customers: tuple[Customer, Customer],
                                                            language: str) -> None:
    """The form shows every stored value the way it posts it back (dates in ISO for <input type=date>, phones
    formatted), so saving it with one change records exactly that change."""
    olga, _ = two_customers
    services.customer_update(actor=world.actor(world.admin), customer_id=olga.pk, birthday="1985-04-07",
                             preferred_channels=["telegram", "sms"])
    client = client_for(world.operator_a, language)
    form = client.get(f"/customers/{olga.pk}/edit/").content.decode()
    assert 'value="Смирнова"' in form and "+7 916 555-43-21</textarea>" in form
    assert 'type="date" name="birthday" value="1985-04-07"' in form
    response = client.post(f"/customers/{olga.pk}/edit/", {
        "first_name": "Ольга", "last_name": "Смирнова-Петрова", "phones": "+7 916 555-43-21",
        "emails": "olga@smirnova.ru", "birthday": "1985-04-07", "preferred_channels_0": "telegram",
        "preferred_channels_1": "sms", "preferred_channels_2": "", "tags": "VIP", "home_branch": world.branch_a.pk,
        "time_zone": "Europe/Moscow", "status": "active", "language": "ru"})
    assert response.status_code == 302
    olga.refresh_from_db()
    assert olga.last_name == "Смирнова-Петрова"
    entry = AuditEntry.objects.filter(action="customer.update").order_by("-id").first()
    assert entry is not None and entry.changes == {"last_name": ["Смирнова", "Смирнова-Петрова"]}


# ------------------------------------------------------------------ assets


def test_adding_a_vehicle_through_the_page(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    client = client_for(world.consultant_a)
    fields = client.get(f"/customers/{olga.pk}/assets/new/", {"type": "vehicle"}, headers=HTMX).content.decode()
    assert 'name="vin"' in fields and 'name="plate"' in fields and "<html" not in fields
    bad = client.post(f"/customers/{olga.pk}/assets/new/", {"type": "vehicle", "save": "1", "make": "Kia",
                                                           "model": "", "vin": "123"})
    html = bad.content.decode()
    assert bad.status_code == 200
    assert "17 letters and digits" in block(html, "field-vin")
    assert "required" in block(html, "field-model")
    assert 'value="Kia"' in html
    assert not Asset.objects.exists()
    good = client.post(f"/customers/{olga.pk}/assets/new/", {"type": "vehicle", "save": "1", "make": "Kia",
                                                            "model": "Rio", "year": "2019", "plate": "в456ор799"})
    assert good.status_code == 302
    assert Asset.objects.get().title == "Kia Rio 2019 B456OP799"
    assert TimelineEntry.objects.filter(customer=olga, kind="asset.added").count() == 1
    card = client.get(f"/customers/{olga.pk}/").content.decode()
    assert "Kia Rio 2019 B456OP799" in block(card, "card-assets")


def test_asset_labels_follow_the_language(world: World, two_customers: tuple[Customer, Customer]) -> None:
    olga, _ = two_customers
    html = client_for(world.operator_a, "ru").get(f"/customers/{olga.pk}/assets/new/", {"type": "vehicle"},
                                                  headers=HTMX).content.decode()
    assert "Госномер" in html and "Марка" in html


# ------------------------------------------------------------------ settings


def test_admin_builds_an_asset_type_with_the_field_editor(world: World) -> None:
    client = client_for(world.admin)
    assert 'data-testid="field-editor"' in client.get("/customers/settings/asset-types/new/").content.decode()
    rows = {"fields-TOTAL_FORMS": "3", "fields-INITIAL_FORMS": "0",
            "fields-0-key": "serial", "fields-0-label": "Serial", "fields-0-label_ru": "Серийный номер",
            "fields-0-type": "text", "fields-0-required": "on",
            "fields-1-key": "kind", "fields-1-label": "Kind", "fields-1-type": "choice", "fields-1-choices": "A, B",
            "fields-2-key": "", "fields-2-label": "", "fields-2-type": "text"}
    before = AssetType.objects.count()
    bad = client.post("/customers/settings/asset-types/new/", {
        "name": "Телефон", **rows, "fields-1-key": "Kind!", "is_active": "on"})
    assert bad.status_code == 200 and AssetType.objects.count() == before
    assert "latin letters" in bad.content.decode()
    good = client.post("/customers/settings/asset-types/new/", {"name": "Телефон", "key": "phone_device", **rows,
                                                                "title_fields": "serial", "is_active": "on"})
    assert good.status_code == 302
    created = AssetType.objects.get(key="phone_device")
    assert created.fields == [
        {"key": "serial", "label": "Serial", "type": "text", "required": True, "label_ru": "Серийный номер"},
        {"key": "kind", "label": "Kind", "type": "choice", "required": False, "choices": ["A", "B"]}]
    assert created.title_fields == ["serial"]
    listing = client.get("/customers/settings/asset-types/").content.decode()
    assert "Телефон" in listing and "phone_device" in listing


def test_editing_an_asset_type_keeps_settings_the_editor_has_no_column_for(world: World) -> None:
    client = client_for(world.admin)
    prescription = AssetType.objects.get(key="eyeglass_prescription")
    page = client.get(f"/customers/settings/asset-types/{prescription.pk}/").content.decode()
    total = len(prescription.fields)
    assert f'name="fields-TOTAL_FORMS" value="{total + 2}"' in page
    data = {"name": "Рецепт", "title_fields": "date, doctor", "is_active": "on",
            "fields-TOTAL_FORMS": str(total), "fields-INITIAL_FORMS": str(total)}
    for i, spec in enumerate(prescription.fields):
        data.update({f"fields-{i}-key": spec["key"], f"fields-{i}-label": spec["label"],
                     f"fields-{i}-label_ru": spec.get("label_ru", ""), f"fields-{i}-type": spec["type"],
                     f"fields-{i}-min": str(spec.get("min", "")), f"fields-{i}-max": str(spec.get("max", ""))})
    data["fields-0-DELETE"] = "on"
    assert client.post(f"/customers/settings/asset-types/{prescription.pk}/", data).status_code == 302
    prescription.refresh_from_db()
    assert prescription.name == "Рецепт"
    assert len(prescription.fields) == total - 1
    assert prescription.fields[0]["key"] == "od_cyl" and prescription.fields[0]["step"] == "0.25"


def test_admin_adds_a_custom_field_and_it_appears_on_the_form(world: World) -> None:
    client = client_for(world.admin)
    bad = client.post("/customers/settings/custom-fields/new/", {"label": "Тип", "type": "choice", "choices": ""})
    assert bad.status_code == 200 and "at least one option" in bad.content.decode()
    response = client.post("/customers/settings/custom-fields/new/", {"label": "Номер карты", "type": "text"})
    assert response.status_code == 302
    assert "Номер карты" in client.get("/customers/new/").content.decode()
    assert "Номер карты" in client.get("/customers/settings/custom-fields/").content.decode()


# ------------------------------------------------------------------ cost


def test_list_and_card_cost_does_not_grow_with_the_data(world: World, django_assert_max_num_queries: Any) -> None:
    actor = world.actor(world.admin)
    customer = None
    for i in range(30):
        customer = services.customer_create(actor=actor, first_name=f"Клиент{i}", phones=[f"+7916100{i:04d}"],
                                            emails=[f"c{i}@mail.ru"], tags=["VIP", f"t{i}"],
                                            home_branch_id=world.branch_a.pk)
        services.flag_set(actor=actor, customer_id=customer.pk, kind="risk", reason="x")
    assert customer is not None
    for i in range(5):
        services.asset_add(actor=actor, customer_id=customer.pk, type="vehicle",
                           data={"make": "Kia", "model": f"M{i}", "plate": f"А{i}23ВС77"})
        services.consent_set(actor=actor, customer_id=customer.pk, channel="sms", purpose="marketing",
                             granted=i % 2 == 0, source="x")
    client = client_for(world.operator_a)
    with django_assert_max_num_queries(10):  # session, user, page, contacts, tags, flags, branches, tag filter
        assert client.get("/customers/").status_code == 200
    with django_assert_max_num_queries(11):  # …and the bounded count of matches
        assert client.get("/customers/", {"q": "клиент"}).status_code == 200
    with django_assert_max_num_queries(22):  # 18, and the orders section: branches, recent orders, elsewhere, pickup
        assert client.get(f"/customers/{customer.pk}/").status_code == 200
