"""The Russian-mobile shortcut in normalize_phone must agree with libphonenumber's full parse on every input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.platform.phones import InvalidPhone, normalize_phone, parse_phone

national = st.text(alphabet="0123456789", min_size=9, max_size=11).map(lambda d: "9" + d)
prefix = st.sampled_from(["", "+7", "7", "8", "+8", "+7 ", "8 ", "007", "+", "+79"])


@st.composite
def written(draw: st.DrawFn) -> str:
    digits = draw(national)
    style = draw(st.sampled_from(["plain", "brackets", "spaces", "dots"]))
    if style == "brackets":
        digits = f"({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    elif style == "spaces":
        digits = " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))
    elif style == "dots":
        digits = ".".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    return draw(prefix) + digits


def _normalized(text: str) -> str | None:
    try:
        return normalize_phone(text, region="RU")
    except InvalidPhone:
        return None


@settings(max_examples=3000, deadline=None)
@given(written())
def test_shortcut_agrees_with_the_full_parse(text: str) -> None:
    assert _normalized(text) == parse_phone(text.strip(), "RU")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8 (912) 345-67-89", "+79123456789"),
        ("+7 912 345 67 89", "+79123456789"),
        ("79123456789", "+79123456789"),
        ("9123456789", "+79123456789"),
        ("+7 (495) 123-45-67", "+74951234567"),  # Moscow landline: the full parse
        ("8 930 003 93 75", None),  # 930 00x… is not allocated: the shortcut must not accept it
        ("+8 912 345 67 89", None),
    ],
)
def test_examples(text: str, expected: str | None) -> None:
    assert _normalized(text) == expected
