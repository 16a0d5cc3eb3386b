"""Static files: gzip for browsers that accept it, one ETag per encoding, 304s, long cache
for versioned URLs, 404 for anything that is not a file of the static folder."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

STATIC = Path(__file__).resolve().parents[2] / "local_node" / "static"


def _versioned(client: FlaskClient, name: str) -> str:
    html = client.get("/").get_data(as_text=True)
    match = re.search(rf"/static/{re.escape(name)}\?v=\w+", html)
    assert match, html
    return match.group(0)


def test_gzip_when_accepted_and_identical_after_decompression(client: FlaskClient) -> None:
    url = _versioned(client, "app.js")
    r = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in r.headers["Vary"]
    assert r.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert gzip.decompress(r.data) == (STATIC / "app.js").read_bytes()
    # What a phone downloads: well under half of the file.
    assert int(r.headers["Content-Length"]) < (STATIC / "app.js").stat().st_size / 2
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "br", "deflate"])
def test_plain_body_when_gzip_is_not_accepted(client: FlaskClient, accept: str | None) -> None:
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    r = client.get(_versioned(client, "app.css"), headers=headers)
    assert r.status_code == 200
    assert "Content-Encoding" not in r.headers
    assert r.data == (STATIC / "app.css").read_bytes()
    assert "Accept-Encoding" in r.headers["Vary"]


def test_each_encoding_has_its_own_etag_and_revalidates(client: FlaskClient) -> None:
    url = _versioned(client, "app.js")
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    plain = client.get(url)
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    again = client.get(
        url, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    # A cached plain copy does not validate the gzip representation.
    other = client.get(
        url, headers={"Accept-Encoding": "gzip", "If-None-Match": plain.headers["ETag"]}
    )
    assert other.status_code == 200 and other.headers["Content-Encoding"] == "gzip"


def test_unversioned_url_is_revalidated_not_long_cached(client: FlaskClient) -> None:
    r = client.get("/static/app.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache"


def test_head_gives_headers_without_body(client: FlaskClient) -> None:
    r = client.head("/static/app.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.data == b""
    assert r.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize(
    "path",
    [
        "/static/nope.js",
        "/static/../api.py",
        "/static/..%2fapi.py",
        "/static/app.js/x",
        "/static/",
        "/static/.",
        "/static/%00",
    ],
)
def test_not_a_static_file_is_404_with_a_message(client: FlaskClient, path: str) -> None:
    r = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 404
    assert r.json and r.json["error"] == "not-found" and r.json["message"]


def test_an_edited_file_is_served_fresh_with_a_new_version(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    app.static_folder = str(folder)
    before = _versioned(client, "app.css")
    (folder / "app.css").write_text("body { color: red; }\n" * 50)
    after = _versioned(client, "app.css")
    assert after != before
    r = client.get(after, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(r.data) == (folder / "app.css").read_bytes()


@pytest.mark.parametrize("path", ["/", "/kiosk"])
def test_pages_are_gzipped_when_accepted(client: FlaskClient, path: str) -> None:
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    plain = client.get(path)
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert all("Accept-Encoding" in r.headers["Vary"] for r in (zipped, plain))
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]
