"""The OpenAPI 3.1 document, generated from the endpoint table and its pydantic models.

OpenAPI 3.1 uses JSON Schema 2020-12, which is what pydantic writes, so each model's
schema goes into ``components.schemas`` as it is; parameters are the fields of the path
and query models. Errors are problem details (``application/problem+json``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.problems import PROBLEM_JSON, PROBLEM_TYPES
from api.schemas import Problem
from store.api_keys import SCOPES

if TYPE_CHECKING:
    from api.routes import Endpoint

API_VERSION = "1.0.0"
REF = "#/components/schemas/{model}"
SECURITY_SCHEME = "apiKey"


def openapi_document(endpoints: tuple[Endpoint, ...]) -> dict[str, Any]:
    """The whole document for ``endpoints``."""
    models = (
        {Problem}
        | {e.response for e in endpoints}
        | {e.body for e in endpoints if e.body is not None}
    )
    _, schemas = models_json_schema(
        [
            (m, "validation" if _is_body(m, endpoints) else "serialization")
            for m in sorted(models, key=lambda m: m.__name__)
        ],
        ref_template=REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    paths["/v1/openapi.json"] = {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    paths["/v1/docs"] = {
        "get": {
            "operationId": "getDocs",
            "summary": "This document as a readable HTML page",
            "security": [],
            "responses": {
                "200": {
                    "description": "The endpoints, their parameters, bodies, answers and scopes",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Concierge API",
            "version": API_VERSION,
            "summary": "The shop's recommendation and propensity models, for its other systems",
            "description": "Each key is made with `python -m api keys create NAME --scope "
            "SCOPE` and sent as `Authorization: Bearer <key>`. Scopes: "
            + "; ".join(f"`{s}`: {what}" for s, what in SCOPES.items())
            + ". Errors are RFC 9457 problem details.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from `python -m api keys create`.",
                    # Each scope a key can hold and what it opens (the docs page lists them).
                    "x-scopes": dict(SCOPES),
                }
            },
        },
    }


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "parameters": _parameters(endpoint.path_params, "path")
        + _parameters(endpoint.query, "query"),
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    endpoint.response_media: {
                        "schema": {"$ref": REF.format(model=endpoint.response.__name__)}
                    }
                },
            },
        },
        "security": [{SECURITY_SCHEME: [endpoint.scope]}] if endpoint.scope else [],
    }
    if endpoint.idempotent:
        operation["parameters"].append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Required when the call records (a UUID will do): a repeat "
                "with the same key and request gets the first answer and records nothing "
                "more; the same key with another request gets 422.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 100},
            }
        )
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                endpoint.body_media: {"schema": {"$ref": REF.format(model=endpoint.body.__name__)}}
            },
        }
        if endpoint.body_media != "application/json":
            operation["requestBody"]["description"] = (
                f"{endpoint.body_media}: one such object per line."
            )
    if endpoint.response_media != "application/json":
        operation["responses"]["200"]["description"] = (
            f"{endpoint.response_media}: one such object per line, streamed."
        )
    # Every endpoint refuses a body declared larger than the API reads (api.routes), GETs too.
    statuses = set(endpoint.problems) | {413}
    if endpoint.path_params or endpoint.query or endpoint.body:
        statuses.add(400)
    if endpoint.scope:
        statuses |= {401, 403, 429}
    for status in sorted(statuses):
        operation["responses"][str(status)] = _problem_response(status)
    if 429 in statuses:
        operation["responses"]["429"]["headers"] = {
            "Retry-After": {
                "description": "Whole seconds until the key may call again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    if endpoint.idempotent:
        operation["responses"]["200"]["headers"] = {
            "Idempotent-Replayed": {
                "description": "true when this is the stored answer of an earlier call with "
                "the same Idempotency-Key (nothing was recorded again).",
                "schema": {"type": "string", "enum": ["true"]},
            }
        }
    if not operation["parameters"]:
        del operation["parameters"]
    return operation


def _is_body(model: type[BaseModel], endpoints: tuple[Endpoint, ...]) -> bool:
    return any(e.body is model for e in endpoints)


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        field = dict(field)
        description = field.pop("description", None)
        field.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": field,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _problem_response(status: int) -> dict[str, Any]:
    titles = [title for code, title in PROBLEM_TYPES.values() if code == status]
    return {
        "description": " / ".join(titles) or "Problem",
        "content": {PROBLEM_JSON: {"schema": {"$ref": REF.format(model="Problem")}}},
    }
