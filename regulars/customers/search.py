"""The one search box: what a card is found by, and how a typed query becomes a filter.

Every card keeps `search_text`, a lower-cased line of its names, phone digits (international and the Russian
"8…" form), e-mails, messenger ids, plates and VINs. A query is matched as a substring of it: on PostgreSQL a
trigram GIN index serves `LIKE '%…%'`; on SQLite it is a scan, fine for the embedded default's size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SPACES = re.compile(r"\s+")
_PHONEISH = re.compile(r"^[\d\s()+\-.]+$")
_NON_DIGITS = re.compile(r"\D+")
_PLATE_JUNK = re.compile(r"[\s\-]+")
# Only the letters Russian plates use (Cyrillic and their Latin twins), and digits.
_PLATE_LIKE = re.compile(r"^[авекмнорстухabekmhopctyx0-9]{3,12}$")

# Cyrillic letters that look like Latin ones on Russian plates; both spellings find the car.
_PLATE_LATIN = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")


def normalize_plate(plate: str) -> str:
    return _PLATE_JUNK.sub("", plate).upper().translate(_PLATE_LATIN)


def search_text_for(
    *,
    names: Iterable[str],
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    handles: Iterable[str] = (),
    plates: Iterable[str] = (),
    vins: Iterable[str] = (),
) -> str:
    """Build the text a card is searched by. `phones` are E.164 ('+79123456789')."""
    parts: list[str] = [n.strip().lower() for n in names if n and n.strip()]
    for phone in phones:
        digits = _NON_DIGITS.sub("", phone)
        parts.append(digits)
        if phone.startswith("+7") and len(digits) == 11:
            parts.append("8" + digits[1:])
    parts.extend(e.lower() for e in emails)
    parts.extend(h.lower() for h in handles)
    parts.extend(normalize_plate(p).lower() for p in plates if p)
    parts.extend(v.lower() for v in vins if v)
    return " ".join(parts)


def search_text_of(names: Iterable[str], contacts: Iterable[tuple[str, str]],
                   assets: Iterable[dict[str, object]] = ()) -> str:
    """search_text_for a card given as its contacts (kind, value) and its assets' data, as they are stored."""
    contacts, assets = list(contacts), list(assets)
    return search_text_for(
        names=names,
        phones=[v for k, v in contacts if k == "phone"],
        emails=[v for k, v in contacts if k == "email"],
        handles=[v for k, v in contacts if k not in ("phone", "email", "ext")],
        plates=[str(a.get("plate", "")) for a in assets],
        vins=[str(a.get("vin", "")) for a in assets],
    )


def query_terms(query: str) -> list[str]:
    """Split what was typed into terms that must all match. A phone-like query becomes its digits."""
    text = _SPACES.sub(" ", (query or "").strip().lower())
    if not text:
        return []
    if _PHONEISH.match(text) and any(c.isdigit() for c in text):
        return [_NON_DIGITS.sub("", text)]
    compact = text.replace(" ", "").replace("-", "")
    if _PLATE_LIKE.match(compact) and any(c.isdigit() for c in compact) and any(c.isalpha() for c in compact):
        return [normalize_plate(compact).lower()]  # 'е 001 кх' is one plate typed with spaces
    terms = []
    for word in text.split(" "):
        if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
            word = normalize_plate(word).lower()  # a plate or a VIN, written with spaces or dashes
        terms.append(word)
    return terms
