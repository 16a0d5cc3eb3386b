"""A no-op JSON POST Flask app, for comparing WSGI servers (docs/serving.md)."""

from flask import Flask, Response, jsonify, request


def make_app() -> Flask:
    app = Flask(__name__)

    @app.post("/noop")
    def noop() -> tuple[Response, int]:
        data = request.get_json()
        return jsonify({"ok": True, "kind": data.get("kind")}), 201

    return app


app = make_app()
