"""Node ids: the names nodes carry in certificates, records and file names."""

from __future__ import annotations

import re

from certs.errors import CSRError

__all__ = ["NODE_ID_RE", "check_node_id"]

NODE_ID_RE = r"^[a-z0-9-]{3,40}$"
"""A node id: 3 to 40 lowercase ASCII letters, digits and hyphens (docs/contract.md section 1)."""

_NODE_ID = re.compile(NODE_ID_RE, re.ASCII)


def check_node_id(name: str) -> str:
    """Return ``name`` if it is a valid node id, else raise :class:`CSRError`.

    The whole string must match (``fullmatch``), so a trailing newline is refused too.
    """
    if not isinstance(name, str) or _NODE_ID.fullmatch(name) is None:
        raise CSRError(
            f"{name!r} is not a valid node id; use 3 to 40 characters from lowercase a-z, "
            "digits 0-9 and '-', for example 'kec-alalak'."
        )
    return name
