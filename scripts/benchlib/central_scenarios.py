"""Scenarios against central: 3 ingest, 4 WAN bytes, 5 drain, 6 freshness (not built yet).

``available()`` says whether central/ provides an app and ``presensi-central``; ``run`` returns
the results of the central scenarios written so far (none yet), so ``scripts/bench`` reports
them next to the node's. The plan for scenario 3, so the next step is mechanical:

- setup (not timed): ``presensi-central init`` in ``ctx.root``; 20 nodes each ``node add`` +
  ``presensi-node init --central URL --token T`` (real enrollment, so central holds their
  certificates); per node, 10,000 records built with ``sync.records.build``/``seal`` on the
  node's key, continuing its log from the genesis central will expect; cut into batches of
  1,000 with ``sync.batches.encode_batch``, signed with ``sync.httpsig.sign_request`` just
  before sending (signatures carry ``created``).
- timed: POST every batch to ``/api/v1/batches`` (the 20 nodes in parallel, each in seq
  order), records/s = 200,000 / wall time; then the raw rate: ``Ed25519PublicKey.verify``
  over the same canonical bytes in one process on one core; report the ratio (target >= 0.6).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .context import Context, ScenarioResult

REPO = Path(__file__).resolve().parents[2]


def available() -> bool:
    return (REPO / "central" / "__init__.py").exists() and (
        shutil.which("presensi-central") is not None
        or (REPO / ".venv" / "bin" / "presensi-central").exists())


def run(ctx: Context) -> list[ScenarioResult]:
    return []
