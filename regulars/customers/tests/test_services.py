"""Services of the customers domain: normalisation, conflicts, append-only history, atomicity, search."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import World
from regulars.customers import services
from regulars.customers.models import ContactPoint, Customer, TimelineEntry
from regulars.customers.selectors import CustomerFilters, customer_lookup, customer_search
from regulars.platform.actor import Actor
from regulars.platform.errors import Conflict, ValidationFailed
from regulars.platform.models import AuditEntry, Event
from regulars.platform.phones import normalize_phone

SYSTEM = Actor.system("test")
# Russian mobiles that the numbering plan assigns (phonenumbers' metadata says which 9xx blocks are in use).
MOBILES = st.from_regex(r"9[0-9]{9}", fullmatch=True).filter(
    lambda n: phonenumbers.is_valid_number(phonenumbers.parse("+7" + n)))


def written_forms(national: str) -> list[str]:
    """The ways Russian staff write one mobile number (national = 10 digits starting with 9)."""
    a, b, c, d = national[:3], national[3:6], national[6:8], national[8:]
    return [f"8 ({a}) {b}-{c}-{d}", f"+7 {a} {b} {c} {d}", f"7{national}", f"8{national}", f"+7({a}){b}{c}{d}"]


@given(MOBILES)
def test_every_russian_way_of_writing_a_mobile_is_one_e164_number(national: str) -> None:
    assert {normalize_phone(form) for form in written_forms(national)} == {f"+7{national}"}


@pytest.mark.django_db
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(MOBILES, st.integers(min_value=0, max_value=4))
def test_lookup_finds_the_card_whatever_the_form(national: str, form: int) -> None:
    ContactPoint.objects.filter(value=f"+7{national}").delete()
    customer = services.customer_create(actor=SYSTEM, first_name="Тест", phones=[written_forms(national)[0]])
    assert customer_lookup(kind="phone", value=written_forms(national)[form]) == customer


@pytest.mark.django_db
def test_second_card_with_the_same_phone_is_a_conflict_and_leaves_nothing() -> None:
    first = services.customer_create(actor=SYSTEM, first_name="Первый", phones=["+79123456789"])
    events_before = Event.objects.count()
    with pytest.raises(Conflict) as caught:
        services.customer_create(actor=SYSTEM, first_name="Второй", phones=["79123456789"], emails=["x@y.ru"])
    assert caught.value.extra["existing_customer_id"] == first.pk
    assert Customer.objects.count() == 1
    assert ContactPoint.objects.count() == 1
    assert Event.objects.count() == events_before


@pytest.mark.django_db
def test_a_failed_change_writes_no_event_no_timeline_no_audit() -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Ира", phones=["+79111111111"])
    counts = (Event.objects.count(), TimelineEntry.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        services.customer_update(actor=SYSTEM, customer_id=customer.pk, first_name="Ирина", birthday="2999-01-01")
    assert set(caught.value.fields) == {"birthday"}
    customer.refresh_from_db()
    assert customer.first_name == "Ира"
    assert (Event.objects.count(), TimelineEntry.objects.count(), AuditEntry.objects.count()) == counts


@pytest.mark.django_db
def test_consents_are_appended_and_a_repeat_is_not_recorded() -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Нина", phones=["+79222222222"])
    give = {"channel": "sms", "purpose": "marketing", "source": "сайт"}
    assert services.consent_set(actor=SYSTEM, customer_id=customer.pk, granted=True, **give) is not None
    assert services.consent_set(actor=SYSTEM, customer_id=customer.pk, granted=True, **give) is None
    assert services.consent_set(actor=SYSTEM, customer_id=customer.pk, granted=False, **give) is not None
    assert list(customer.consents.order_by("id").values_list("granted", flat=True)) == [True, False]
    kinds = list(TimelineEntry.objects.filter(customer=customer).values_list("kind", flat=True))
    assert kinds[:2] == ["consent.revoked", "consent.given"]
    with pytest.raises(ValidationFailed) as caught:
        services.consent_set(actor=SYSTEM, customer_id=customer.pk, channel="fax", purpose="marketing",
                             granted=True, source="")
    assert set(caught.value.fields) == {"channel", "source"}


@pytest.mark.django_db
def test_flags_one_active_per_kind_and_clearing_keeps_the_row() -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Гена", phones=["+79333333333"])
    flag = services.flag_set(actor=SYSTEM, customer_id=customer.pk, kind="risk", reason="не забирает")
    with pytest.raises(Conflict):
        services.flag_set(actor=SYSTEM, customer_id=customer.pk, kind="risk", reason="again")
    services.flag_clear(actor=SYSTEM, customer_id=customer.pk, flag_id=flag.pk, reason="забрал")
    flag.refresh_from_db()
    assert flag.cleared_at is not None
    assert customer.flags.count() == 1


@pytest.mark.django_db
def test_update_changes_only_given_fields_and_audits_the_diff(world: World) -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Семён", last_name="Лисин",
                                        phones=["+79444444444"], home_branch_id=world.branch_a.pk)
    services.customer_update(actor=world.actor(world.manager_a), customer_id=customer.pk,
                             home_branch_id=world.branch_b.pk)
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.home_branch_id) == ("Семён", "Лисин",
                                                                                world.branch_b.pk)
    entry = AuditEntry.objects.filter(action="customer.update").get()
    assert entry.changes == {"home_branch_id": [world.branch_a.pk, world.branch_b.pk]}
    assert entry.actor_id == world.manager_a.pk


@pytest.mark.django_db
def test_search_by_digits_name_email_plate_and_vin(world: World) -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Фёдор", last_name="Ёлкин",
                                        phones=["+79161234567"], emails=["fedor@elkin.ru"])
    other = services.customer_create(actor=SYSTEM, first_name="Иван", last_name="Другов", phones=["+79990001122"])
    services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="vehicle",
                       data={"make": "Lada", "model": "Vesta", "plate": "Е001КХ777", "vin": "XTAGFL110KY123456"})
    for query in ("4567", "8916123", "ёлкин", "ЁЛКИН фёд", "elkin.ru", "е 001 кх", "E001KX", "ky1234"):
        found = list(customer_search(world.admin, CustomerFilters(q=query)))
        assert found == [customer], query
    assert list(customer_search(world.admin, CustomerFilters(q="0001122"))) == [other]


@pytest.mark.django_db
def test_consent_filter_uses_the_current_decision_only(world: World) -> None:
    kept = services.customer_create(actor=SYSTEM, first_name="Да", phones=["+79550000001"])
    revoked = services.customer_create(actor=SYSTEM, first_name="Нет", phones=["+79550000002"])
    for customer in (kept, revoked):
        services.consent_set(actor=SYSTEM, customer_id=customer.pk, channel="sms", purpose="marketing",
                             granted=True, source="form")
    services.consent_set(actor=SYSTEM, customer_id=revoked.pk, channel="sms", purpose="marketing", granted=False,
                         source="STOP")
    assert list(customer_search(world.admin, CustomerFilters(consent="sms:marketing"))) == [kept]


@pytest.mark.django_db
def test_assets_validate_against_their_type() -> None:
    customer = services.customer_create(actor=SYSTEM, first_name="Рита", phones=["+79660000000"])
    with pytest.raises(ValidationFailed) as caught:
        services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="vehicle",
                           data={"make": "Kia", "year": "1800", "vin": "1HGCM82633A00435X", "colour": "red"})
    assert set(caught.value.fields) == {"data.model", "data.year", "data.vin", "data.colour"}
    with pytest.raises(ValidationFailed):
        services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="spaceship", data={})
    prescription = services.asset_add(actor=SYSTEM, customer_id=customer.pk, type="eyeglass_prescription",
                                      data={"od_sph": "-1,25", "os_sph": "-1.5", "od_axis": "90", "pd": "62"})
    assert prescription.data["od_sph"] == "-1.25"
    assert customer.assets.count() == 1


@pytest.mark.django_db
def test_custom_fields_are_validated_by_their_type() -> None:
    services.custom_field_create(actor=SYSTEM, label="Сегмент", type="choice", choices=["Опт", "Розница"])
    with pytest.raises(ValidationFailed) as caught:
        services.customer_create(actor=SYSTEM, first_name="Ада", custom={"segment": "Другое"})
    assert "custom.segment" in caught.value.fields
    customer = services.customer_create(actor=SYSTEM, first_name="Ада", custom={"segment": "Опт"})
    assert customer.custom == {"segment": "Опт"}
