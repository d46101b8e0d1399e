"""Forms of the orders pages: they parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from regulars.messaging.models import Template


def template_choices() -> list[tuple[str, Any]]:
    names = dict(Template.objects.filter(is_active=True).order_by("key").values_list("key", "name"))
    return [("", _("— none —")), *sorted(names.items(), key=lambda kv: kv[1])]


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Order number"), required=False, max_length=100)
    flow = forms.ChoiceField(label=_("Flow"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, flows: list[tuple[str, str]], statuses: list[tuple[str, str]],
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["flow"].choices = [("", _("All flows")), *flows]  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("Any status")), *statuses]  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.CharField(label=_("Status"), max_length=40)


class StepForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    notify = forms.BooleanField(label=_("Tell the customer"), required=False)
    template_key = forms.ChoiceField(label=_("Template"), required=False)
    delay_minutes = forms.IntegerField(label=_("Delay, minutes"), min_value=0, initial=0)
    send_within_minutes = forms.IntegerField(label=_("Send within, minutes"), required=False, min_value=1,
                                             help_text=_("Later than this after the change, the news is stale: "
                                                         "nothing is sent. Empty: no limit."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["template_key"].choices = template_choices()  # type: ignore[attr-defined]


class StepAddForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("as the ERP sends it, e.g. packed"))
    name = forms.CharField(label=_("Name"), max_length=100)
    rank = forms.IntegerField(label=_("Rank"), min_value=1, max_value=10_000,
                              help_text=_("orders only move to higher ranks; steps that exclude each other share one"))
    outcome = forms.ChoiceField(label=_("Pickup outcome"), required=False,
                                choices=[("", _("none")), ("picked_up", _("picked up")),
                                         ("not_picked_up", _("not picked up"))])


class ReminderForm(forms.Form):
    after_days = forms.IntegerField(label=_("After, days"), min_value=1, max_value=365)
    template_key = forms.ChoiceField(label=_("Template"))
    is_last = forms.BooleanField(label=_("Last reminder before the parcel goes back"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # starts empty: a reminder's words are chosen, never the alphabet's first template
        self.fields["template_key"].choices = template_choices()  # type: ignore[attr-defined]


class PolicyForm(forms.Form):
    flag_low_pickup = forms.BooleanField(label=_("Flag customers who rarely pick up their orders"), required=False)
    min_orders = forms.IntegerField(label=_("At least, orders"), min_value=1)
    min_rate = forms.IntegerField(label=_("Pickup rate below, %"), min_value=1, max_value=100)
    keep_days = forms.IntegerField(label=_("A parcel waits at the pickup point, days"), min_value=1, max_value=90)
    review_url = forms.URLField(label=_("Review link"), required=False, assume_scheme="https")
