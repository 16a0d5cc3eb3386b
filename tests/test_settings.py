"""Settings: one typed object per app, every key in docs/configuration.md, and config.json
typos refused by name instead of silently leaving a default in force (issue 14 item 4)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from central.config import CentralSettings
from central.config import ConfigError as CentralConfigError
from central.config import load_config as central_config
from local_node.config import ConfigError as NodeConfigError
from local_node.config import NodeSettings
from local_node.config import load_config as node_config

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"

APPS = [
    (NodeSettings, node_config, NodeConfigError),
    (CentralSettings, central_config, CentralConfigError),
]


@pytest.mark.parametrize("settings", [NodeSettings, CentralSettings])
def test_every_setting_is_documented_once(settings: type) -> None:
    documented = re.findall(r"^\| `(\w+)` \|", DOC.read_text(encoding="utf-8"), re.M)
    for field in dataclasses.fields(settings):
        assert documented.count(field.name) >= 1, f"{field.name} missing from {DOC.name}"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings().PUBLIC_URL = "x"  # loaded once, never changed under a running app


@pytest.mark.parametrize(("settings", "load", "error"), APPS)
@pytest.mark.parametrize(
    ("stored", "named"),
    [
        ({"PIN_MAX_FAILURE": 3}, "PIN_MAX_FAILURE"),  # a typo of a real key
        ({"PUBLIC_URL": 8080}, "PUBLIC_URL"),  # a number where text belongs
        ({"MAX_BODY_BYTES": "16k"}, "MAX_BODY_BYTES"),  # text where a number belongs
        ({"MAX_BODY_BYTES": True}, "MAX_BODY_BYTES"),  # JSON true is no byte count
    ],
)
def test_config_json_mistakes_are_named(
    tmp_path: Path, settings: type, load: Any, error: type, stored: dict[str, Any], named: str
) -> None:
    (tmp_path / "config.json").write_text(json.dumps(stored), encoding="utf-8")
    with pytest.raises(error, match=re.escape(next(iter(stored)))):
        load(tmp_path)


@pytest.mark.parametrize(("settings", "load", "error"), APPS)
def test_config_json_values_and_overrides_apply(
    tmp_path: Path, settings: type, load: Any, error: type
) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"MAX_BODY_BYTES": 1234}), "utf-8")
    config = load(tmp_path, {"CLOCK": "a test's extra", "PUBLIC_URL": None})
    assert config["MAX_BODY_BYTES"] == 1234
    assert config["CLOCK"] == "a test's extra"  # non-settings pass through for tests
    assert config["PUBLIC_URL"] == settings().PUBLIC_URL  # None overrides leave the default
    assert config["DATA_DIR"] == str(tmp_path)
    with pytest.raises(error, match="MAX_BODY_BYTES"):
        load(tmp_path, {"MAX_BODY_BYTES": "big"})
    (tmp_path / "config.json").write_text("[1, 2]", "utf-8")
    with pytest.raises(error, match="JSON object"):
        load(tmp_path)


def test_node_defaults_cover_what_the_code_reads() -> None:
    # These two were read with .get() and no default before; now they have one place.
    assert NodeSettings().PIN_CHECK_THREADS == 2
    assert NodeSettings().CENTRAL_ID is None
