"""Services of the customers domain: normalisation, conflicts, append-only history, atomicity, search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import World
from regulars.customers import services
from regulars.customers.models import Asset, Consent, ContactPoint, Customer, Flag, Note, TimelineEntry
from regulars.customers.selectors import (
    CustomerFilters,
    consents_current,
    customer_lookup,
    customer_search,
    timeline_page,
)
from regulars.platform.actor import Actor
from regulars.platform.errors import Conflict, DomainError, ValidationFailed
from regulars.platform.models import AuditEntry, Event
from regulars.platform.phones import normalize_phone

SYSTEM = Actor.system("test")
# Russian mobiles that the numbering plan assigns (phonenumbers' metadata says which 9xx blocks are in use).
MOBILES = st.from_regex(r"9[0-9]{9}", fullmatch=True).filter(
    lambda n: phonenumbers.is_valid_number(phonenumbers.parse("+7" + n)))


def written_forms(national: str) -> list[str]:
    """The ways Russian staff write one mobile number (national = 10 digits starting with 9)."""
    a, b, c, d = national[:3], national[3:6], national[6:8], national[8:]
    return [f"8 ({a}) {b}-{c}-{d}", f"+7 {a} {b} {c} {d}", f"7{national}", f"8{national}", f"+7({a}){b}{c}{d}",
            f"8-{a}-{b}-{c}-{d}"]


def counts() -> tuple[int, ...]:
    """Everything a change writes: cards, contacts, consents, flags, assets, notes, events, timeline, audit."""
    return tuple(model.objects.count() for model in (Customer, ContactPoint, Consent, Flag, Asset, Note, Event,
                                                     TimelineEntry, AuditEntry))


def search(world: World, **filters: Any) -> list[Customer]:
    return list(customer_search(world.admin, CustomerFilters(**filters)))


# ------------------------------------------------------------------ phones


@pytest.mark.django_db
def test_three_ways_of_writing_a_phone_are_one_number_and_a_second_card_is_a_conflict() -> None:
    first = services.customer_create(actor=SYSTEM, first_name="Первый", phones=["8 (912) 345-67-89"])
    assert list(first.contacts.values_list("kind", "value")) == [("phone", "+79123456789")]
    before = counts()
    for i, form in enumerate(["+7 912 345 67 89", "79123456789", "8 (912) 345-67-89"]):
        with pytest.raises(Conflict) as caught:
            services.customer_create(actor=SYSTEM, first_name="Второй", phones=[form], emails=[f"second{i}@mail.ru"])
        assert caught.value.extra["existing_customer_id"] == first.pk
        assert "phones" in caught.value.fields
    assert counts() == before  # no second card, no orphan e-mail row, no event, no audit entry
    assert ContactPoint.objects.filter(value="+79123456789").count() == 1
    assert not ContactPoint.objects.filter(kind="email").exists()


@pytest.mark.django_db
def test_adding_a_taken_phone_to_another_card_names_the_holder() -> None:
    holder = services.customer_create(actor=SYSTEM, first_name="Хозяин", phones=["+79123456789"])
    other = services.customer_create(actor=SYSTEM, first_name="Другой", phones=["+79991112233"])
    before = counts()
    with pytest.raises(Conflict) as caught:
        services.contact_add(actor=SYSTEM, customer_id=other.pk, kind="phone", value="8 912 345 67 89")
    assert caught.value.extra["existing_customer_id"] == holder.pk
    assert counts() == before


@given(MOBILES)
def test_every_russian_way_of_writing_a_mobile_is_one_e164_number(national: str) -> None:
    assert {normalize_phone(form) for form in written_forms(national)} == {f"+7{national}"}


@pytest.mark.django_db
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(MOBILES, st.integers(min_value=0, max_value=5), st.integers(min_value=0, max_value=5))
def test_lookup_finds_the_card_whatever_the_form(national: str, stored: int, typed: int) -> None:
    ContactPoint.objects.filter(value=f"+7{national}").delete()
    customer = services.customer_create(actor=SYSTEM, first_name="Тест", phones=[written_forms(national)[stored]])
    assert customer.contacts.get().value == f"+7{national}"
    assert customer_lookup(kind="phone", value=written_forms(national)[typed]) == customer


# ------------------------------------------------------------------ consents and flags


@pytest.mark.django_db
def test_consents_are_appended_a_repeat_is_not_recorded_and_a_revocation_keeps_history() -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Нина", phones=["+79222222222"])
    give = {"channel": "sms", "purpose": "marketing", "source": "сайт"}
    assert services.consent_set(actor=SYSTEM, customer_id=customer.pk, granted=True, **give) is not None
    events = Event.objects.count()
    assert services.consent_set(actor=SYSTEM, customer_id=customer.pk, granted=True, **give) is None
    assert Event.objects.count() == events  # the identical repeat writes nothing
    assert services.consent_set(actor=SYSTEM, customer_id=customer.pk, granted=False, **give) is not None
    assert list(customer.consents.order_by("id").values_list("granted", "source")) == [(True, "сайт"),
                                                                                      (False, "сайт")]
    assert consents_current(customer.pk)[("sms", "marketing")].granted is False
    kinds = [e.kind for e in timeline_page(customer.pk).entries]
    assert kinds[:2] == ["consent.revoked", "consent.given"]
    with pytest.raises(ValidationFailed) as caught:
        services.consent_set(actor=SYSTEM, customer_id=customer.pk, channel="fax", purpose="marketing",
                             granted=True, source="")
    assert set(caught.value.fields) == {"channel", "source"}


@pytest.mark.django_db
def test_flags_one_active_per_kind_and_clearing_keeps_the_row() -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Гена", phones=["+79333333333"])
    flag = services.flag_set(actor=SYSTEM, customer_id=customer.pk, kind="risk", reason="не забирает")
    services.flag_set(actor=SYSTEM, customer_id=customer.pk, kind="blacklist", reason="долг")  # another kind: fine
    with pytest.raises(Conflict):
        services.flag_set(actor=SYSTEM, customer_id=customer.pk, kind="risk", reason="again")
    services.flag_clear(actor=SYSTEM, customer_id=customer.pk, flag_id=flag.pk, reason="забрал")
    flag.refresh_from_db()
    assert flag.cleared_at is not None and flag.cleared_reason == "забрал"
    assert customer.flags.count() == 2
    again = services.flag_set(actor=SYSTEM, customer_id=customer.pk, kind="risk", reason="снова")
    assert customer.flags.filter(kind="risk").count() == 2 and again.cleared_at is None
    with pytest.raises(ValidationFailed) as caught:
        services.flag_set(actor=SYSTEM, customer_id=customer.pk, kind="vip", reason="")
    assert set(caught.value.fields) == {"kind"}


# ------------------------------------------------------------------ assets and custom fields


@pytest.mark.django_db
def test_assets_validate_against_their_type() -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Рита", phones=["+79660000000"])
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="vehicle",
                           data={"make": "Kia", "year": "1800", "vin": "1HGCM82633A00435X", "colour": "red"})
    assert set(caught.value.fields) == {"data.model", "data.year", "data.vin", "data.colour"}
    with pytest.raises(ValidationFailed) as caught:
        services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="spaceship", data={})
    assert set(caught.value.fields) == {"type"}
    assert counts() == before
    prescription = services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="eyeglass_prescription",
                                      data={"od_sph": "-1,25", "os_sph": "-1.5", "od_axis": "90", "pd": "62"})
    assert prescription.data["od_sph"] == "-1.25"
    assert customer.assets.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("vin", "problem"), [
    ("XTA21099043456789", None),  # a Russian VIN: no check digit
    ("xta 21099 043456789", None),  # typed in lower case with a space
    ("1HGCM82633A004352", None),  # North American, check digit 3 is right
    ("1HGCM82643A004352", "check digit"),  # …and wrong
    ("XTA2109904345678O", "without I, O and Q"),  # the letter O
    ("XTA210990434567", "17 letters"),  # too short
])
def test_vin_validation(vin: str, problem: str | None) -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Вин", phones=["+79660000001"])
    if problem is None:
        asset = services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="vehicle",
                                   data={"make": "Lada", "model": "2109", "vin": vin})
        assert asset.data["vin"] == vin.upper().replace(" ", "")
    else:
        with pytest.raises(ValidationFailed) as caught:
            services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="vehicle",
                               data={"make": "Lada", "model": "2109", "vin": vin})
        assert set(caught.value.fields) == {"data.vin"}
        assert problem in caught.value.fields["data.vin"]
        assert not Asset.objects.exists()


@pytest.mark.django_db
def test_plate_is_normalised_and_found_in_cyrillic_and_latin(world: World) -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Номер", phones=["+79660000002"])
    asset = services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="vehicle",
                               data={"make": "Kia", "model": "Rio", "plate": "в 456 ор 799"})
    assert asset.data["plate"] == "B456OP799"
    assert asset.title == "Kia Rio B456OP799"
    for typed in ("В456ОР799", "b456op", "в456ор", "456 ор 79", "B 456 OP"):
        assert search(world, q=typed) == [customer], typed


@pytest.mark.django_db
def test_custom_fields_are_validated_by_their_type() -> None:
    services.custom_field_create(actor=SYSTEM, label="Сегмент", type="choice", choices=["Опт", "Розница"])
    services.custom_field_create(actor=SYSTEM, label="Скидка", key="discount", type="number")
    services.custom_field_create(actor=SYSTEM, label="Договор от", key="contract_date", type="date")
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        services.customer_create(actor=SYSTEM, first_name="Ада",
                                 custom={"segment": "Другое", "discount": "много", "contract_date": "31.02.2024",
                                         "unknown": "x"})
    assert set(caught.value.fields) == {"custom.segment", "custom.discount", "custom.contract_date", "custom.unknown"}
    assert counts() == before
    customer = services.customer_create(actor=SYSTEM, first_name="Ада",
                                        custom={"segment": "Опт", "discount": "7,5", "contract_date": "2024-02-29"})
    assert customer.custom == {"segment": "Опт", "discount": "7.5", "contract_date": "2024-02-29"}


# ------------------------------------------------------------------ updates, history and atomicity


@pytest.mark.django_db
def test_update_changes_only_given_fields_and_audits_the_diff(world: World) -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Семён", last_name="Лисин", birthday="1980-05-01",
                                        phones=["+79444444444"], home_branch_id=world.branch_a.pk, tags=["VIP"])
    services.customer_update(actor=world.actor(world.manager_a), customer_id=customer.pk,
                             home_branch_id=world.branch_b.pk)
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, str(customer.birthday), customer.home_branch_id) == (
        "Семён", "Лисин", "1980-05-01", world.branch_b.pk)
    assert list(customer.tags.values_list("name", flat=True)) == ["VIP"]
    assert list(customer.contacts.values_list("value", flat=True)) == ["+79444444444"]
    entry = AuditEntry.objects.filter(action="customer.update").get()
    assert entry.changes == {"home_branch_id": [world.branch_a.pk, world.branch_b.pk]}
    assert entry.actor_id == world.manager_a.pk
    events = Event.objects.count()
    services.customer_update(actor=SYSTEM, customer_id=customer.pk, first_name="Семён")  # nothing changes
    assert Event.objects.count() == events
    assert AuditEntry.objects.filter(action="customer.update").count() == 1


@pytest.mark.django_db
def test_every_change_lands_on_the_timeline_newest_first(world: World) -> None:
    actor = world.actor(world.operator_a)
    customer = services.customer_create(actor=actor, first_name="Лев", phones=["+79120000001"],
                                        home_branch_id=world.branch_a.pk)
    services.customer_update(actor=actor, customer_id=customer.pk, last_name="Толстой")
    contact = services.contact_add(actor=actor, customer_id=customer.pk, kind="email", value="Lev@Yasnaya.ru")
    services.contact_remove(actor=actor, customer_id=customer.pk, contact_id=contact.pk)
    services.consent_set(actor=actor, customer_id=customer.pk, channel="sms", purpose="service", granted=True,
                         source="звонок")
    services.consent_set(actor=actor, customer_id=customer.pk, channel="sms", purpose="service", granted=False,
                         source="звонок")
    flag = services.flag_set(actor=actor, customer_id=customer.pk, kind="risk", reason="спорит")
    services.flag_clear(actor=actor, customer_id=customer.pk, flag_id=flag.pk)
    asset = services.asset_add(actor=actor, customer_id=customer.pk, type="vehicle",
                               data={"make": "Lada", "model": "Niva"})
    services.asset_update(actor=actor, customer_id=customer.pk, asset_id=asset.pk, data={"year": "2020"})
    services.asset_archive(actor=actor, customer_id=customer.pk, asset_id=asset.pk)
    services.note_add(actor=actor, customer_id=customer.pk, text="Пишет роман")
    entries = timeline_page(customer.pk, limit=50).entries
    assert [e.kind for e in entries] == [
        "note.added", "asset.archived", "asset.updated", "asset.added", "flag.cleared", "flag.set",
        "consent.revoked", "consent.given", "contact.removed", "contact.added", "customer.updated",
        "customer.created",
    ]
    assert {e.actor_label for e in entries} == {"operator_a"}
    assert {e.branch_id for e in entries} == {world.branch_a.pk}
    assert entries[0].summary == "Пишет роман"
    assert entries[-3].data["value"] == "lev@yasnaya.ru"


@pytest.mark.django_db
@pytest.mark.parametrize("failing", [
    lambda c: services.customer_update(actor=SYSTEM, customer_id=c.pk, first_name="Ирина", birthday="2999-01-01"),
    lambda c: services.customer_update(actor=SYSTEM, customer_id=c.pk, first_name="Ирина", phones=["+79111111111",
                                                                                               "12"]),
    lambda c: services.contact_add(actor=SYSTEM, customer_id=c.pk, kind="email", value="not-an-email"),
    lambda c: services.consent_set(actor=SYSTEM, customer_id=c.pk, channel="sms", purpose="service",
                                   granted=True, source=" "),
    lambda c: services.flag_set(actor=SYSTEM, customer_id=c.pk, kind="risk", reason=""),
    lambda c: services.asset_add(actor=SYSTEM, customer_id=c.pk, type="vehicle", data={"make": "Kia"}),
    lambda c: services.note_add(actor=SYSTEM, customer_id=c.pk, text="   "),
], ids=["update", "update-contacts", "contact", "consent", "flag", "asset", "note"])
def test_a_failed_change_writes_no_event_no_timeline_no_audit(failing: Callable[[Customer], Any]) -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Ира", phones=["+79111111111"])
    before = counts()
    with pytest.raises(DomainError):
        failing(customer)
    assert counts() == before
    customer.refresh_from_db()
    assert customer.first_name == "Ира"


# ------------------------------------------------------------------ search and filters


@pytest.mark.django_db
def test_search_by_digits_name_email_plate_and_vin(world: World) -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Фёдор", last_name="Ёлкина-Смирнова",
                                        phones=["+79161234567"], emails=["fedor@elkin.ru"])
    other = services.customer_create(actor=SYSTEM, first_name="Иван", last_name="Смирнов", phones=["+79990001122"],
                                     emails=["ivan@other.ru"])
    services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="vehicle",
                       data={"make": "Lada", "model": "Vesta", "plate": "Е001КХ777", "vin": "XTAGFL110KY123456"})
    for query in ("4567", "8916123", "8 916 123-45", "+7 (916) 123", "ёлкин", "ЁЛКИНА фёд", "elkin.ru", "FEDOR@",
                  "е 001 кх", "E001KX", "ky1234", "xtagfl"):
        assert search(world, q=query) == [customer], query
    assert search(world, q="0001122") == [other]
    assert search(world, q="смирнов") == [other, customer]  # newest first, part of a double surname
    assert search(world, q="5555") == []


@pytest.mark.django_db
def test_filters_by_branch_tag_flag_and_current_consent(world: World) -> None:
    a = services.customer_create(actor=SYSTEM, first_name="А", phones=["+79550000001"],
                                 home_branch_id=world.branch_a.pk, tags=["VIP"])
    b = services.customer_create(actor=SYSTEM, first_name="Б", phones=["+79550000002"],
                                 home_branch_id=world.branch_b.pk, tags=["Такси"])
    c = services.customer_create(actor=SYSTEM, first_name="В", phones=["+79550000003"],
                                 home_branch_id=world.branch_a.pk)
    services.flag_set(actor=SYSTEM, customer_id=a.pk, kind="blacklist", reason="долг")
    cleared = services.flag_set(actor=SYSTEM, customer_id=c.pk, kind="risk", reason="спор")
    services.flag_clear(actor=SYSTEM, customer_id=c.pk, flag_id=cleared.pk)
    services.flag_set(actor=SYSTEM, customer_id=b.pk, kind="risk", reason="хамит")
    for customer in (a, b):
        services.consent_set(actor=SYSTEM, customer_id=customer.pk, channel="sms", purpose="marketing",
                             granted=True, source="form")
    services.consent_set(actor=SYSTEM, customer_id=b.pk, channel="sms", purpose="marketing", granted=False,
                         source="STOP")
    assert search(world, branch_id=world.branch_a.pk) == [c, a]
    assert search(world, tag="VIP") == [a]
    assert search(world, flag="blacklist") == [a]
    assert search(world, flag="risk") == [b]  # c's risk flag is cleared
    assert search(world, flag="any") == [b, a]
    assert search(world, consent="sms:marketing") == [a]  # b revoked: the current decision counts
    assert search(world, consent="sms:service") == []
    assert search(world, branch_id=world.branch_a.pk, flag="any", q="+7955") == [a]
