"""GitLab's Swagger 2.0 subset (gitlab-issues.swagger.yaml) → the OpenAPI 3.0 document the
fake GitLab validates against (gitlab-issues.openapi.json).

    python -m tests.fakes.gitlab_spec      # rewrite the JSON after editing the YAML

openapi-core reads OpenAPI 3 only, so the structure is converted (body parameters become
request bodies, definitions become components, query arrays are comma-separated as
Swagger 2.0's default `collectionFormat: csv`). Four rules make the vendor description
say what GitLab actually sends; each undoes a known habit of grape-swagger, which
generates GitLab's description, and nothing else is changed:

1. A list operation's 200 declares one entity where GitLab answers an array of them
   (grape-swagger drops `is_array`): vendor GETs of a collection answer an array.
2. The same for nested entities (`assignees` is declared as one UserBasic): a `$ref`
   property of a response entity may be that entity or an array of it.
3. Entities emit `null` for an absent value (`closed_at`, `milestone`, `due_date`…) and
   Swagger 2.0 cannot say so: every response property is nullable.
4. An exposure without a documented type is written `type: string` with nothing else
   (`user_notes_count`, `weight`, `subscribed` are numbers and booleans in GitLab's
   answers): such a property is left untyped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
SOURCE = HERE / "gitlab-issues.swagger.yaml"
TARGET = HERE / "gitlab-issues.openapi.json"
_PARAM_SCHEMA_KEYS = ("type", "format", "items", "enum", "default", "minimum", "maximum")


def convert(swagger: dict[str, Any]) -> dict[str, Any]:
    base = swagger.get("basePath", "")
    response_refs = _response_entities(swagger)
    schemas = {
        name: _schema(body, response=name in response_refs)
        for name, body in swagger["definitions"].items()
    }
    paths = {
        key.removeprefix(base) or "/": {
            verb: _operation(op, is_collection=not key.endswith("}")) for verb, op in ops.items()
        }
        for key, ops in swagger["paths"].items()
    }
    return {
        "openapi": "3.0.3",
        "info": {**swagger["info"], "x-source": "tests/fakes/gitlab-issues.swagger.yaml"},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": swagger.get("securityDefinitions", {}),
        },
    }


def _ref(ref: str) -> str:
    return ref.replace("#/definitions/", "#/components/schemas/")


def _response_entities(swagger: dict[str, Any]) -> set[str]:
    """Definitions reachable from a response (rules 2-4 apply to these only)."""
    found: set[str] = set()
    todo = [
        resp.get("schema", {})
        for ops in swagger["paths"].values()
        for op in ops.values()
        for resp in op["responses"].values()
    ]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[-1]
                if name not in found:
                    found.add(name)
                    todo.append(swagger["definitions"][name])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return found


def _schema(node: Any, *, response: bool) -> Any:
    if isinstance(node, list):
        return [_schema(item, response=response) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = _ref(value)
        elif key == "example" or key.startswith("x-"):
            continue  # examples are prose here ("bug" for an array), not data
        elif key == "properties" and response:
            out[key] = {name: _response_property(p) for name, p in value.items()}
        else:
            out[key] = _schema(value, response=response)
    return out


def _response_property(prop: dict[str, Any]) -> dict[str, Any]:
    if set(prop) == {"type"} and prop["type"] == "string":
        return {}  # rule 4
    converted = _schema(prop, response=True)
    if "$ref" in prop:
        one = {"$ref": _ref(prop["$ref"])}
        null = {"type": "object", "nullable": True, "enum": [None]}  # OpenAPI 3.0's null
        return {"anyOf": [one, {"type": "array", "items": one}, null]}  # rules 2 and 3
    return {**converted, "nullable": True}  # rule 3


def _operation(op: dict[str, Any], *, is_collection: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        key: op[key] for key in ("description", "operationId", "tags") if key in op
    }
    params = [p for p in op.get("parameters", []) if p["in"] != "body"]
    body = next((p for p in op.get("parameters", []) if p["in"] == "body"), None)
    out["parameters"] = [_parameter(p) for p in params]
    if body is not None:
        out["requestBody"] = {
            "required": bool(body.get("required")),
            "content": {"application/json": {"schema": _schema(body["schema"], response=False)}},
        }
    listing = is_collection and op.get("x-pmsync-source") == "vendor"
    out["responses"] = {
        code: _response(resp, listing=listing and code == "200")
        for code, resp in op["responses"].items()
    }
    return out


def _parameter(param: dict[str, Any]) -> dict[str, Any]:
    schema = {k: param[k] for k in _PARAM_SCHEMA_KEYS if k in param}
    out: dict[str, Any] = {
        "name": param["name"],
        "in": param["in"],
        "required": bool(param.get("required")),
        "schema": schema,
    }
    if schema.get("type") == "array":
        out.update(style="form", explode=False)  # collectionFormat csv
    return out


def _response(resp: dict[str, Any], *, listing: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"description": resp.get("description", "")}
    schema = resp.get("schema")
    if schema is not None:
        converted = _schema(schema, response=False)
        if listing and schema.get("type") != "array":
            converted = {"type": "array", "items": converted}  # rule 1
        out["content"] = {"application/json": {"schema": converted}}
    return out


def build() -> str:
    swagger = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    return json.dumps(convert(swagger), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    TARGET.write_text(build(), encoding="utf-8")
