"""The benchmark harness behind ``scripts/bench`` (docs/performance.md).

``bench.py`` parses options and runs scenarios; each scenario is a function that takes the
shared ``Context`` and returns a ``ScenarioResult`` (rows for the table, raw figures for the
JSON, integrity failures). Node scenarios live in ``node_scenarios``, central ones in
``central_scenarios``; the load generator (wrk) is driven by ``loadgen``.
"""
