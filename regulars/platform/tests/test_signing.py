"""Standard Webhooks signing: the spec's test vector, a vector computed here with hmac, and every refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from regulars.platform import signing

# The example of the Standard Webhooks specification.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(signature: str, msg_id: str = SPEC_ID, timestamp: int = SPEC_TS) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_the_specification_example_signs_and_verifies() -> None:
    assert signing.sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIGNATURE
    signing.verify(SPEC_SECRET, headers(SPEC_SIGNATURE), SPEC_BODY, now=SPEC_TS + 10)


def test_a_vector_computed_here_with_hmac_directly() -> None:
    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    body = '{"type":"visit.completed","data":{"ФИО":"Иван"}}'.encode()
    expected = base64.b64encode(hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()).decode()
    assert signing.sign(secret, "msg_1", 1700000000, body) == f"v1,{expected}"
    # the prefix is optional on the way in
    assert signing.sign(secret.removeprefix("whsec_"), "msg_1", 1700000000, body) == f"v1,{expected}"


def test_new_secrets_are_32_random_bytes_with_the_prefix() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_one_of_several_signatures_is_enough_and_other_versions_are_ignored() -> None:
    several = f"v1,bm90IGl0 v2,{SPEC_SIGNATURE[3:]} {SPEC_SIGNATURE}"
    signing.verify(SPEC_SECRET, headers(several), SPEC_BODY, now=SPEC_TS)
    mixed_case = {k.title(): v for k, v in headers(SPEC_SIGNATURE).items()}
    signing.verify(SPEC_SECRET, mixed_case, SPEC_BODY, now=datetime.fromtimestamp(SPEC_TS, tz=UTC))


@pytest.mark.parametrize(("change", "reason"), [
    ({"webhook-signature": ""}, signing.MISSING_HEADER),
    ({"webhook-id": ""}, signing.MISSING_HEADER),
    ({"webhook-timestamp": "soon"}, signing.MALFORMED_HEADER),
    ({"webhook-timestamp": str(SPEC_TS - 301)}, signing.TIMESTAMP_TOO_OLD),
    ({"webhook-timestamp": str(SPEC_TS + 301)}, signing.TIMESTAMP_TOO_NEW),
    ({"webhook-id": "msg_other"}, signing.BAD_SIGNATURE),
    ({"webhook-signature": "v2," + SPEC_SIGNATURE[3:]}, signing.BAD_SIGNATURE),
])
def test_refusals_name_their_reason(change: dict[str, str], reason: str) -> None:
    sent = headers(SPEC_SIGNATURE) | change
    with pytest.raises(signing.SignatureError) as refused:
        signing.verify(SPEC_SECRET, sent, SPEC_BODY, now=SPEC_TS)
    assert refused.value.reason == reason


def test_a_tampered_body_or_another_secret_is_a_bad_signature() -> None:
    for secret, body in ((SPEC_SECRET, b'{"test": 2432232315}'), (signing.new_secret(), SPEC_BODY)):
        with pytest.raises(signing.SignatureError) as refused:
            signing.verify(secret, headers(SPEC_SIGNATURE), body, now=SPEC_TS)
        assert refused.value.reason == signing.BAD_SIGNATURE


def test_the_tolerance_bounds_are_inclusive_and_configurable() -> None:
    signing.verify(SPEC_SECRET, headers(SPEC_SIGNATURE), SPEC_BODY, now=SPEC_TS + 300)
    signing.verify(SPEC_SECRET, headers(SPEC_SIGNATURE), SPEC_BODY, now=SPEC_TS - 300)
    with pytest.raises(signing.SignatureError):
        signing.verify(SPEC_SECRET, headers(SPEC_SIGNATURE), SPEC_BODY, now=SPEC_TS + 61, tolerance=60)


def test_every_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    signing.verify(SPEC_SECRET, headers(f"v1,AAAA {SPEC_SIGNATURE} v1,BBBB"), SPEC_BODY, now=SPEC_TS)
    assert len(calls) == 3  # all candidates are compared, none with ==


def test_several_secrets_any_one_of_them_verifies() -> None:
    other = signing.new_secret()
    signing.verify([other, SPEC_SECRET], headers(SPEC_SIGNATURE), SPEC_BODY, now=SPEC_TS)  # the old one, in grace
    signing.verify([SPEC_SECRET, other], headers(SPEC_SIGNATURE), SPEC_BODY, now=SPEC_TS)
    with pytest.raises(signing.SignatureError) as refused:
        signing.verify([other, signing.new_secret()], headers(SPEC_SIGNATURE), SPEC_BODY, now=SPEC_TS)
    assert refused.value.reason == signing.BAD_SIGNATURE
