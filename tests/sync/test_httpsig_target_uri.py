"""The RFC 9421 ``@target-uri`` is normalised the same way by signer and verifier (RFC 3986
section 6.2.3): a node configured with ``http://central:80`` or ``http://Central.`` signs a
URL that central, rebuilding it from the Host header, names differently."""

from __future__ import annotations

import pytest

from certs.keys import generate_key
from sync.errors import SignatureError
from sync.httpsig import sign_request, target_uri, verify_request

KEY = generate_key()


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        ("http://127.0.0.1:80/api/v1/batches", "http://127.0.0.1/api/v1/batches"),
        ("https://central.example:443/api/v1/batches", "https://central.example/api/v1/batches"),
        (
            "http://CENTRAL.Example/api/v1/roster?since=3",
            "http://central.example/api/v1/roster?since=3",
        ),
        ("http://central.example./api/v1/batches", "http://central.example/api/v1/batches"),
        ("HTTP://Central.Example.:80/api/v1/batches", "http://central.example/api/v1/batches"),
        (
            "http://central.example:8443/api/v1/batches",
            "http://Central.Example.:8443/api/v1/batches",
        ),
        ("http://[::1]:80/api/v1/batches", "http://[::1]/api/v1/batches"),
    ],
)
def test_one_url_named_two_ways_verifies(signed: str, received: str) -> None:
    headers = sign_request("POST", signed, b"{}", KEY, "kec-alalak", created=1_800_000_000)
    got = verify_request(
        "POST", received, headers, b"{}", lambda _: KEY.public_key(), now=1_800_000_000
    )
    assert got.key_id == "kec-alalak"


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        ("http://central.example:8080/api/v1/batches", "http://central.example/api/v1/batches"),
        ("https://central.example:80/api/v1/batches", "https://central.example/api/v1/batches"),
        ("http://central.example/api/v1/batches", "https://central.example/api/v1/batches"),
        ("http://central.example/api/v1/Batches", "http://central.example/api/v1/batches"),
        ("http://other.example/api/v1/batches", "http://central.example/api/v1/batches"),
        (
            "http://central.example/api/v1/roster?since=3",
            "http://central.example/api/v1/roster?since=4",
        ),
    ],
)
def test_a_different_url_still_fails(signed: str, received: str) -> None:
    headers = sign_request("POST", signed, b"{}", KEY, "kec-alalak", created=1_800_000_000)
    with pytest.raises(SignatureError) as info:
        verify_request(
            "POST", received, headers, b"{}", lambda _: KEY.public_key(), now=1_800_000_000
        )
    assert info.value.reason == "bad-signature"


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("HTTP://A.B.:80", "http://a.b/"),
        ("https://a.b:443/x?y=1", "https://a.b/x?y=1"),
        ("https://a.b:8443/x/%7Ey", "https://a.b:8443/x/%7Ey"),
        ("http://a.b/x?", "http://a.b/x?"),
    ],
)
def test_normal_form(url: str, form: str) -> None:
    assert target_uri(url) == form


@pytest.mark.parametrize(
    "url", ["/api/v1/batches", "ftp://a.b/", "http://u:p@a.b/", "http://a.b:99999/", "http:///x"]
)
def test_not_a_target_uri(url: str) -> None:
    with pytest.raises(SignatureError) as info:
        target_uri(url)
    assert info.value.reason == "malformed"
