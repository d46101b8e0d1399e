"""Adding an asset: choose its type (htmx swaps in that type's fields), fill them in, save."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError, ValidationFailed
from regulars.platform.forms import apply_domain_error
from regulars.platform.htmx import render_page

from .. import services
from ..forms import AssetForm
from ..models import AssetType
from ..selectors import customer_get_for_user


@permission_required("customers.edit")
def asset_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    source = request.POST if request.method == "POST" else request.GET
    asset_type = AssetType.objects.filter(is_active=True, key=source.get("type", "")).first()
    if request.method == "POST" and "save" in request.POST:
        form = AssetForm(request.POST, asset_type=asset_type)
        if form.is_valid() and asset_type is not None:
            try:
                asset = services.asset_add(actor=Actor.from_request(request), customer_id=customer.pk,
                                           type=asset_type.key,
                                           data=form.data_values())
            except DomainError as exc:
                # "data.vin" is the input named "vin"; "type" is the type select.
                fields = {name.removeprefix("data."): str(reason) for name, reason in exc.fields.items()}
                apply_domain_error(form, ValidationFailed(exc.message, fields=fields))
            else:
                messages.success(request, _("%(asset)s is added to the card") % {"asset": asset.title})
                return redirect("customers:detail", customer_id=customer.pk)
    else:
        form = AssetForm(initial={"type": asset_type.key if asset_type else None}, asset_type=asset_type)
    context = {"customer": customer, "form": form, "asset_type": asset_type,
               "asset_types": AssetType.objects.filter(is_active=True), "nav_section": "customers"}
    return render_page(request, "customers/asset_form.html", context, partial="customers/_asset_fields.html")
