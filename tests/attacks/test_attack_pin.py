"""PIN guessing: the per-NIP lockout is tested in tests/node/test_checkin_api.py; here the
per-address limit (one device spraying one PIN over many NIPs) and its survival of a restart."""

from __future__ import annotations

import pytest

from local_node import create_app

pytestmark = pytest.mark.faults


def _wrong(person: dict[str, str]) -> str:
    return "000000" if person["pin"] != "000000" else "111111"


def test_spraying_many_nips_from_one_address_locks_the_address(node_paths, roster):
    limit = 6
    app = create_app({"DATA_DIR": str(node_paths.root), "ADDR_MAX_FAILURES": limit})
    c = app.test_client()
    attacker = {"REMOTE_ADDR": "10.0.0.66"}
    try:
        # One wrong PIN per NIP: no single NIP reaches its own limit of 5.
        for person in roster[:limit]:
            r = c.post(
                "/api/v1/session",
                json={"nip": person["nip"], "pin": _wrong(person)},
                environ_base=attacker,
            )
            assert r.status_code == 401
        # Now even a correct PIN from that address is refused, for every NIP ...
        victim = roster[10]
        r = c.post(
            "/api/v1/session",
            json={"nip": victim["nip"], "pin": victim["pin"]},
            environ_base=attacker,
        )
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        assert r.json is not None and "token" not in r.json
        # ... while staff on other phones are not affected.
        r = c.post(
            "/api/v1/session",
            json={"nip": victim["nip"], "pin": victim["pin"]},
            environ_base={"REMOTE_ADDR": "10.0.0.7"},
        )
        assert r.status_code == 201
    finally:
        app.extensions["presensi_node"].close()

    # The address lock is in the database: a restarted node still refuses it.
    app2 = create_app({"DATA_DIR": str(node_paths.root), "ADDR_MAX_FAILURES": limit})
    try:
        r = app2.test_client().post(
            "/api/v1/session",
            json={"nip": roster[11]["nip"], "pin": roster[11]["pin"]},
            environ_base=attacker,
        )
        assert r.status_code == 429
    finally:
        app2.extensions["presensi_node"].close()


def test_locked_nip_refuses_even_the_right_pin_from_a_new_address(node_paths, roster):
    app = create_app({"DATA_DIR": str(node_paths.root), "PIN_MAX_FAILURES": 3})
    c = app.test_client()
    person = roster[2]
    try:
        for i in range(3):
            c.post(
                "/api/v1/session",
                json={"nip": person["nip"], "pin": _wrong(person)},
                environ_base={"REMOTE_ADDR": f"10.0.1.{i}"},
            )
        r = c.post(
            "/api/v1/session",
            json={"nip": person["nip"], "pin": person["pin"]},
            environ_base={"REMOTE_ADDR": "10.0.1.99"},
        )
        assert r.status_code == 429
    finally:
        app.extensions["presensi_node"].close()
