"""Key announcements: only the trusted key can name its successor; chains are followed in
order; anything malformed is refused with a reason."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from certs.authority import init_ca, issue_certificate
from certs.keys import generate_key
from sync._signed import sign_document
from sync.keyannounce import (
    KeyAnnouncementError,
    follow_announcements,
    make_announcement,
    raw_key,
    verify_announcement,
)

CENTRAL = "central-batola"
TS = "2026-12-01T00:00:00.000Z"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return init_ca(Path(tmp_path_factory.mktemp("ca")) / "ca")


def announce(ca: Any, old: Any, new: Any, central: str = CENTRAL) -> dict[str, Any]:
    cert = issue_certificate(ca, new.public_key(), central, role="central")
    return make_announcement(central=central, old_key=old, new_cert=cert, issued_ts=TS)


def test_a_chain_of_two_rotations(ca: Any) -> None:
    k1, k2, k3 = generate_key(), generate_key(), generate_key()
    first, second = announce(ca, k1, k2), announce(ca, k2, k3)
    assert follow_announcements(k1.public_key(), [second, first], CENTRAL) == [first, second]
    assert follow_announcements(k2.public_key(), [first, second], CENTRAL) == [second]
    assert follow_announcements(k3.public_key(), [first, second], CENTRAL) == []


def _resigned(doc: dict[str, Any], key: Any, **changes: Any) -> dict[str, Any]:
    body = {k: v for k, v in doc.items() if k != "sig"}
    body.update(changes)
    return sign_document(body, key)


@pytest.mark.parametrize(
    "case",
    [
        "bad-sig",
        "other-central",
        "cert-of-another-key",
        "cert-of-another-name",
        "missing-field",
        "extra-field",
        "v2",
        "bad-ts",
        "short-key",
        "not-pem",
    ],
)
def test_bad_announcements(ca: Any, case: str) -> None:
    old, new, other = generate_key(), generate_key(), generate_key()
    doc = announce(ca, old, new)
    bad = {
        "bad-sig": lambda: dict(doc, sig=base64.b64encode(other.sign(b"x")).decode()),
        "other-central": lambda: _resigned(doc, old, central="central-other"),
        "cert-of-another-key": lambda: _resigned(doc, old, new_key=raw_key(other.public_key())),
        "cert-of-another-name": lambda: make_announcement(
            central=CENTRAL,
            old_key=old,
            issued_ts=TS,
            new_cert=issue_certificate(ca, new.public_key(), "central-other", role="central"),
        ),
        "missing-field": lambda: _resigned({k: v for k, v in doc.items() if k != "cert"}, old),
        "extra-field": lambda: _resigned(doc, old, note="hi"),
        "v2": lambda: _resigned(doc, old, v=2),
        "bad-ts": lambda: _resigned(doc, old, issued_ts="yesterday"),
        "short-key": lambda: _resigned(doc, old, old_key="AAAA"),
        "not-pem": lambda: _resigned(doc, old, cert="-----BEGIN nothing"),
    }[case]()
    with pytest.raises(KeyAnnouncementError):
        verify_announcement(bad, CENTRAL)
    if bad.get("old_key") == doc["old_key"]:
        with pytest.raises(KeyAnnouncementError):
            follow_announcements(old.public_key(), [bad], CENTRAL)


def test_two_successors_and_circles_are_refused(ca: Any) -> None:
    k1, k2, k3 = generate_key(), generate_key(), generate_key()
    with pytest.raises(KeyAnnouncementError, match="two different successors"):
        follow_announcements(k1.public_key(), [announce(ca, k1, k2), announce(ca, k1, k3)])
    with pytest.raises(KeyAnnouncementError, match="circle"):
        follow_announcements(k1.public_key(), [announce(ca, k1, k2), announce(ca, k2, k1)])


@pytest.mark.parametrize("docs", [None, {}, "x", [1] * 1000])
def test_announcements_must_be_a_short_list(docs: Any) -> None:
    with pytest.raises(KeyAnnouncementError):
        follow_announcements(generate_key().public_key(), docs)
