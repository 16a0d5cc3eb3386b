"""The session cache drops a session another process ended, on the very next lookup.

The serving process caches sessions; ``presensi-node`` commands, a roster pull in another
process, or a sign-out end them in the database. The next lookup must not accept the cached
copy: the ending process bumps the database generation and rings the store's bell, which the
cache reads on every lookup (well inside the 2 s after which it re-reads the database anyway).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from local_node.datadir import NodePaths
from local_node.sessions import Sessions
from local_node.store import Store
from testkit.factories import REPO

NIP = "198501012010011001"

END_IN_ANOTHER_PROCESS = """
import sys
from local_node.sessions import Sessions
from local_node.store import Store
print(Sessions(Store(sys.argv[1]), 1).end_all(sys.argv[2]))
"""


def test_a_session_ended_by_another_process_is_refused_at_once(node_paths) -> None:
    sessions = Sessions(Store(node_paths.db), 1)
    token, _ = sessions.create(NIP, "phone-aaaaaaaa")
    other, _ = sessions.create("198601012010011002", "phone-bbbbbbbb")
    assert sessions.lookup(token) is not None and sessions.lookup(other) is not None
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", END_IN_ANOTHER_PROCESS, str(node_paths.db), NIP],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert out.stdout.strip() == "1"
    assert sessions.lookup(token) is None
    assert time.monotonic() - started < 2  # the bell, not the periodic re-read, said so
    assert sessions.lookup(other) is not None


def test_a_copy_read_before_the_end_is_not_cached_after_it(node_paths: NodePaths) -> None:
    """A lookup that read the row before the end and stores it after must not revive it."""
    store = Store(node_paths.db)
    sessions = Sessions(store, 1)
    token, _ = sessions.create(NIP, "phone-aaaaaaaa")
    sessions.forget_cache()
    sessions._loaded = True  # force the one-row path
    real_row = store.session_row

    # The row is read, then another process ends the session.
    def row_then_end(key: str) -> tuple[tuple[str, str, str, float] | None, int]:
        got = real_row(key)
        Sessions(Store(node_paths.db), 1).end_all(NIP)
        return got

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "session_row", row_then_end)
        assert sessions.lookup(token) is not None  # served the copy read before the end ...
    assert sessions.lookup(token) is None  # ... but never cached it


def test_without_the_bell_file_sessions_still_end_at_once(node_paths) -> None:
    """A bell that cannot be opened (made by another user, say) costs speed, not safety."""
    store = Store(node_paths.db)
    store.bell_path.mkdir()  # a directory where the file should be: os.open fails
    sessions = Sessions(store, 1)
    token, _ = sessions.create(NIP, "phone-aaaaaaaa")
    assert sessions.lookup(token) is not None
    assert Sessions(Store(node_paths.db), 1).end_all(NIP) == 1
    assert sessions.lookup(token) is None
