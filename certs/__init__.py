"""Keys, the district CA, X.509 certificates, CSRs and revocation for Smart Presensi.

Depends only on ``cryptography`` and the standard library. The modules: ``keys`` (Ed25519 keys
and key files), ``names`` (node ids), ``csr`` (signing requests), ``authority`` (the CA:
issuing and revoking), ``verify`` (checking certificates), ``tls`` (HTTPS certificates),
``errors`` (the error hierarchy) and ``cli`` (``presensi-ca``).
"""
