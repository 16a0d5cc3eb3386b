"""The daily limit of witness check-ins ("Absen untuk rekan") per witnessing NIP and per
device: one phone vouching for a whole office is refused past it, however the requests race."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from local_node.store import Store
from testkit.factories import NodeProcess, bearer, served_roster_node, sign_in


def _witness_records(db: Path, by: str) -> list[dict]:
    store = Store(db)
    try:
        recs = [json.loads(t) for t in store.iter_records()]
    finally:
        store.close()
    return [r for r in recs if r["type"] == "checkin" and r["body"].get("witness") == by]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[NodeProcess, list[dict[str, str]]]]:
    proc, people = served_roster_node(tmp_path, 20)
    yield proc, people
    proc.kill()


def test_racing_witness_checkins_stop_at_the_limit(node) -> None:
    """Twelve colleagues at once on one phone: five are recorded, seven refused with 429."""
    proc, people = node
    witness, owners = people[0], people[1:13]
    token = sign_in(proc.url, witness["nip"], witness["pin"])
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    start = threading.Barrier(len(owners))
    lock = threading.Lock()

    def one(owner: dict[str, str]) -> None:
        start.wait()
        r = requests.post(
            proc.url + "/api/v1/checkins/witness",
            timeout=60,
            headers={"Authorization": f"Bearer {token}"},
            json={"nip": owner["nip"], "pin": owner["pin"], "kind": "in"},
        )
        with lock:
            statuses[r.status_code] += 1
            if r.status_code != 201:
                errors.append(r.json()["error"])

    threads = [threading.Thread(target=one, args=(o,)) for o in owners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert statuses == {201: 5, 429: 7}, statuses
    assert set(errors) == {"witness-limit"}
    assert len(_witness_records(proc.paths.db, witness["nip"])) == 5
    # The message a person reads says what to do instead (Bahasa Indonesia by default).
    r = requests.post(
        proc.url + "/api/v1/checkins/witness",
        timeout=60,
        headers={"Authorization": f"Bearer {token}"},
        json={"nip": people[15]["nip"], "pin": people[15]["pin"], "kind": "in"},
    )
    assert r.status_code == 429
    assert "Batas absen untuk rekan" in r.json()["message"]
    assert "daftar manual kepala unit" in r.json()["message"]


def _wrong(pin: str) -> str:
    return "000000" if pin != "000000" else "111111"


def test_the_device_limit_holds_for_every_colleague_signed_in_on_it(client, roster, app):
    """Two staff members take turns on one phone: the phone's own limit stops them."""
    device = {"device": "shared-phone-0001"}
    first = client.application.test_client()
    second = client.application.test_client()
    auth = []
    for c, person in ((first, roster[0]), (second, roster[1])):
        r = c.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"], **device})
        assert r.status_code == 201 and r.json["device"] == device["device"]
        auth.append({"Authorization": f"Bearer {r.json['token']}"})
    owners = roster[2:9]
    results = []
    for i, owner in enumerate(owners[:6]):
        r = client.post(
            "/api/v1/checkins/witness",
            headers=auth[i % 2],
            json={"nip": owner["nip"], "pin": owner["pin"], "kind": "in"},
        )
        results.append(r.status_code)
    assert results == [201] * 5 + [429]
    # Another phone is not affected by this one.
    r = client.post(
        "/api/v1/checkins/witness",
        headers=bearer(app.test_client(), roster[10]),
        json={"nip": owners[6]["nip"], "pin": owners[6]["pin"], "kind": "in"},
    )
    assert r.status_code == 201


def test_wrong_pins_and_replays_do_not_use_up_the_limit(client, roster, app):
    app.config["WITNESS_MAX_PER_NIP"] = 2  # the running service reads its own config
    app.extensions["presensi_node"].config["WITNESS_MAX_PER_NIP"] = 2
    auth = bearer(client, roster[0])
    owner, other, third = roster[1], roster[2], roster[3]
    r = client.post(
        "/api/v1/checkins/witness",
        headers=auth,
        json={"nip": owner["nip"], "pin": _wrong(owner["pin"]), "kind": "in"},
    )
    assert r.status_code == 401
    key = {**auth, "Idempotency-Key": "witness-tap-0001"}
    payload = {"nip": owner["nip"], "pin": owner["pin"], "kind": "in"}
    first = client.post("/api/v1/checkins/witness", headers=key, json=payload)
    again = client.post("/api/v1/checkins/witness", headers=key, json=payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.data == again.data
    r = client.post(
        "/api/v1/checkins/witness",
        headers=auth,
        json={"nip": other["nip"], "pin": other["pin"], "kind": "in"},
    )
    assert r.status_code == 201
    # The limit (2) is reached; a retry of a recorded request still gets its record back.
    r = client.post(
        "/api/v1/checkins/witness",
        headers=auth,
        json={"nip": third["nip"], "pin": third["pin"], "kind": "in"},
    )
    assert r.status_code == 429 and r.json["error"] == "witness-limit"
    assert client.post("/api/v1/checkins/witness", headers=key, json=payload).data == first.data
