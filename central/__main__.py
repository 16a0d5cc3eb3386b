"""Run ``presensi-central`` as ``python -m central``."""

from central.cli import main

raise SystemExit(main())
