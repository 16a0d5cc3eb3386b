"""RFC 9421 signatures on node requests: roundtrip and a table of tampering."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.errors import SignatureError
from sync.httpsig import content_digest, sign_request, verify_request

URL = "http://127.0.0.1:8765/api/v1/batches"
BODY = b'{"v":1,"records":[]}'
NOW = 1_790_000_000
KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


def resolver(key: Ed25519PrivateKey = KEY) -> Callable[[str], Ed25519PublicKey]:
    def resolve(key_id: str) -> Ed25519PublicKey:
        if key_id != "kec-alalak":
            raise KeyError(key_id)
        return key.public_key()

    return resolve


def signed(**kw: object) -> dict[str, str]:
    return sign_request("POST", URL, BODY, KEY, "kec-alalak", created=NOW, **kw)  # type: ignore[arg-type]


def test_roundtrip() -> None:
    headers = signed(nonce="n" * 22)
    assert headers["Content-Digest"] == content_digest(BODY)
    assert headers["Content-Digest"].startswith("sha-256=:")
    assert '"@method" "@target-uri" "content-digest"' in headers["Signature-Input"]
    assert 'alg="ed25519"' in headers["Signature-Input"]
    got = verify_request("POST", URL, headers, BODY, resolver(), now=NOW + 10)
    assert (got.key_id, got.created, got.nonce) == ("kec-alalak", NOW, "n" * 22)


def test_random_nonce_and_lowercase_headers() -> None:
    a, b = signed(), signed()
    assert a["Signature-Input"] != b["Signature-Input"]
    lower = {k.lower(): v for k, v in a.items()}
    nonce = verify_request("POST", URL, lower, BODY, resolver(), now=NOW).nonce
    assert len(nonce) >= 22


def test_empty_body_get() -> None:
    url = "http://127.0.0.1:8765/api/v1/roster?since=3"
    headers = sign_request("GET", url, b"", KEY, "kec-alalak", created=NOW)
    assert verify_request("GET", url, headers, b"", resolver(), now=NOW).key_id == "kec-alalak"


def _drop(name: str) -> Callable[[dict[str, str]], dict[str, str]]:
    return lambda h: {k: v for k, v in h.items() if k != name}


def _edit(name: str, old: str, new: str) -> Callable[[dict[str, str]], dict[str, str]]:
    return lambda h: {**h, name: h[name].replace(old, new)}


CASES = [
    # (label, method, url, body, header change, now, resolver key, reason)
    ("method", "PUT", URL, BODY, None, NOW, KEY, "bad-signature"),
    ("url path", "POST", URL.replace("batches", "roster"), BODY, None, NOW, KEY, "bad-signature"),
    ("url query", "POST", URL + "?x=1", BODY, None, NOW, KEY, "bad-signature"),
    (
        "url host",
        "POST",
        URL.replace("127.0.0.1", "localhost"),
        BODY,
        None,
        NOW,
        KEY,
        "bad-signature",
    ),
    ("body", "POST", URL, BODY + b" ", None, NOW, KEY, "bad-digest"),
    (
        "digest swapped with body",
        "POST",
        URL,
        b"other",
        lambda h: {**h, "Content-Digest": content_digest(b"other")},
        NOW,
        KEY,
        "bad-signature",
    ),
    (
        "digest sha-512 only",
        "POST",
        URL,
        BODY,
        lambda h: {**h, "Content-Digest": "sha-512=:" + "A" * 86 + "==:"},
        NOW,
        KEY,
        "bad-digest",
    ),
    (
        "digest garbage",
        "POST",
        URL,
        BODY,
        lambda h: {**h, "Content-Digest": "%%%"},
        NOW,
        KEY,
        "malformed",
    ),
    ("too old", "POST", URL, BODY, None, NOW + 301, KEY, "expired"),
    ("future", "POST", URL, BODY, None, NOW - 61, KEY, "expired"),
    (
        "no nonce",
        "POST",
        URL,
        BODY,
        _edit("Signature-Input", ";nonce=", ";xnonce="),
        NOW,
        KEY,
        "malformed",
    ),
    ("wrong key", "POST", URL, BODY, None, NOW, OTHER, "bad-signature"),
    (
        "unknown key",
        "POST",
        URL,
        BODY,
        _edit("Signature-Input", "kec-alalak", "kec-tamban"),
        NOW,
        KEY,
        "unknown-key",
    ),
    ("no signature", "POST", URL, BODY, _drop("Signature"), NOW, KEY, "missing"),
    ("no signature-input", "POST", URL, BODY, _drop("Signature-Input"), NOW, KEY, "missing"),
    ("no digest", "POST", URL, BODY, _drop("Content-Digest"), NOW, KEY, "missing"),
    (
        "digest not covered",
        "POST",
        URL,
        BODY,
        _edit("Signature-Input", ' "content-digest"', ""),
        NOW,
        KEY,
        "malformed",
    ),
    (
        "other alg",
        "POST",
        URL,
        BODY,
        _edit("Signature-Input", '"ed25519"', '"hmac-sha256"'),
        NOW,
        KEY,
        "malformed",
    ),
    (
        "created edited",
        "POST",
        URL,
        BODY,
        _edit("Signature-Input", f"created={NOW}", f"created={NOW + 5}"),
        NOW,
        KEY,
        "bad-signature",
    ),
    (
        "nonce edited",
        "POST",
        URL,
        BODY,
        _edit("Signature-Input", 'nonce="', 'nonce="x'),
        NOW,
        KEY,
        "bad-signature",
    ),
    (
        "signature garbage",
        "POST",
        URL,
        BODY,
        lambda h: {**h, "Signature": "presensi=:AAAA:"},
        NOW,
        KEY,
        "bad-signature",
    ),
    (
        "signature not a dictionary",
        "POST",
        URL,
        BODY,
        lambda h: {**h, "Signature": "(((("},
        NOW,
        KEY,
        "malformed",
    ),
    (
        "signature is a token",
        "POST",
        URL,
        BODY,
        lambda h: {**h, "Signature": "presensi=abc"},
        NOW,
        KEY,
        "malformed",
    ),
    (
        "input not a dictionary",
        "POST",
        URL,
        BODY,
        lambda h: {**h, "Signature-Input": "(((("},
        NOW,
        KEY,
        "malformed",
    ),
    (
        "two signatures",
        "POST",
        URL,
        BODY,
        lambda h: {
            **h,
            "Signature-Input": h["Signature-Input"]
            + ", "
            + h["Signature-Input"].replace("presensi=", "again="),
        },
        NOW,
        KEY,
        "malformed",
    ),
]


@pytest.mark.parametrize(
    ("label", "method", "url", "body", "change", "now", "key", "reason"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_tampering_rejected(
    label: str,
    method: str,
    url: str,
    body: bytes,
    change: Callable[[dict[str, str]], dict[str, str]] | None,
    now: int,
    key: Ed25519PrivateKey,
    reason: str,
) -> None:
    headers = signed(nonce="abcdefghijklmnopqrstuv")
    if change is not None:
        headers = change(headers)
    with pytest.raises(SignatureError) as info:
        verify_request(method, url, headers, body, resolver(key), now=now)
    assert info.value.reason == reason, str(info.value)


def test_max_age_parameter() -> None:
    headers = signed()
    verify_request("POST", URL, headers, BODY, resolver(), now=NOW + 500, max_age=600)
    with pytest.raises(SignatureError):
        verify_request("POST", URL, headers, BODY, resolver(), now=NOW + 500, max_age=60)
