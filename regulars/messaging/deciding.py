"""Every sending rule checked again for a claimed batch, just before it goes (a card may have changed since the
message was queued): past `send_by` → expired; blacklisted, no consent, no address, no provider → suppressed, and
the next channel of the message's list is queued; quiet hours in the customer's zone → back to `queued` until
morning; advertising over the frequency cap → suppressed.

What the rules read of the cards is read once for the whole batch (a few queries, not a few per message); the
verdicts are written with one statement per kind of verdict.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_noop

from regulars.customers.models import Consent, ContactPoint, Flag, Purpose
from regulars.platform.bulkupdate import update_rows

from .addressing import contact_kind, pick_address
from .claiming import Claimed, messages_hold
from .models import Message, MessagingPolicy, ProviderAccount
from .outcomes import Verdict, messages_finish
from .providers import provider as provider_named
from .providers.base import Provider
from .rules import next_allowed

# Why a message did not go (stored in English for programs, shown translated: `{% translate m.status_reason %}`).
PAST_DEADLINE = gettext_noop("not sent before its deadline")
BLACKLISTED = gettext_noop("the customer is blacklisted")
NO_AD_CONSENT = gettext_noop("no advertising consent in this channel")
SERVICE_REFUSED = gettext_noop("service messages refused in this channel")
NO_ADDRESS = gettext_noop("no address in this channel on the card")
NO_PROVIDER = gettext_noop("no provider configured for this channel")
QUIET_HOURS = gettext_noop("waiting for the end of quiet hours")
CAP_DAY = gettext_noop("advertising frequency cap (per day)")
CAP_WEEK = gettext_noop("advertising frequency cap (per week)")
DELIVERED_LIKE = ("sent", "delivered", "read")


@dataclass
class Go:
    """A message cleared to go: through which provider, from whom, to where."""

    claimed: Claimed
    provider: Provider
    config: dict[str, Any]
    sender: str
    to: str
    account_id: int | None

    @property
    def message(self) -> Message:
        return self.claimed.message


@dataclass
class BatchSettings:
    """What every message of one claimed batch reads alike, read once per batch: the policy and the accounts."""

    policy: MessagingPolicy
    accounts: dict[str, ProviderAccount]

    @classmethod
    def now(cls) -> BatchSettings:
        accounts: dict[str, ProviderAccount] = {}
        for account in ProviderAccount.objects.filter(is_active=True).order_by("priority", "id"):
            accounts.setdefault(account.channel, account)  # the lowest priority number per channel
        # The policy's defaults apply until the business saves its own.
        return cls(policy=MessagingPolicy.objects.first() or MessagingPolicy(), accounts=accounts)


@dataclass
class CardFacts:
    """What the rules read of the batch's cards, as they are now."""

    blacklisted: set[int]
    consents: dict[tuple[int, str, str], bool]  # (customer, channel, purpose) → the newest decision
    addresses: dict[tuple[int, str], str]  # (customer, channel) → where to write
    advertising_sent: dict[int, list[dt.datetime]] = field(default_factory=dict)  # the last week's

    @classmethod
    def read(cls, messages: list[Message], now: dt.datetime) -> CardFacts:
        customers = {m.customer_id for m in messages}
        blacklisted = set(Flag.objects.filter(customer_id__in=customers, kind=Flag.Kind.BLACKLIST, cleared_at=None)
                          .values_list("customer_id", flat=True))
        consents: dict[tuple[int, str, str], bool] = {}
        for customer_id, channel, purpose, granted in (Consent.objects.filter(customer_id__in=customers)
                                                       .order_by("-at", "-id")
                                                       .values_list("customer_id", "channel", "purpose", "granted")):
            consents.setdefault((customer_id, channel, purpose), granted)
        kinds = {kind for m in messages if (kind := contact_kind(m.channel))}
        values: dict[tuple[int, str], list[str]] = defaultdict(list)
        for customer_id, kind, value in (ContactPoint.objects.filter(customer_id__in=customers, kind__in=kinds)
                                         .order_by("-is_primary", "id").values_list("customer_id", "kind", "value")):
            values[(customer_id, kind)].append(value)
        addresses = {(m.customer_id, m.channel): pick_address(values.get((m.customer_id, kind), []), m.channel)
                     for m in messages if (kind := contact_kind(m.channel))}
        advertising_sent: dict[int, list[dt.datetime]] = defaultdict(list)
        advertisers = {m.customer_id for m in messages if m.purpose == Purpose.MARKETING}
        if advertisers:
            for customer_id, sent_at in Message.objects.filter(
                    customer_id__in=advertisers, purpose=Purpose.MARKETING, status__in=DELIVERED_LIKE,
                    sent_at__gte=now - dt.timedelta(days=7)).values_list("customer_id", "sent_at"):
                if sent_at is not None:
                    advertising_sent[customer_id].append(sent_at)
        return cls(blacklisted, consents, addresses, advertising_sent)


