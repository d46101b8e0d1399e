"""Small text helpers."""

from __future__ import annotations

from django.utils.text import slugify

_RU = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
    strict=True,
))


def ascii_slug(text: str) -> str:
    """A Latin slug, transliterating Russian ('Север-2' → 'sever-2') so codes stay readable in URLs."""
    latin = "".join(_RU.get(ch, ch) for ch in (text or "").lower())
    return slugify(latin)
