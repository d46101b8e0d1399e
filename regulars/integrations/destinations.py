"""Where a webhook may be sent: not into the network Regulars runs in. An administrator's URL (or a name that
resolves to such an address later) must not turn the worker into a way to reach the database, the metadata
service of a cloud machine or anything else behind the firewall (server-side request forgery).

Checked when a subscription is saved and again before every POST (a name may resolve differently by then). A
name resolved anew between our check and the connection could still differ: the check narrows the window, the
firewall of a production network closes it. `REGULARS_WEBHOOKS_PRIVATE_OK` allows private addresses (local
development, the tests' stand-in receivers, an on-premises ERP inside the same network)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified)


def private_destination(url: str) -> str | None:
    """Why this URL may not be called (a private, loopback or link-local address), or None. A name that does not
    resolve is not refused here: delivering to it fails on its own and is retried."""
    if getattr(settings, "REGULARS_WEBHOOKS_PRIVATE_OK", False):
        return None
    host = urlsplit(url).hostname or ""
    try:
        addresses = [host] if _is_address(host) else [
            str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]
    except (socket.gaierror, UnicodeError):
        return None
    if any(_blocked(a) for a in addresses):
        return _("%(host)s is a private or local address: webhooks go only to public addresses") % {"host": host}
    return None


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
