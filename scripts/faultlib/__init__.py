"""The fault suite's scenarios (issue 5, docs/faults.md).

Each scenario is a plain function ``scenario(workdir, rounds, rng) -> FaultRow`` that breaks
real processes on purpose (SIGKILL, a fault-injecting proxy, a faked wall clock, a local admin
with root editing ``node.db``) and counts what an office would care about: check-ins the node
acknowledged, how many of them central does not hold (lost), how many it holds twice
(duplicated), and how many tamperings central detected. ``tests/faults`` runs each with a few
rounds and asserts; ``scripts/faults`` runs them with more rounds and prints the table.
"""
