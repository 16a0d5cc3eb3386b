"""The no-op baseline: the node's server stack (granian WSGI, one worker, the same blocking
threads and backlog as ``local_node/server.py``, Flask) answering a JSON POST with nothing
behind it. Benchmark only; production code has no such route.

    PYTHONPATH=scripts python -m benchlib.noop_app --port P [--threads 64]
"""

from __future__ import annotations

import argparse

from flask import Flask, Response, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/noop")
    def noop() -> Response:
        # Parse the body like a check-in does, answer a small JSON document like it does.
        request.get_json(force=True)
        return Response('{"ok":true}', status=201, mimetype="application/json")

    @app.get("/healthz")
    def healthz() -> Response:
        # What ServerProcess.start waits for, as it does for the node and central.
        return Response('{"ok":true}', mimetype="application/json")

    return app


def main() -> None:
    from granian import Granian
    from granian.constants import Interfaces

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=64)
    args = parser.parse_args()
    Granian(
        "benchlib.noop_app:create_app",
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=args.threads,
        backlog=2048,
        factory=True,
        log_access=False,
    ).serve()


if __name__ == "__main__":
    main()
