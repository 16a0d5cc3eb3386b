"""The one error hierarchy of the ``certs`` package.

Every error raised on purpose by ``certs`` is a :class:`CertError`, so callers (the CLIs,
central's enrollment and ingest, the node) can catch one type and show its message. Messages
are whole English sentences that say what is wrong and what to do about it.
"""

from __future__ import annotations


class CertError(Exception):
    """Base class of every error raised by the ``certs`` package."""


class CAExistsError(CertError):
    """A district CA already exists where a new one was to be created."""


class KeyFileError(CertError):
    """A private key file is missing, unreadable, of the wrong type or too widely readable."""


class CSRError(CertError):
    """A certificate signing request (or a node id in one) is not acceptable."""


class CertificateInvalid(CertError):
    """A certificate (or the revocation list used to check it) must not be trusted."""


class CertificateExpired(CertificateInvalid):
    """The certificate is outside its validity period (expired or not yet valid)."""


class CertificateRevoked(CertificateInvalid):
    """The certificate's serial number is on the CA's revocation list."""


class CertificateNameMismatch(CertificateInvalid):
    """The certificate's common name is not the name it was expected to carry."""


class NotSignedByCA(CertificateInvalid):
    """The certificate was not issued and signed by the given CA."""


class KeyMismatch(CertificateInvalid):
    """A private key does not belong to the certificate it is used with."""
