"""Forms of the integrations pages: they only parse; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SubscriptionForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500,
                          widget=forms.TextInput(attrs={"placeholder": "https://erp.example.com/hooks/regulars"}))
    description = forms.CharField(label=_("Description"), required=False, max_length=200)
    # Not required here: the service says what is missing together with what is wrong with the URL.
    event_types = forms.CharField(
        label=_("Events"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "order.*\nvisit.completed"}),
        help_text=_("One a line: an event name (order.status_changed), every event of a kind (order.*) or * for all."))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class InboundEndpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"placeholder": "1C ERP"}))
    source = forms.CharField(
        label=_("Source"), max_length=50, widget=forms.TextInput(attrs={"placeholder": "erp"}),
        help_text=_("The order source this program speaks for; its order numbers are unique within it."))
