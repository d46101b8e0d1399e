"""Branches, staff and API keys: who works where, and who may do what."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Branch(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    # {"mon": [["09:00", "21:00"]], ..., "sun": []} — a list of open intervals per weekday.
    working_hours = models.JSONField(_("working hours"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Owner / administrator")
    MANAGER = "manager", _("Branch manager")
    OPERATOR = "operator", _("Operator")
    CONSULTANT = "consultant", _("Consultant")
    MARKETER = "marketer", _("Marketer")


class Staff(AbstractUser):
    """A staff account. Login is the username; the password is hashed with argon2."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OPERATOR)
    # Free text shown next to the role: "master-consultant", "ophthalmologist", "salon consultant".
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    branches = models.ManyToManyField(Branch, related_name="staff", blank=True, verbose_name=_("branches"))
    language = models.CharField(_("language"), max_length=8, default="ru")

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiKey(models.Model):
    """A key for another program (ERP, e-shop, PBX). Only a SHA-256 of the secret is stored."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
