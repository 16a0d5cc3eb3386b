"""Enrollment: one-time tokens, CSR checks, and ``presensi-central init``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask.testing import FlaskClient

from central.database import record_database
from central.datadir import CentralPaths
from central.enrollment import create_enroll_token
from central.identity import init_central
from central.store.sqlite import SqliteStore
from certs.csr import make_csr
from certs.keys import generate_key
from certs.verify import verify_certificate

from .conftest import Clock


def _csr(name: str) -> str:
    return make_csr(generate_key(), name).decode()


def test_good_enrollment_returns_certificates(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    central_paths: CentralPaths,
    stored_bytes: Callable[[], bytes],
) -> None:
    token = create_enroll_token(store, "kec-alalak", now=clock.now)
    assert token.startswith("kec-alalak.")
    r = client.post("/api/v1/enroll", json={"token": token, "csr": _csr("kec-alalak")})
    assert r.status_code == 201
    data = r.get_json()
    assert data["node"] == "kec-alalak" and data["central_id"] == "central-batola"
    cert = x509.load_pem_x509_certificate(data["cert"].encode())
    ca = x509.load_pem_x509_certificate(data["ca"].encode())
    verify_certificate(cert, ca, name="kec-alalak")
    assert data["ca"].encode() == central_paths.ca_cert.read_bytes()
    assert data["central"].encode() == central_paths.cert.read_bytes()
    row = store.node("kec-alalak")
    assert row is not None and row.status == "active" and row.cert_pem == data["cert"]
    # Only a hash of the secret is stored.
    secret = token.split(".", 1)[1]
    assert secret not in stored_bytes().decode("latin-1")


def test_reused_token_is_refused(client: FlaskClient, store: SqliteStore, clock: Clock) -> None:
    token = create_enroll_token(store, "kec-alalak", now=clock.now)
    assert (
        client.post("/api/v1/enroll", json={"token": token, "csr": _csr("kec-alalak")}).status_code
        == 201
    )
    r = client.post("/api/v1/enroll", json={"token": token, "csr": _csr("kec-alalak")})
    assert r.status_code == 409 and r.get_json()["error"] == "token-used"


def test_expired_token_is_refused(client: FlaskClient, store: SqliteStore, clock: Clock) -> None:
    token = create_enroll_token(store, "kec-alalak", now=clock.now)
    clock.advance(72 * 3600 + 1)
    r = client.post("/api/v1/enroll", json={"token": token, "csr": _csr("kec-alalak")})
    assert r.status_code == 403 and r.get_json()["error"] == "token-expired"


def test_csr_for_another_name_is_refused_and_token_survives(
    client: FlaskClient, store: SqliteStore, clock: Clock
) -> None:
    token = create_enroll_token(store, "kec-alalak", now=clock.now)
    r = client.post("/api/v1/enroll", json={"token": token, "csr": _csr("kec-tamban")})
    assert r.status_code == 403 and r.get_json()["error"] == "name-mismatch"
    assert store.node("kec-tamban") is None
    r = client.post("/api/v1/enroll", json={"token": token, "csr": _csr("kec-alalak")})
    assert r.status_code == 201


def test_non_ed25519_csr_is_refused(client: FlaskClient, store: SqliteStore, clock: Clock) -> None:
    token = create_enroll_token(store, "kec-alalak", now=clock.now)
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kec-alalak")]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )
    r = client.post("/api/v1/enroll", json={"token": token, "csr": csr.decode()})
    assert r.status_code == 400 and r.get_json()["error"] == "bad-csr"


def test_unknown_token_is_refused(client: FlaskClient, store: SqliteStore, clock: Clock) -> None:
    create_enroll_token(store, "kec-alalak", now=clock.now)
    r = client.post(
        "/api/v1/enroll", json={"token": "kec-alalak." + "x" * 43, "csr": _csr("kec-alalak")}
    )
    assert r.status_code == 401 and r.get_json()["error"] == "token-invalid"


def test_init_never_overwrites_an_existing_ca(tmp_path: Path, central_database: str | None) -> None:
    paths = CentralPaths(tmp_path / "c")
    if central_database is not None:
        record_database(paths, central_database)
    created = init_central(paths)
    assert str(paths.ca_cert) in created and str(paths.cert) in created
    ca_before = paths.ca_cert.read_bytes()
    key_before = (paths.ca_dir / "ca.key").read_bytes()
    assert init_central(paths) == []
    assert paths.ca_cert.read_bytes() == ca_before
    assert (paths.ca_dir / "ca.key").read_bytes() == key_before
    assert paths.key.stat().st_mode & 0o077 == 0


def test_init_uses_a_ca_that_is_already_there(tmp_path: Path, central_database: str | None) -> None:
    from certs.authority import init_ca, load_cert

    paths = CentralPaths(tmp_path / "c")
    if central_database is not None:
        record_database(paths, central_database)
    ca = init_ca(paths.ca_dir)
    init_central(paths, "central-test")
    verify_certificate(load_cert(paths.cert), ca.cert, name="central-test")
