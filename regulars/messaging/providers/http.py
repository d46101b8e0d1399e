"""The one HTTP call the HTTP providers make: send a request, read JSON, and say what went wrong in the terms the
dispatcher acts on. Not a provider itself (providers are the folders beside it)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from .base import TemporaryError


def call_json(request: urllib.request.Request, *, timeout: float, name: str,
              refusal: Callable[[urllib.error.HTTPError], Exception], secret: str = "") -> Any:
    """The parsed JSON answer. An HTTP error answer becomes what `refusal` makes of it (the provider knows its
    codes); a read timeout or a garbled answer is a TemporaryError with an unknown outcome (the request may have
    got through); a connection that never opened is a plain TemporaryError. `secret` never appears in a reason."""
    def hidden(text: str) -> str:
        return text.replace(secret, "<secret>") if secret else text

    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the account's own URL
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise refusal(exc) from None
    except TimeoutError:
        raise TemporaryError(f"{name} did not answer in time", outcome_unknown=True) from None
    except (urllib.error.URLError, OSError) as exc:
        raise TemporaryError(hidden(f"{name} unreachable: {getattr(exc, 'reason', exc)}")) from None
    except ValueError:
        raise TemporaryError(f"{name} answered something that is not JSON", outcome_unknown=True) from None
