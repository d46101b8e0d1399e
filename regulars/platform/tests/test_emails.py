"""The plain-address shortcut in normalize_email must agree with the full check (Django's validator + IDNA)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.platform.emails import InvalidEmail, normalize_email, validated

atom = st.text(alphabet="abcXYZ019.-_+'!{|}~", min_size=1, max_size=12)
label = st.text(alphabet="abcRS09-", min_size=1, max_size=8)
tld = st.text(alphabet="abcdRUcom1-", min_size=1, max_size=6)


def _full(text: str) -> str | None:
    try:
        return validated(text.strip(), text)
    except InvalidEmail:
        return None


def _fast(text: str) -> str | None:
    try:
        return normalize_email(text)
    except InvalidEmail:
        return None


@settings(max_examples=600, deadline=None)
@given(local=atom, labels=st.lists(label, min_size=0, max_size=3), top=tld)
def test_shortcut_agrees_with_the_full_check(local: str, labels: list[str], top: str) -> None:
    text = f"{local}@{'.'.join([*labels, top])}"
    assert _fast(text) == _full(text)


@pytest.mark.parametrize("text", [
    "Maria.Ivanova.12@Mail.RU", "a@b.co", "x..y@mail.ru", ".x@mail.ru", "x.@mail.ru", "x@-mail.ru", "x@mail-.ru",
    "x@mail.r", "x@mail.r1", "x@localhost", "x@[127.0.0.1]", "имя@почта.рф", "x@почта.рф", "x@mail..ru",
    "a@" + "b" * 63 + ".ru", "a@" + "b" * 64 + ".ru", "x@mail.ru ", "  X@Y.ORG",
])
def test_edge_addresses_agree(text: str) -> None:
    assert _fast(text) == _full(text)


def test_plain_addresses_are_lower_cased_whole() -> None:
    assert normalize_email("  Maria.Ivanova@Mail.RU ") == "maria.ivanova@mail.ru"
    with pytest.raises(InvalidEmail):
        normalize_email("not an address")
