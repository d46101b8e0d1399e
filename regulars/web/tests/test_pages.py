"""The shell: sign-in (and its lock-out), sign-out, the start page, the language switch and the error pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse

from conftest import PASSWORD, World
from regulars.web import views

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("web:login"), {"username": username, "password": password})


def test_anonymous_visitor_is_sent_to_the_login_page(world: World) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next=/"


def test_login_page_renders_the_form(world: World) -> None:
    response = Client().get(reverse("web:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "vendor/htmx/htmx.min.js" in html and "css/regulars.css" in html


def test_operator_signs_in_and_lands_on_the_start_page(world: World) -> None:
    client = Client()
    response = sign_in(client, "operator_a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    home = client.get(reverse("web:home"))
    try:
        customers_url = reverse("customers:list")
    except NoReverseMatch:
        assert home.status_code == 200
        assert "Welcome, Operator" in home.content.decode()
    else:
        assert home.status_code == 302
        assert home["Location"] == customers_url


def test_wrong_password_shows_an_error_and_keeps_the_login(world: World) -> None:
    client = Client()
    response = sign_in(client, "operator_a", "not-the-password")
    assert response.status_code == 200
    html = response.content.decode()
    assert "form-errors" in html
    assert 'value="operator_a"' in html
    assert "_auth_user_id" not in client.session


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(world: World) -> None:
    client = Client()
    for _ in range(4):
        assert sign_in(client, "operator_a", "wrong-password").status_code == 200
    fifth = sign_in(client, "operator_a", "wrong-password")
    assert fifth.status_code == 429
    response = sign_in(client, "operator_a", PASSWORD)
    assert response.status_code == 429
    assert "web/locked_out.html" in [t.name for t in response.templates]
    assert "locked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another login from the same address is not locked.
    other = Client()
    assert sign_in(other, "operator_b", PASSWORD).status_code == 302


def test_logout_is_post_only(world: World) -> None:
    client = Client()
    client.force_login(world.operator_a)
    assert client.get(reverse("web:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")
    assert "_auth_user_id" not in client.session


def test_navigation_shows_name_role_and_logout(world: World) -> None:
    client = Client()
    client.force_login(world.admin)
    html = client.get(reverse("org:index")).content.decode()
    assert "Admin Test" in html
    assert "Owner / administrator" in html
    assert f'action="{reverse("web:logout")}"' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_language_switch_changes_the_navigation(world: World) -> None:
    client = Client()
    client.force_login(world.admin)
    url = reverse("org:index")
    response = client.post("/i18n/setlang/", {"language": "ru", "next": url}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == url
    assert "Клиенты" in html and "Настройки" in html and "Журнал изменений" in html
    assert '<html lang="ru">' in html
    html = client.post("/i18n/setlang/", {"language": "en", "next": url}, follow=True).content.decode()
    assert "Customers" in html and "Settings" in html and "Клиенты" not in html
    assert '<html lang="en">' in html


def test_unknown_page_is_a_404_with_our_page(world: World) -> None:
    client = Client()
    client.force_login(world.operator_a)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "web/404.html" in [t.name for t in response.templates]
    anonymous = Client().get("/no-such-page/")
    assert anonymous.status_code == 404
    assert b"Page not found" in anonymous.content


def test_server_error_page_needs_no_context() -> None:
    response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
