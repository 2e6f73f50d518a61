"""The JSON Schema of `pmsync.yaml`, generated from the pydantic models of the config
(`pmsync config schema`). A copy ships in the package as `config.schema.json`
(tests/test_onboarding.py keeps it equal to the models), so editors can complete and
validate keys through the `yaml-language-server` line at the top of a config."""

from __future__ import annotations

import json
from typing import Any

from pmsync.adapters import TRACKERS
from pmsync.config import Config

SCHEMA_ID = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict[str, Any]:
    schema = Config.model_json_schema(mode="validation")
    for internal in ("root", "source"):  # set by pmsync, never written in the file
        schema["properties"].pop(internal, None)
    for name, spec in TRACKERS.items():  # each tracker's section, from its own model
        section = spec.config_model.model_json_schema(ref_template="#/$defs/{model}")
        schema.setdefault("$defs", {}).update(section.pop("$defs", {}))
        schema["$defs"][spec.config_model.__name__] = section
        schema["properties"][name] = {"$ref": f"#/$defs/{spec.config_model.__name__}"}
    schema["properties"]["tracker"]["enum"] = list(TRACKERS)
    return {"$schema": SCHEMA_ID, "title": "pmsync.yaml", **schema}


def schema_text() -> str:
    return json.dumps(config_schema(), indent=2, sort_keys=True) + "\n"
