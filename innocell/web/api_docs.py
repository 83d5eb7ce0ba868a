"""The API page (/api): the OpenAPI document of /api/v1 (web/api/openapi.py) rendered on the
server, with no script and no outside assets: each route, who may call it, its parameters,
its request and answer schemas, and an example body made from the schemas.

Public, like /api/v1/openapi.json: it describes the API and holds no one's data, and an
integrator reads it before having an account or a token."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, render_template
from markupsafe import Markup

from .api.openapi import document

bp = Blueprint("api_docs", __name__)

_SAMPLES = {"date-time": "2026-12-08T14:00:00+01:00", "date": "2026-12-08"}


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example(schema: dict, components: dict, depth: int = 0):
    """A plausible value of `schema`: required keys of objects, one item of lists."""
    schema = _resolve(schema, components)
    if depth > 6:
        return None
    if "allOf" in schema:
        merged: dict = {}
        for part in schema["allOf"]:
            value = example(part, components, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    if "anyOf" in schema:
        return example(schema["anyOf"][0], components, depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    types = schema.get("type")
    kind = next((t for t in types if t != "null"), "null") if isinstance(types, list) else types
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties", {})
        keys = schema.get("required") or list(props)
        return {key: example(props.get(key, {}), components, depth + 1) for key in keys}
    if kind == "array":
        return [example(schema.get("items", {}), components, depth + 1)]
    if kind == "string":
        return _SAMPLES.get(schema.get("format", ""), "text")
    return {"integer": 1, "number": 12.5, "boolean": True}.get(kind)


def schema_name(schema: dict | None) -> str | None:
    if schema and "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    return None


def field_rows(schema: dict, components: dict) -> list[dict]:
    """(name, type, required) of an object schema's fields, parts of an allOf included."""
    schema = _resolve(schema, components)
    rows: list[dict] = []
    for part in schema.get("allOf", []):
        rows += field_rows(part, components)
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        rows.append({"name": name, "type": type_text(prop), "required": name in required,
                     "description": prop.get("description", "")})
    return rows


def type_text(schema: dict) -> str:
    if "$ref" in schema:
        return schema_name(schema)
    if "anyOf" in schema:
        return " or ".join(type_text(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(map(str, schema["enum"]))
    types = schema.get("type", "any")
    text = " or ".join(types) if isinstance(types, list) else types
    if text.startswith("array") and "items" in schema:
        text = text.replace("array", f"list of {type_text(schema['items'])}", 1)
    if schema.get("format"):
        text += f" ({schema['format']})"
    return text


def _body(content: dict | None, components: dict) -> dict | None:
    schema = (content or {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    return {"name": schema_name(schema), "inline": None if schema_name(schema) else json.dumps(schema, indent=1),
            "example": json.dumps(example(schema, components), indent=2)}


def operations(doc: dict) -> list[dict]:
    components = doc["components"]["schemas"]
    ops = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            answers = [{"status": status, "description": answer["description"],
                        "body": _body(answer.get("content"), components) if status < "400" else
                        {"name": schema_name((answer.get("content") or {}).get("application/json", {}).get("schema"))}}
                       for status, answer in op["responses"].items()]
            ops.append({"path": path, "method": method.upper(), "id": op["operationId"], "summary": op["summary"],
                        "who": ", ".join(op.get("x-roles", [])), "parameters": op.get("parameters", []),
                        "request": _body(op.get("requestBody", {}).get("content"), components),
                        "answers": [a for a in answers if not a["status"].startswith(("4", "5"))],
                        "errors": [a for a in answers if a["status"].startswith(("4", "5"))]})
    return ops


def reference() -> Markup:
    """The page's body (the same for everyone), rendered once per app."""
    app = current_app
    if "innocell_api_page" not in app.extensions:
        doc = document()
        components = doc["components"]["schemas"]
        schemas = [{"name": name, "description": _resolve(schema, components).get("description", ""),
                    "fields": field_rows(schema, components)} for name, schema in sorted(components.items())]
        app.extensions["innocell_api_page"] = Markup(render_template(
            "api/reference.html", doc=doc, operations=operations(doc), schemas=schemas, type_text=type_text))
    return app.extensions["innocell_api_page"]


@bp.get("/api")
def page():
    return render_template("api/docs.html", reference=reference())
