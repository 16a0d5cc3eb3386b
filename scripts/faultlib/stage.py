"""A real central and a real enrolled node (optionally behind the fault proxy), as the
scenarios that involve central need them."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from local_node.datadir import NodePaths
from testkit.factories import CentralProcess, CentralSetup, NodeProcess, enroll_node, make_central
from testkit.faultproxy import FaultProxy

from .logs import Comparison, compare
from .staff import Ack


def set_node_config(paths: NodePaths, **values: Any) -> None:
    config = json.loads(paths.config.read_text(encoding="utf-8")) if paths.config.exists() else {}
    config.update(values)
    paths.config.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


@dataclass
class Stage:
    root: Path
    setup: CentralSetup
    central: CentralProcess
    paths: NodePaths
    node: NodeProcess
    proxy: FaultProxy | None = None
    extra: list[Any] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        root: Path,
        *,
        proxy: bool = False,
        push_interval: float = 1,
        batch_size: int = 1000,
        node_env: dict[str, str] | None = None,
        start_node: bool = True,
        people: int = 40,
        name: str = "kec-alalak",
    ) -> Stage:
        setup = make_central(root, people)
        central = CentralProcess(setup.data).start()
        paths = enroll_node(setup, central.url, root, name)
        fault_proxy = FaultProxy(central.port).start() if proxy else None
        set_node_config(
            paths,
            PUSH_INTERVAL_S=push_interval,
            BATCH_SIZE=batch_size,
            CENTRAL_URL=(fault_proxy or central).url,
        )
        node = NodeProcess(paths, scheduler=True, extra_env=node_env)
        stage = cls(root, setup, central, paths, node, fault_proxy)
        if start_node:
            node.start()
        return stage

    @property
    def people(self) -> list[dict[str, str]]:
        return self.setup.people

    @property
    def central_db(self) -> Path:
        return self.setup.data / "central.db"

    def nodes_api(self) -> list[dict[str, Any]]:
        """GET /api/v1/nodes with the viewer token."""
        r = requests.get(
            self.central.url + "/api/v1/nodes",
            timeout=10,
            headers={"Authorization": f"Bearer {self.setup.viewer_token}"},
        )
        r.raise_for_status()
        return list(r.json()["nodes"])

    def node_view(self, name: str = "kec-alalak") -> dict[str, Any]:
        return next(n for n in self.nodes_api() if n["node"] == name)

    def attendance(self, day: str) -> dict[str, Any]:
        r = requests.get(
            self.central.url + "/api/v1/attendance",
            params={"date": day},
            headers={"Authorization": f"Bearer {self.setup.viewer_token}"},
            timeout=30,
        )
        r.raise_for_status()
        return dict(r.json())

    def converge(self, acked: list[Ack], timeout: float = 90) -> Comparison:
        """Wait until central holds exactly the node's log (or ``timeout``); compare."""
        deadline = time.monotonic() + timeout
        while True:
            result = compare(self.paths.db, self.central_db, self.paths.root.name, acked)
            if result.exact and result.lost == 0 or time.monotonic() > deadline:
                return result
            time.sleep(0.5)

    def close(self) -> None:
        self.node.stop()
        if self.proxy is not None:
            self.proxy.stop()
        for item in self.extra:
            item.stop()
        self.central.stop()
