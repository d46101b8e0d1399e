"""One row of a file → the record it becomes, or the reasons it cannot be imported. Pure: no database."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from regulars.customers.fields import clean_value
from regulars.platform.emails import normalize_email
from regulars.platform.phones import InvalidPhone, normalize_phone

TRUTHY = {"да", "yes", "y", "1", "true", "+", "д", "истина", "x", "✓"}
FALSY = {"нет", "no", "n", "0", "false", "-", "н", "ложь", ""}
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "%Y.%m.%d", "%d-%m-%Y")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SPACES = re.compile(r"\s+")
_LIST_SPLIT = re.compile(r"[,;]")
_EMAIL_SPLIT = re.compile(r"[,;\s]+")
_QUICK_DATE = re.compile(
    r"(?P<d1>\d{1,2})[./](?P<m1>\d{1,2})[./](?P<y1>\d{4})|(?P<y2>\d{4})-(?P<m2>\d{2})-(?P<d2>\d{2})"
)


@dataclass(frozen=True)
class RowContext:
    """What the normaliser needs to know about the database, read once per batch."""

    mapping: dict[int, str]
    branches: dict[str, int]  # lower-cased branch name → id
    custom_specs: dict[str, dict[str, Any]]  # key → {"key", "label", "type", "choices"}
    today: dt.date
    phone_region: str = "RU"  # how a number without a country code is read


@dataclass(slots=True)
class Record:
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    birthday: dt.date | None = None
    branch_id: int | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    consents: dict[tuple[str, str], bool] = field(default_factory=dict)
    external_id: str = ""
    # Which profile fields the row actually gave (an empty cell never clears a value).
    given: set[str] = field(default_factory=set)


def parse_date(text: str, today: dt.date) -> dt.date:
    value = text.strip()
    parsed: dt.date | None = None
    quick = _QUICK_DATE.fullmatch(value)  # the usual forms without strptime (ten times faster, for big files)
    if quick is not None:
        day, month, year = (quick["d1"], quick["m1"], quick["y1"]) if quick["d1"] else (
            quick["d2"], quick["m2"], quick["y2"])
        try:
            parsed = dt.date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(_("%(value)s is not a date (dd.mm.yyyy or yyyy-mm-dd)") % {"value": value}) from None
        if parsed > today or parsed.year < 1900:
            raise ValueError(_("%(value)s is not between 1900 and today") % {"value": value})
        return parsed
    for fmt in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a date, no time zone
            break
        except ValueError:
            continue
    else:
        if value.isdigit() and 20000 <= int(value) <= 80000:  # an Excel serial date written as a number
            parsed = _EXCEL_EPOCH + dt.timedelta(days=int(value))
        elif len(value) >= 19 and value[10] in " T":  # '2020-01-31 00:00:00' from a spreadsheet
            return parse_date(value[:10], today)
        else:
            raise ValueError(_("%(value)s is not a date (dd.mm.yyyy or yyyy-mm-dd)") % {"value": value})
    if parsed > today or parsed.year < 1900:
        raise ValueError(_("%(value)s is not between 1900 and today") % {"value": value})
    return parsed


def _name(text: str) -> str:
    return _SPACES.sub(" ", text.strip())[:100]


Handler = Callable[[Record, str], None]


def _names(target: str) -> Handler:
    def handle(record: Record, raw: str) -> None:
        setattr(record, target, _name(raw))
        record.given.add(target)
    return handle


def _full_name(record: Record, raw: str) -> None:
    parts = _name(raw).split(" ")
    for name, part in zip(("last_name", "first_name", "middle_name"), [*parts[:2], " ".join(parts[2:])],
                          strict=False):
        if part:
            setattr(record, name, part[:100])
            record.given.add(name)


def _phones(region: str) -> Handler:
    def handle(record: Record, raw: str) -> None:
        for piece in _LIST_SPLIT.split(raw) if "," in raw or ";" in raw else (raw,):
            if piece.strip():
                try:
                    phone = normalize_phone(piece, region=region)
                except InvalidPhone as exc:
                    raise ValueError(str(exc)) from None
                if phone not in record.phones:
                    record.phones.append(phone)
    return handle


def _emails(record: Record, raw: str) -> None:
    for piece in _EMAIL_SPLIT.split(raw):
        if piece:
            email = normalize_email(piece)
            if email not in record.emails:
                record.emails.append(email)


def _birthday(today: dt.date) -> Handler:
    def handle(record: Record, raw: str) -> None:
        record.birthday = parse_date(raw, today)
        record.given.add("birthday")
    return handle


def _branch(branches: dict[str, int]) -> Handler:
    def handle(record: Record, raw: str) -> None:
        branch_id = branches.get(_name(raw).lower())
        if branch_id is None:
            raise ValueError(_("unknown branch %(name)s") % {"name": raw})
        record.branch_id = branch_id
        record.given.add("branch")
    return handle


def _tags(record: Record, raw: str) -> None:
    for tag in raw.split(","):
        tag = tag.strip()[:50]
        if tag and tag not in record.tags:
            record.tags.append(tag)


def _external_id(record: Record, raw: str) -> None:
    record.external_id = raw[:100]


def _custom(spec: dict[str, Any] | None) -> Handler:
    def handle(record: Record, raw: str) -> None:
        if spec is None:
            raise ValueError(_("unknown field"))
        value: Any = raw
        if spec["type"] == "date":
            value = parse_date(raw, dt.date(9999, 12, 31))
        elif spec["type"] == "choice":
            by_lower = {str(c).lower(): c for c in spec.get("choices", [])}
            value = by_lower.get(raw.lower(), raw)
        record.custom[spec["key"]] = clean_value(spec, value)
    return handle


def _consent(channel: str, purpose: str) -> Handler:
    def handle(record: Record, raw: str) -> None:
        answer = raw.lower()
        if answer not in TRUTHY and answer not in FALSY:
            raise ValueError(_("%(value)s is not yes or no") % {"value": raw})
        record.consents[(channel, purpose)] = answer in TRUTHY
    return handle


def _unknown(target: str) -> Handler:
    def handle(record: Record, raw: str) -> None:
        raise ValueError(_("unknown target %(target)s") % {"target": target})
    return handle


def _handler(target: str, ctx: RowContext) -> Handler:
    if target in ("last_name", "first_name", "middle_name"):
        return _names(target)
    fixed: dict[str, Handler] = {"full_name": _full_name, "email": _emails, "tags": _tags,
                                 "external_id": _external_id}
    if target in fixed:
        return fixed[target]
    if target == "phone":
        return _phones(ctx.phone_region)
    if target == "birthday":
        return _birthday(ctx.today)
    if target == "branch":
        return _branch(ctx.branches)
    if target.startswith("custom:"):
        return _custom(ctx.custom_specs.get(target[7:]))
    if target.startswith("consent:") and target.count(":") == 2:
        _prefix, channel, purpose = target.split(":")
        return _consent(channel, purpose)
    return _unknown(target)


class RowNormaliser:
    """A mapping compiled once per chunk: each mapped column bound to its handler, the settings already read, so
    a row costs its cells' work and nothing else (an import normalises millions of them)."""

    def __init__(self, ctx: RowContext) -> None:
        self.columns = [(index, target, _handler(target, ctx)) for index, target in ctx.mapping.items()
                        if target != "ignore"]

    def __call__(self, cells: Sequence[str]) -> tuple[Record | None, list[tuple[str, str]]]:
        """(record, []) or (None, [(field, reason), …]) with every problem of the row."""
        record = Record()
        problems: list[tuple[str, str]] = []
        width = len(cells)
        for index, target, handle in self.columns:
            if index >= width:
                continue
            raw = cells[index]
            if not raw or not (raw := raw.strip()):
                continue
            try:
                handle(record, raw)
            except ValueError as exc:
                problems.append((target, str(exc)))
        if problems:
            return None, problems
        if not (record.last_name or record.first_name or record.middle_name or record.phones or record.emails
                or record.external_id):
            return None, [("row", _("neither a name nor a contact"))]
        return record, []


def problem_text(problems: list[tuple[str, str]], labels: dict[str, str]) -> list[tuple[str, str]]:
    """(target, reason) → (the target's label in the user's language, reason)."""
    return [(labels.get(target, _("Row") if target == "row" else target), reason) for target, reason in problems]


def record_as_stored(record: Record, branch_names: dict[int, str]) -> dict[str, Any]:
    """What the preview shows for a record."""
    return {
        "last_name": record.last_name, "first_name": record.first_name, "middle_name": record.middle_name,
        "birthday": record.birthday.strftime("%d.%m.%Y") if record.birthday else "",
        "branch": branch_names.get(record.branch_id or 0, ""),
        "phones": record.phones, "emails": record.emails, "tags": record.tags, "custom": record.custom,
        "consents": {f"{c}:{p}": v for (c, p), v in record.consents.items()},
        "external_id": record.external_id,
    }