def _verdict(claimed: Claimed, facts: CardFacts, current: BatchSettings,
             now: dt.datetime) -> Go | Verdict | dt.datetime:
    """Go, a final verdict, or the moment quiet hours end."""
    message = claimed.message
    customer_id = message.customer_id
    suppressed = Message.Status.SUPPRESSED
    if message.send_by and now > message.send_by:
        return Verdict(message, Message.Status.EXPIRED, PAST_DEADLINE, fall_back=False)
    if customer_id in facts.blacklisted:
        return Verdict(message, suppressed, BLACKLISTED, fall_back=False)
    granted = facts.consents.get((customer_id, message.channel, message.purpose))
    if message.purpose == Purpose.MARKETING and not granted:
        return Verdict(message, suppressed, NO_AD_CONSENT, fall_back=True)
    if message.purpose == Purpose.SERVICE and granted is False:
        return Verdict(message, suppressed, SERVICE_REFUSED, fall_back=True)
    to = facts.addresses.get((customer_id, message.channel), "")
    if not to:
        return Verdict(message, suppressed, NO_ADDRESS, fall_back=True)
    account = current.accounts.get(message.channel)
    if account is None and message.channel != "email":  # e-mail works with Django's own settings
        return Verdict(message, suppressed, NO_PROVIDER, fall_back=True)
    policy = current.policy
    allowed = next_allowed(now, time_zone=message.customer.time_zone, quiet_from=policy.quiet_from,
                           quiet_to=policy.quiet_to)
    if allowed > now:
        return allowed
    if message.purpose == Purpose.MARKETING:
        sent = facts.advertising_sent.setdefault(customer_id, [])
        if sum(1 for at in sent if at >= now - dt.timedelta(days=1)) >= policy.marketing_per_day:
            return Verdict(message, suppressed, CAP_DAY, fall_back=False)
        if len(sent) >= policy.marketing_per_week:
            return Verdict(message, suppressed, CAP_WEEK, fall_back=False)
        sent.append(now)  # a second advertisement of the same batch counts this one
    return Go(claimed=claimed, provider=provider_named(account.provider if account else "email"),
              config=dict(account.config) if account else {}, sender=account.sender if account else "", to=to,
              account_id=account.pk if account else None)


def messages_decide(batch: list[Claimed], *, worker_id: str, now: dt.datetime, current: BatchSettings,
                    hand_over: int) -> list[Go]:
    """Inside one transaction: the verdicts written, and the messages that may go (in the batch's order), their
    address and provider recorded, the first `hand_over` of them marked as handed over. Messages this worker no
    longer holds are left alone."""
    held = messages_hold([c.message.pk for c in batch], worker_id=worker_id)
    mine = [c for c in batch if c.message.pk in held]
    facts = CardFacts.read([c.message for c in mine], now)
    goes: list[Go] = []
    verdicts: list[Verdict] = []
    waiting: list[Message] = []
    for claimed in mine:
        decision = _verdict(claimed, facts, current, now)
        if isinstance(decision, Go):
            goes.append(decision)
        elif isinstance(decision, Verdict):
            verdicts.append(decision)
        else:  # quiet hours: wait for the morning, the attempt does not count
            message = claimed.message
            message.status, message.due_at, message.lease_until = Message.Status.QUEUED, decision, None
            message.attempts, message.status_reason = message.attempts - 1, QUIET_HOURS
            waiting.append(message)
    messages_finish(verdicts, now=now)
    update_rows(Message, waiting, ["status", "due_at", "lease_until", "attempts", "status_reason"])
    for number, go in enumerate(goes):
        message = go.message
        message.handed_over = message.handed_over or number < hand_over  # a dead worker's mark stays
        message.to, message.account_id, message.provider = go.to, go.account_id, go.provider.name
        # Taken back from a dead worker, through a provider that cannot deduplicate: it may reach them twice.
        message.ambiguous = message.ambiguous or (go.claimed.outcome_unknown and not go.provider.takes_idempotency_key)
    update_rows(Message, [g.message for g in goes], ["to", "account_id", "provider", "ambiguous", "handed_over"])
    return goes
