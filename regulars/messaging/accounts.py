"""Provider accounts: which gateway sends each channel, with credentials that are written and never read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from regulars.customers.models import Channel
from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.errors import NotFound, ValidationFailed

from .models import MessagingPolicy, ProviderAccount
from .providers import KNOWN
from .providers import provider as provider_named
from .providers.base import ConfigField
from .providers.settings import merge_config
from .throttle import RATE_FIELD


def account_fields(provider: str) -> tuple[ConfigField, ...]:
    """What an account of this provider is set up with: the provider's own settings, then its send rate."""
    return (*provider_named(provider).config_fields, RATE_FIELD)


def provider_account_save(*, actor: Actor, channel: str, provider: str, name: str, sender: str = "",
                          config: dict[str, Any] | None = None, priority: int | str = 10, is_active: bool = True,
                          account_id: int | None = None) -> ProviderAccount:
    """Create or change an account. A secret left empty keeps the stored one; the audit log names the settings
    that changed, never their values."""
    errors: dict[str, str] = {}
    if provider not in KNOWN:
        errors["provider"] = _("one of: %(choices)s") % {"choices": ", ".join(KNOWN)}
    elif channel not in provider_named(provider).channels:
        errors["channel"] = _("%(provider)s sends: %(channels)s") % {
            "provider": provider, "channels": ", ".join(provider_named(provider).channels)}
    if channel not in Channel.values:
        errors["channel"] = _("one of: %(choices)s") % {"choices": ", ".join(Channel.values)}
    if not (name or "").strip():
        errors["name"] = _("required")
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        priority = -1
    if not 0 <= priority <= 1000:
        errors["priority"] = _("a whole number from 0 to 1000")
    if errors:
        raise ValidationFailed(_("The channel settings could not be saved"), fields=errors)
    with transaction.atomic():
        if account_id is None:
            account = ProviderAccount(channel=channel, provider=provider)
        else:
            found = ProviderAccount.objects.select_for_update().filter(pk=account_id).first()
            if found is None:
                raise NotFound(_("No such account"), fields={"account_id": _("not found")})
            account = found
        stored = dict(account.config)
        merged, config_errors = merge_config(account_fields(provider), config, stored)
        errors.update(config_errors)
        if merged.get(RATE_FIELD.key, 0) < 0:
            errors[f"config.{RATE_FIELD.key}"] = _("0 or more")
        if errors:
            raise ValidationFailed(_("The channel settings could not be saved"), fields=errors)
        changed = sorted(k for k in set(stored) | set(merged) if stored.get(k) != merged.get(k))
        account.channel, account.provider, account.name = channel, provider, name.strip()[:100]
        account.sender, account.priority, account.is_active = sender.strip()[:100], priority, is_active
        account.config = merged
        account.save()
        audit_record(actor=actor, action="channel.save", object_type="provider_account", object_id=account.pk,
                     object_label=str(account), changes={"settings_changed": changed, "active": is_active})
    return account


def messaging_policy_save(*, actor: Actor, quiet_from: dt.time, quiet_to: dt.time, marketing_per_day: int,
                          marketing_per_week: int, fallback_after_minutes: int) -> MessagingPolicy:
    """The business's sending rules. Equal quiet-hour bounds switch quiet hours off."""
    errors: dict[str, str] = {}
    if marketing_per_day < 0 or marketing_per_week < 0:
        errors["marketing_per_day" if marketing_per_day < 0 else "marketing_per_week"] = _("0 or more")
    if marketing_per_week < marketing_per_day:
        errors["marketing_per_week"] = _("at least the number per day")
    if not 0 <= fallback_after_minutes <= 7 * 24 * 60:
        errors["fallback_after_minutes"] = _("between 0 and a week")
    if errors:
        raise ValidationFailed(_("The sending rules could not be saved"), fields=errors)
    with transaction.atomic():
        policy = MessagingPolicy.objects.select_for_update().first() or MessagingPolicy()
        before = {f: str(getattr(policy, f)) for f in POLICY_FIELDS}
        policy.quiet_from, policy.quiet_to = quiet_from, quiet_to
        policy.marketing_per_day, policy.marketing_per_week = marketing_per_day, marketing_per_week
        policy.fallback_after_minutes = fallback_after_minutes
        policy.save()
        after = {f: str(getattr(policy, f)) for f in POLICY_FIELDS}
        audit_record(actor=actor, action="messaging_policy.save", object_type="messaging_policy",
                     object_id=policy.pk, object_label=str(policy),
                     changes={f: [before[f], after[f]] for f in POLICY_FIELDS if before[f] != after[f]})
    return policy


POLICY_FIELDS = ("quiet_from", "quiet_to", "marketing_per_day", "marketing_per_week", "fallback_after_minutes")
