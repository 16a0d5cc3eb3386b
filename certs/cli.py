"""``presensi-ca``: the district CA's command line (docs/contract.md section 2).

The commands only read options, call the library and turn :class:`CertError` into
``error: <message>`` on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from certs.authority import init_ca, issue_from_csr, load_ca, load_cert, revoke
from certs.errors import CertError
from certs.filemodes import PRIVATE_UMASK, check_private
from certs.keys import write_pem
from certs.tls import issue_tls_certificate
from certs.verify import cert_common_name

__all__ = ["main"]


def _positive_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if days < 1:
        raise argparse.ArgumentTypeError("a certificate must be valid for at least 1 day")
    return days


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="presensi-ca", description="Manage the Smart Presensi district certificate authority."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser(
        "init",
        help="create a new district CA",
        description="Create a new district CA: "
        "DIR/ca.key (mode 0600) and DIR/ca.pem. An existing CA is never overwritten.",
    )
    init.add_argument("--dir", type=Path, required=True, help="the CA directory")

    issue = commands.add_parser(
        "issue",
        help="issue a node certificate from a CSR",
        description="Check a node's certificate signing request and write the certificate.",
    )
    issue.add_argument("--dir", type=Path, required=True, help="the CA directory")
    issue.add_argument("--csr", type=Path, required=True, help="the node's CSR (PEM)")
    issue.add_argument("--out", type=Path, required=True, help="where to write the certificate")
    issue.add_argument(
        "--days", type=_positive_days, default=825, help="validity in days (default: 825)"
    )

    revoke_cmd = commands.add_parser(
        "revoke",
        help="revoke every certificate of a node",
        description="Revoke every certificate issued to a node and write DIR/crl.pem.",
    )
    revoke_cmd.add_argument("--dir", type=Path, required=True, help="the CA directory")
    revoke_cmd.add_argument("--name", required=True, help="the node id, e.g. kec-alalak")

    tls = commands.add_parser(
        "tls",
        help="issue an HTTPS certificate and key for a node's staff page",
        description="Issue an ECDSA P-256 server certificate for a node (browsers do not take "
        "Ed25519 in TLS) and write NODE_DATA/certs/tls.pem and NODE_DATA/keys/tls.key.",
    )
    tls.add_argument("--dir", type=Path, required=True, help="the CA directory")
    tls.add_argument("--name", required=True, help="the node id, e.g. kec-alalak")
    tls.add_argument(
        "--host", action="append", required=True, help="address or name staff use (repeatable)"
    )
    tls.add_argument("--node-data", type=Path, required=True, help="the node's data directory")
    return parser


def _init(args: argparse.Namespace) -> str:
    ca = init_ca(args.dir)
    return f"Created the district CA in {ca.dir}: ca.key (private, mode 0600) and ca.pem."


def _issue(args: argparse.Namespace) -> str:
    csr_path: Path = args.csr
    try:
        csr_pem = csr_path.read_bytes()
    except OSError as exc:
        raise CertError(
            f"Could not read the CSR file {csr_path} ({exc.strerror}); check the path."
        ) from exc
    ca = load_ca(args.dir)
    pem = issue_from_csr(ca, csr_pem, days=args.days)
    try:
        write_pem(args.out, pem)
    except OSError as exc:
        raise CertError(
            f"Could not write the certificate to {args.out} ({exc.strerror}); "
            "check that the directory is writable."
        ) from exc
    cert = load_cert(pem)
    return (
        f"Issued a certificate for {cert_common_name(cert)} (serial {cert.serial_number:x}, "
        f"valid until {cert.not_valid_after_utc:%Y-%m-%d}) and wrote it to {args.out}."
    )


def _revoke(args: argparse.Namespace) -> str:
    ca = load_ca(args.dir)
    crl = revoke(ca, args.name)
    return (
        f"Revoked every certificate of {args.name}; wrote {ca.dir / 'crl.pem'}, "
        f"which now lists {len(crl)} revoked certificate(s)."
    )


def _tls(args: argparse.Namespace) -> str:
    ca = load_ca(args.dir)
    cert_pem, key_pem = issue_tls_certificate(ca, args.name, list(args.host))
    cert_path = args.node_data / "certs" / "tls.pem"
    key_path = args.node_data / "keys" / "tls.key"
    write_pem(key_path, key_pem, mode=0o600)
    write_pem(cert_path, cert_pem)
    return (
        f"Wrote {cert_path} and {key_path} (mode 0600) for {', '.join(args.host)}; "
        "start the node with: presensi-node serve --tls"
    )


_COMMANDS = {"init": _init, "issue": _issue, "revoke": _revoke, "tls": _tls}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``presensi-ca`` with ``argv`` (default: the process arguments); return the status."""
    args = _build_parser().parse_args(argv)
    os.umask(PRIVATE_UMASK)  # whatever a command creates is private (certs/filemodes.py)
    try:
        if args.command != "init":
            check_private([Path(args.dir) / "ca.key"])
        message = _COMMANDS[args.command](args)
    except CertError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(message)
    return 0
