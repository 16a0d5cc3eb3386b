"""``GET /api/v1/central-keys``: central's receipt-key announcements, oldest first
(central/rotation.py, sync/keyannounce.py). Public: each holds only public keys, and a node
believes one only when the key it already trusts signed it."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from .rotation import announcements
from .web import service

bp = Blueprint("central_keys", __name__, url_prefix="/api/v1")


@bp.get("/central-keys")
def get_central_keys() -> ResponseReturnValue:
    svc = service()
    return jsonify({"central": svc.identity.name, "announcements": announcements(svc.paths)})
