"""Two-factor sign-in with a TOTP app (C14.1): set up, confirm, check at sign-in, reset by an administrator.

django-otp keeps the device (secret, drift, throttling of wrong codes); this module holds the rules: who must have
a second factor (administrators when REGULARS_ADMIN_2FA is "required"), and the audited changes to it.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.errors import NotFound, ValidationFailed

from .models import Role, Staff

DEVICE_NAME = "authenticator"


def two_factor_required(user: Any) -> bool:
    """Whether this person may not work before a second factor is set up and checked."""
    if settings.REGULARS_ADMIN_2FA != "required":
        return False
    return bool(user.is_superuser or user.role == Role.ADMIN)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: Staff) -> TOTPDevice:
    """The not yet confirmed device of this person, created on first use: its secret is shown once as a QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address of the device as an inline SVG QR code (no image files, no external service)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, grouped by four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _check(device: TOTPDevice, token: str) -> None:
    token = (token or "").replace(" ", "").strip()
    if not token.isdigit() or len(token) != device.digits:
        raise ValidationFailed(_("Enter the 6-digit code"), fields={"token": _("Enter the 6-digit code")})
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise ValidationFailed(_("Too many wrong codes; wait a minute"),
                               fields={"token": _("Too many wrong codes; wait a minute")})
    if not device.verify_token(token):
        raise ValidationFailed(_("Wrong code"), fields={"token": _("Wrong or expired code; try the next one")})


def two_factor_confirm(*, request: HttpRequest, user: Staff, token: str) -> TOTPDevice:
    """Turn on the second factor: the code from the app proves the secret was saved. Signs this session in with it."""
    with transaction.atomic():
        device = pending_device(user)
        _check(device, token)
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=Actor.from_request(request), action="staff.two_factor_on", object_type="staff",
                     object_id=user.pk, object_label=str(user))
    otp_login(request, device)
    return device


def two_factor_verify(*, request: HttpRequest, user: Staff, token: str) -> None:
    """The second step of signing in."""
    device = confirmed_device(user)
    if device is None:
        raise NotFound(_("Two-factor sign-in is not set up"))
    _check(device, token)
    otp_login(request, device)


def two_factor_reset(*, actor: Actor, staff_id: int) -> None:
    """An administrator removes someone's second factor (a lost phone); they set it up again at the next sign-in."""
    with transaction.atomic():
        member = Staff.objects.filter(pk=staff_id).first()
        if member is None:
            raise NotFound(_("No such staff member"))
        removed, _details = TOTPDevice.objects.filter(user=member).delete()
        if removed:
            audit_record(actor=actor, action="staff.two_factor_reset", object_type="staff", object_id=member.pk,
                         object_label=str(member))
