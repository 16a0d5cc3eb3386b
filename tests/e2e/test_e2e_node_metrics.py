"""The node's /metrics tells an operator how far behind central it is: the backlog of
unacknowledged records and the age of the last successful push, with real processes."""

from __future__ import annotations

import re
import time

import pytest
import requests

from testkit.factories import CentralProcess, CentralSetup, NodeProcess
from tests.e2e.conftest import check_in, sign_in_all, wait_for

pytestmark = pytest.mark.slow


def _gauge(url: str, name: str) -> float | None:
    text = requests.get(url + "/metrics", timeout=10).text
    match = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def test_backlog_and_last_push_age(
    node: NodeProcess, central: CentralProcess, central_setup: CentralSetup
) -> None:
    staff = sign_in_all(node.url, central_setup.people[:3])
    for person in staff:
        check_in(node.url, person)
    wait_for(
        lambda: _gauge(node.url, "presensi_sync_backlog_records") == 0, 30, "the backlog to drain"
    )
    age = _gauge(node.url, "presensi_sync_last_push_age_seconds")
    assert age is not None and age < 30
    central.kill()
    for person in staff[:2]:
        check_in(node.url, person, kind="out")
    assert _gauge(node.url, "presensi_sync_backlog_records") == 2
    time.sleep(3)
    later = _gauge(node.url, "presensi_sync_last_push_age_seconds")
    assert later is not None and later >= 2.5
    assert _gauge(node.url, "presensi_sync_backlog_records") == 2
