"""Pages of duplicates and merge: permissions, conflict radios, errors on the form, the redirect."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import World, client_for
from regulars.customers import services
from regulars.customers.models import Customer
from regulars.platform.actor import Actor

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def _pair() -> tuple[Customer, Customer]:
    a = services.customer_create(actor=SYSTEM, first_name="Иван", last_name="Петров", birthday=dt.date(1990, 1, 1),
                                 phones=["+79123456789"])
    b = services.customer_create(actor=SYSTEM, first_name="Иван", last_name="Петров", birthday=dt.date(1990, 1, 1),
                                 middle_name="Ильич", language="en")
    return a, b


def test_operator_gets_403_and_no_link(world: World) -> None:
    operator = client_for(world.operator_a)
    assert operator.get("/customers/duplicates/").status_code == 403
    assert operator.get("/customers/merge/?ids=1,2").status_code == 403
    assert b'data-testid="duplicates"' not in operator.get("/customers/").content
    assert b'data-nav="duplicates"' not in operator.get("/customers/").content
    assert b'data-testid="duplicates"' in client_for(world.manager_a).get("/customers/").content


def test_duplicates_list_shows_the_group_and_not_duplicates_hides_it(world: World) -> None:
    a, b = _pair()
    manager = client_for(world.manager_a)
    page = manager.get("/customers/duplicates/")
    assert page.status_code == 200
    assert page.content.count(b'data-testid="duplicate-group"') == 1
    assert f"?ids={a.pk},{b.pk}".encode() in page.content
    manager.post("/customers/duplicates/", {"ids": f"{a.pk},{b.pk}"})
    assert b'data-testid="duplicate-group"' not in manager.get("/customers/duplicates/").content


def test_merge_form_shows_conflict_radios_errors_then_merges(world: World) -> None:
    a, b = _pair()
    manager = client_for(world.manager_a)
    page = manager.get(f"/customers/merge/?ids={a.pk},{b.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="conflict-language"' in html
    assert f'name="choice:language" value="{a.pk}"' in html and f'name="choice:language" value="{b.pk}"' in html
    assert 'data-testid="conflict-middle_name"' not in html  # empty vs non-empty is not a conflict
    missing = manager.post("/customers/merge/", {"ids": f"{a.pk},{b.pk}", "survivor": a.pk})
    assert missing.status_code == 400 and 'data-testid="merge-error"' in missing.content.decode()
    assert Customer.objects.get(pk=b.pk).status != "merged"
    done = manager.post("/customers/merge/", {"ids": f"{a.pk},{b.pk}", "survivor": a.pk,
                                              "choice:language": b.pk})
    assert done.status_code == 302 and done["Location"] == f"/customers/{a.pk}/"
    a.refresh_from_db()
    assert (a.language, a.middle_name) == ("en", "Ильич")
    assert manager.get(f"/customers/{b.pk}/")["Location"] == f"/customers/{a.pk}/"


def test_merge_with_another_card_from_the_card_page(world: World) -> None:
    a, b = _pair()
    manager = client_for(world.manager_a)
    assert b'data-testid="merge-with"' in manager.get(f"/customers/{a.pk}/").content
    assert b'data-testid="merge-with"' not in client_for(world.operator_a).get(f"/customers/{a.pk}/").content
    page = manager.get(f"/customers/merge/?ids={a.pk}&with=9123456789")
    assert page.status_code == 200 and b"data-testid=\"survivor-" in page.content
    page = manager.get(f"/customers/merge/?ids={b.pk}&with=9123456789")
    assert f'data-testid="survivor-{a.pk}"'.encode() in page.content
