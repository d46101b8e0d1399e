"""Forms of the messaging pages: they only parse; the services decide what is valid."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from regulars.customers.models import Channel, Purpose

from .models import Message


class SendForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("Preferred, then the next one")), *list(Channel.choices)])
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices, initial=Purpose.SERVICE)
    template = forms.CharField(label=_("Template"), required=False)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=300)
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # Made when the form is shown: pressing "Send" twice, or a repeated request, sends one message.
    request_id = forms.CharField(widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex, max_length=64)


TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PolicyForm(forms.Form):
    quiet_from = forms.TimeField(label=_("Quiet hours from"), widget=TIME)
    quiet_to = forms.TimeField(label=_("Quiet hours to"), widget=TIME)
    marketing_per_day = forms.IntegerField(label=_("Advertising messages per day, at most"), min_value=0)
    marketing_per_week = forms.IntegerField(label=_("Advertising messages per week, at most"), min_value=0)
    fallback_after_minutes = forms.IntegerField(label=_("Next channel when not delivered within, minutes (0: never)"),
                                                min_value=0)


class LogFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All channels")), *Channel.choices])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *Message.Status.choices])
    purpose = forms.ChoiceField(label=_("Purpose"), required=False,
                                choices=[("", _("Any purpose")), *Purpose.choices])
    customer = forms.IntegerField(label=_("Card #"), required=False, min_value=1)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
