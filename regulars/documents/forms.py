"""Forms of the documents pages: they only parse; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from regulars.org.models import Branch

from .models import Kind


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"), required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/heic,"
                                                                             "image/heif,.heic,.heif,application/pdf"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.PHOTO, required=False)


class NewCustomerForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.all(), required=False,
                                    empty_label=_("Choose a branch"))
    photos = forms.CharField(required=False, widget=forms.HiddenInput)  # where the service's file errors go


class CompleteForm(forms.Form):
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    middle_name = forms.CharField(label=_("Middle name"), max_length=100, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
