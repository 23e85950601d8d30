"""``/v1/docs``: the OpenAPI document as one plain HTML page, rendered on the server.

The page reads the very dict ``/v1/openapi.json`` serves, so it cannot say something the
document does not. No script, no CDN, no framework: a shop's developer behind a strict
proxy reads it as well as a browser with JavaScript off. Every text from the document is
escaped (summaries and descriptions are ours, but an escaped page stays correct whatever
a future model's description holds).
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")
# `code` spans in the document's descriptions (Markdown, as OpenAPI allows), after escaping.
CODE_SPAN = re.compile(r"`([^`]+)`")
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;
color:#1d2430}
h2{margin-top:2.5rem;border-top:1px solid #d6dbe3;padding-top:1rem}
code{background:#f1f3f7;padding:0 .25rem;border-radius:3px}
table{border-collapse:collapse;margin:.4rem 0 1rem;width:100%}
th,td{border:1px solid #d6dbe3;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f7fa}.method{font-weight:700;text-transform:uppercase;margin-right:.4rem}
.scope{color:#5a3e00;background:#fff4d6;padding:0 .3rem;border-radius:3px}
"""


def render_docs(document: dict[str, Any]) -> str:
    """The whole page for an OpenAPI 3.1 ``document`` (as ``api.openapi`` builds it)."""
    info = document.get("info", {})
    schemas = document.get("components", {}).get("schemas", {})
    operations = [
        (path, method, item[method])
        for path, item in document.get("paths", {}).items()
        for method in METHODS
        if method in item
    ]
    title = escape(f"{info.get('title', 'API')} {info.get('version', '')}".strip())
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>",
        _paragraph(info.get("summary")),
        _paragraph(info.get("description")),
        "<p>Machine-readable: <a href='/v1/openapi.json'><code>/v1/openapi.json</code></a>.</p>",
        _scopes(document),
        "<nav><h2>Endpoints</h2><ul>",
        *(
            f"<li><a href='#{escape(op.get('operationId', ''), quote=True)}'>"
            f"<span class='method'>{escape(method)}</span><code>{escape(path)}</code></a> "
            f"{escape(op.get('summary', ''))}</li>"
            for path, method, op in operations
        ),
        "</ul></nav>",
        *(_operation(path, method, op, schemas) for path, method, op in operations),
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part)


def _paragraph(text: Any) -> str:
    if not text:
        return ""
    return "<p>" + CODE_SPAN.sub(r"<code>\1</code>", escape(str(text))) + "</p>"


def _scopes(document: dict[str, Any]) -> str:
    schemes = document.get("components", {}).get("securitySchemes", {})
    scopes = {
        s: what for scheme in schemes.values() for s, what in scheme.get("x-scopes", {}).items()
    }
    if not scopes:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(s)}</code></td><td>{escape(what)}</td></tr>"
        for s, what in scopes.items()
    )
    return f"<h2>Scopes</h2><table><tr><th>scope</th><th>opens</th></tr>{rows}</table>"


def _operation(path: str, method: str, op: dict[str, Any], schemas: dict[str, Any]) -> str:
    anchor = escape(op.get("operationId", ""), quote=True)
    needed = [scope for req in op.get("security", []) for s in req.values() for scope in s]
    access = (
        "Needs an API key with "
        + ", ".join(f"<span class='scope'>{escape(s)}</span>" for s in needed)
        if needed
        else "No API key needed."
    )
    parts = [
        f"<section id='{anchor}'><h2><span class='method'>{escape(method)}</span>"
        f"<code>{escape(path)}</code></h2>",
        _paragraph(op.get("summary")),
        f"<p>{access}</p>",
    ]
    parameters = op.get("parameters", [])
    if parameters:
        rows = "".join(
            _row(
                p["name"],
                p.get("in", ""),
                "yes" if p.get("required") else "no",
                _type(p.get("schema", {})),
                p.get("description", ""),
            )
            for p in parameters
        )
        parts.append(
            "<h3>Parameters</h3><table><tr><th>name</th><th>in</th><th>required</th>"
            f"<th>type</th><th>description</th></tr>{rows}</table>"
        )
    body = op.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            parts.append(f"<h3>Request body <code>{escape(media)}</code></h3>")
            parts.append(_paragraph(body.get("description")))
            parts.append(_fields(content.get("schema", {}), schemas))
    parts.append("<h3>Responses</h3><table><tr><th>status</th><th>meaning</th></tr>")
    for status, response in op.get("responses", {}).items():
        media = ", ".join(response.get("content", {}))
        meaning = response.get("description", "") + (f" ({media})" if media else "")
        parts.append(_row(status, meaning))
    parts.append("</table>")
    for status, response in op.get("responses", {}).items():
        if status.startswith("2"):
            for media, content in response.get("content", {}).items():
                ref = content.get("schema", {}).get("$ref")
                if ref:
                    parts.append(f"<h3>{escape(status)} answer <code>{escape(media)}</code></h3>")
                    parts.append(_fields(content["schema"], schemas))
    parts.append("</section>")
    return "\n".join(part for part in parts if part)


def _row(*cells: Any) -> str:
    return "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in cells) + "</tr>"


def _fields(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    """The fields of a referenced model: name, type, whether required, description."""
    name = _ref_name(schema.get("$ref", ""))
    model = schemas.get(name, schema)
    properties = model.get("properties", {})
    if not properties:
        return f"<p>{escape(_type(schema))}</p>"
    required = set(model.get("required", ()))
    rows = "".join(
        _row(field, _type(spec), "yes" if field in required else "no", spec.get("description", ""))
        for field, spec in properties.items()
    )
    return (
        f"<p>{escape(name or 'object')}</p><table><tr><th>field</th><th>type</th>"
        f"<th>required</th><th>description</th></tr>{rows}</table>"
    )


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1] if ref else ""


def _type(schema: dict[str, Any]) -> str:
    """A JSON Schema in a few words: ``integer ≥ 1``, ``list of RecommendedItem``, ``a | b``."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "anyOf" in schema or "oneOf" in schema:
        return " | ".join(_type(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = str(schema.get("type", "any"))
    if kind == "array":
        kind = "list of " + _type(schema.get("items", {}))
    bounds = [
        f"{word} {schema[key]}"
        for key, word in (
            ("minimum", "≥"),
            ("maximum", "≤"),
            ("minLength", "length ≥"),
            ("maxLength", "length ≤"),
            ("maxItems", "at most"),
            ("pattern", "matching"),
            ("format", "format"),
        )
        if key in schema
    ]
    if "default" in schema:
        bounds.append(f"default {schema['default']}")
    return ", ".join([kind, *bounds])
