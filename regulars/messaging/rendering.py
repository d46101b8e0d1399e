"""Templates the business writes, rendered in a sandbox.

The Django template language with only `if`/`elif`/`else` and a few text filters; no `include`, `load`, `debug`
or loaders, and a context of plain strings built from the documented variables, so a template can reach nothing
but those values (no model objects, no methods with side effects)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from django.template import (
    Context,
    Engine,
    Library,
    Template,
    TemplateSyntaxError,
    Variable,
    defaultfilters,
    defaulttags,
)
from django.template.base import VariableNode
from django.utils.translation import gettext as _

from regulars.platform.errors import ValidationFailed

# name → description, shown next to the editor. Callers may add more under these prefixes (order.*, booking.* …).
VARIABLES: dict[str, str] = {
    "customer.first_name": "first name",
    "customer.last_name": "last name",
    "customer.middle_name": "middle name",
    "customer.full_name": "full name",
    "branch.name": "home branch",
    "branch.phone": "branch phone",
    "branch.address": "branch address",
    "order.number": "order number",
    "order.status": "order status",
    "order.total": "order total",
    "order.courier_phone": "courier's phone",
    "order.courier_name": "courier's name",
    "order.tracking_number": "tracking number",
    "order.pickup_point": "pickup point",
    "order.keep_until": "the parcel waits until",
    "order.payment_url": "payment link",
    "order.review_url": "where to leave a review",
    "booking.time": "booking time",
    "booking.service": "booked service",
    "points.balance": "points balance",
    "unsubscribe_url": "one-click unsubscribe link (advertising e-mail)",
}
_ROOTS = {name.split(".")[0] for name in VARIABLES}
_VARIABLE = re.compile(r"{{\s*([A-Za-z_][\w.]*)")
_TAG = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
_ALLOWED_TAGS = {"if": defaulttags.do_if}
_ALLOWED_FILTERS = ("default", "upper", "lower", "capfirst", "title", "truncatechars", "floatformat", "date")


@cache
def _engine() -> Engine:
    engine = Engine(dirs=[], app_dirs=False, loaders=[], builtins=[], libraries={}, autoescape=False)
    library = Library()
    for name, compile_function in _ALLOWED_TAGS.items():
        library.tag(name, compile_function)
    for name in _ALLOWED_FILTERS:
        library.filter(name, getattr(defaultfilters, name))
    engine.template_builtins = [library]
    return engine


@lru_cache(maxsize=1024)
def _compiled(text: str) -> Template:
    """Templates are compiled once per process and text: a batch renders the same few hundreds of times."""
    return _engine().from_string(text)


@lru_cache(maxsize=1024)
def _problem(text: str) -> tuple[str, str]:
    """What is wrong with the text as a template — ("", "") when nothing — cached per text, worded at raise time
    (each reader in their own language)."""
    try:
        _compiled(text)
    except TemplateSyntaxError as exc:
        return "syntax", str(exc)
    if any(mark in _TAG.sub("", text) for mark in ("{{", "{%", "}}", "%}")):  # Django would print it as text
        return "unclosed", ""
    unknown = sorted({v for v in _VARIABLE.findall(text) if v.split(".")[0] not in _ROOTS})
    return ("unknown", ", ".join(unknown)) if unknown else ("", "")


def check(text: str, *, field: str = "body") -> None:
    """ValidationFailed naming the field when the text does not compile or uses an unknown variable."""
    kind, detail = _problem(text)
    if not kind:
        return
    reason = {"syntax": detail, "unclosed": _("an unclosed {{ … }} or {% … %}"),
              "unknown": _("unknown variable: %(names)s") % {"names": detail}}[kind]
    raise ValidationFailed(_("The template has an error"), fields={field: reason})


def missing(text: str, variables: Mapping[str, Any]) -> list[str]:
    """The variables the text would print that these values do not have (an order's number in a message about no
    order). Only the branches of `{% if %}` that these values select count: a guarded value is optional."""
    absent: list[str] = []
    _walk(_compiled(text).nodelist, Context(dict(variables), autoescape=False), variables, absent)
    return absent


def _walk(nodes: Any, context: Context, variables: Mapping[str, Any], absent: list[str]) -> None:
    for node in nodes:
        if isinstance(node, defaulttags.IfNode):
            for condition, branch in node.conditions_nodelists:
                if condition is None or condition.eval(context):  # type: ignore[arg-type]  # Django passes its Context
                    _walk(branch, context, variables, absent)
                    break
        elif isinstance(node, VariableNode):
            name = _name_of(node.filter_expression)
            if name and _value(variables, name) in (None, "") and name not in absent:
                absent.append(name)


def _name_of(expression: Any) -> str:
    var = getattr(expression, "var", None)
    return str(var.var) if isinstance(var, Variable) else ""


def _value(variables: Mapping[str, Any], name: str) -> Any:
    value: Any = variables
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def render(text: str, variables: Mapping[str, Any]) -> str:
    """Render a checked template with the values (nested dicts of strings)."""
    check(text)
    return _compiled(text).render(Context(dict(variables), autoescape=False)).strip()
