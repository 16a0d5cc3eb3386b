"""Guessing enrollment tokens, and requests signed by revoked or foreign keys."""

from __future__ import annotations

import json
import secrets

import pytest

from central.enrollment import create_enroll_token
from certs.authority import init_ca, issue_from_csr, load_ca, revoke
from certs.csr import make_csr
from certs.keys import generate_key, write_pem
from tests.central.conftest import FakeNode

from .conftest import central_counts

pytestmark = pytest.mark.faults


def test_guessed_enrollment_tokens_are_all_401_and_reveal_nothing(
    central_client, central_store, central_clock
):
    real = create_enroll_token(central_store, "kec-alalak", now=central_clock.now)
    csr = make_csr(generate_key(), "kec-alalak").decode()
    before = central_counts(central_store)
    answers = set()
    for i in range(200):
        # Half against the node that has a live token, half against names that do not exist:
        # the answer must not tell them apart (no oracle for which nodes await enrollment).
        node = "kec-alalak" if i % 2 else f"kec-nope-{i}"
        guess = f"{node}.{secrets.token_urlsafe(32)}"
        r = central_client.post("/api/v1/enroll", json={"token": guess, "csr": csr})
        assert r.status_code == 401
        answers.add(r.data)
    assert len(answers) == 1
    assert central_counts(central_store) == before
    # Guessing did not burn or lock the real token.
    r = central_client.post("/api/v1/enroll", json={"token": real, "csr": csr})
    assert r.status_code == 201


@pytest.mark.parametrize(
    "secret", ["\ud800" + "a" * 30, "a" * 30 + "\udfff", "é" * 30, "a" * 19, "a b" * 10, "a" * 201]
)
def test_malformed_enrollment_secrets_are_401_not_500(
    central_client, central_store, central_clock, secret
):
    create_enroll_token(central_store, "kec-alalak", now=central_clock.now)
    csr = make_csr(generate_key(), "kec-alalak").decode()
    # json.dumps escapes a lone surrogate as \ud800, which is what an attacker sends.
    body = json.dumps({"token": f"kec-alalak.{secret}", "csr": csr})
    r = central_client.post("/api/v1/enroll", data=body, content_type="application/json")
    if any("\ud800" <= c <= "\udfff" for c in secret):  # refused as JSON first (issue 13.11)
        assert r.status_code == 400 and r.get_json()["error"] == "bad-json"
    else:
        assert r.status_code == 401 and r.get_json()["error"] == "token-invalid"


def test_tokens_are_stored_only_as_hashes(central_store, central_clock, stored_bytes):
    token = create_enroll_token(central_store, "kec-alalak", now=central_clock.now)
    secret = token.partition(".")[2]
    # The database file and its WAL, or a pg_dump: wherever central keeps its data.
    dump = stored_bytes()
    assert central_store.node("kec-alalak") is not None  # the token's row is there
    assert secret.encode() not in dump


def test_revoked_node_cannot_push_and_nothing_is_stored(
    central_client, central_store, central_paths, fake_node
):
    assert fake_node.push(central_client).status_code == 200
    fake_node.checkin("198501012010011001")
    revoke(load_ca(central_paths.ca_dir), "kec-alalak")
    before = central_counts(central_store)
    r = fake_node.push(central_client, 1)
    assert r.status_code == 403 and r.get_json()["error"] == "revoked"
    after = central_counts(central_store)
    assert {k: v for k, v in after.items() if k != "nodes"} == {
        k: v for k, v in before.items() if k != "nodes"
    }
    assert central_store.node("kec-alalak").head_seq == 0


def test_node_with_a_foreign_ca_certificate_is_refused(
    central_client, central_store, central_paths, central_clock, tmp_path
):
    """A rogue CA's certificate dropped into central's issued/ directory is not trusted."""
    rogue_ca = init_ca(tmp_path / "rogue-ca")
    key = generate_key()
    pem = issue_from_csr(rogue_ca, make_csr(key, "kec-rogue"))
    write_pem(central_paths.ca_dir / "issued" / "kec-rogue-1234.pem", pem)
    rogue = FakeNode("kec-rogue", central_clock, key)
    before = central_counts(central_store)
    for r in (
        rogue.request(central_client, "GET", "/api/v1/nodes/kec-rogue/checkpoint"),
        rogue.push(central_client),
    ):
        assert r.status_code in (401, 403), r.get_data(as_text=True)
    assert (
        central_store.node("kec-rogue") is None
        or central_store.node("kec-rogue").status != "active"
    )
    assert central_counts(central_store)["records"] == before["records"]


def test_foreign_key_signing_as_an_enrolled_node_is_401(
    central_client, central_store, central_clock, fake_node, tmp_path
):
    rogue_ca = init_ca(tmp_path / "rogue-ca")
    key = generate_key()
    issue_from_csr(rogue_ca, make_csr(key, "kec-alalak"))  # a valid cert, wrong district
    impostor = FakeNode("kec-alalak", central_clock, key)
    impostor.epoch = fake_node.epoch
    r = impostor.push(central_client)
    assert r.status_code == 401
    assert central_counts(central_store)["records"] == 0
