"""apply_domain_error puts a service's reasons on the form; the htmx helpers pick the fragment or the page."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from regulars.platform.errors import Conflict, ValidationFailed
from regulars.platform.forms import apply_domain_error
from regulars.platform.htmx import is_htmx, redirect


class SampleForm(forms.Form):
    name = forms.CharField()
    branches = forms.CharField(required=False)


def bound() -> SampleForm:
    form = SampleForm({"name": "Север", "branches": "1"})
    assert form.is_valid()
    return form


def test_reasons_go_next_to_their_fields_and_the_typed_values_stay() -> None:
    form = bound()
    apply_domain_error(form, ValidationFailed("Invalid", fields={"name": "already used"}))
    assert form.errors["name"] == ["already used"]
    assert form.non_field_errors() == []
    assert 'value="Север"' in str(form["name"])


def test_unknown_field_names_become_non_field_errors() -> None:
    form = bound()
    apply_domain_error(form, ValidationFailed("Invalid", fields={"working_hours": "mon: bad"}))
    assert form.non_field_errors() == ["working_hours: mon: bad"]


def test_field_map_renames_service_fields() -> None:
    form = bound()
    apply_domain_error(form, ValidationFailed("Invalid", fields={"branch_ids": "no branch 9"}),
                       field_map={"branch_ids": "branches"})
    assert form.errors["branches"] == ["no branch 9"]


def test_an_error_without_fields_shows_its_message() -> None:
    form = bound()
    apply_domain_error(form, Conflict("Somebody changed it first"))
    assert form.non_field_errors() == ["Somebody changed it first"]


def test_apply_works_on_a_form_that_was_not_validated_yet() -> None:
    form = SampleForm({"name": "x"})
    apply_domain_error(form, ValidationFailed("Invalid", fields={"name": "too short"}))
    assert form.errors["name"] == ["too short"]


def _request(**headers: str) -> HttpRequest:
    request = RequestFactory().get("/")
    request.META.update(headers)
    request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]
    return request


def test_is_htmx_only_for_fragment_requests() -> None:
    assert is_htmx(_request(HTTP_HX_REQUEST="true"))
    assert not is_htmx(_request(HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true"))
    assert not is_htmx(_request())


def test_redirect_tells_htmx_to_load_the_page() -> None:
    response = redirect(_request(HTTP_HX_REQUEST="true"), "/settings/")
    assert response.status_code == 200 and response["HX-Redirect"] == "/settings/"
    plain = redirect(_request(), "/settings/")
    assert plain.status_code == 302 and plain["Location"] == "/settings/"
