"""Run ``presensi-ca`` as ``python -m certs``."""

from certs.cli import main

raise SystemExit(main())
