"""The test harness: real processes, data directories and a fault-injecting proxy.

Shared by ``tests/``, ``scripts/benchlib`` and ``scripts/faultlib``, which all import it
(``testkit.factories``, ``testkit.faultproxy``); it imports neither of them, and nothing
installed imports it (``setup.cfg`` packages only the four apps and libraries).
"""
