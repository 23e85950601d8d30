"""Errors as RFC 9457 problem details: one exception to raise, one middleware to answer.

Handlers raise :class:`ApiProblem`; aiohttp's own errors (no such route, wrong method) and
our bugs become problems too, so a caller only ever parses ``application/problem+json``.
A bug's traceback goes to the log, never to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import ValidationError

from api.schemas import MAX_BODY_BYTES, ParameterError, Problem

PROBLEM_JSON = "application/problem+json"
# Problem types are relative URI references under the API's own prefix.
PROBLEM_BASE = "/v1/problems/"

log = logging.getLogger(__name__)

# type slug -> (status, title): the kinds of problem this API answers with.
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "invalid-parameter": (400, "Invalid parameter"),
    "invalid-body": (400, "Invalid request body"),
    "idempotency-key-missing": (400, "Idempotency-Key header missing"),
    "unauthorized": (401, "Missing or invalid API key"),
    "forbidden": (403, "Scope missing"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "request-in-progress": (409, "The same request is still being answered"),
    "body-too-large": (413, "Request body too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "idempotency-key-reused": (422, "Idempotency key used for another request"),
    "rate-limited": (429, "Too many requests"),
    "model-unavailable": (503, "Model unavailable"),
    "internal-error": (500, "Internal error"),
}


def route_template(request: web.Request) -> str:
    """The matched route's template, or ``(unmatched)`` (logs and metrics name routes so)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(unmatched)"


class ApiProblem(Exception):
    """A problem to answer with; ``slug`` is one of :data:`PROBLEM_TYPES`."""

    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        errors: list[ParameterError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.slug = slug
        self.status, self.title = PROBLEM_TYPES[slug]
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def response(self, instance: str | None = None) -> web.Response:
        """The problem as an HTTP response."""
        problem = Problem(
            type=PROBLEM_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )
        return web.Response(
            status=self.status,
            body=problem.model_dump_json(exclude_none=True).encode(),
            content_type=PROBLEM_JSON,
            headers=self.headers,
        )


def invalid_parameters(exc: ValidationError, slug: str = "invalid-parameter") -> ApiProblem:
    """A 400 naming each parameter (or body field) pydantic refused and why."""
    errors = [
        ParameterError(
            parameter=".".join(str(part) for part in error["loc"]) or "(request)",
            detail=error["msg"] if error["type"] != "extra_forbidden" else "unknown parameter",
        )
        for error in exc.errors()
    ]
    names = ", ".join(e.parameter for e in errors)
    return ApiProblem(slug, f"Check {names}.", errors=errors)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every error as problem details."""
    try:
        return await handler(request)
    except ApiProblem as problem:
        return problem.response(request.path)
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        return ApiProblem(
            "method-not-allowed",
            f"{request.method} is not allowed here; use {allowed}.",
            headers={"Allow": allowed},
        ).response(request.path)
    except web.HTTPRequestEntityTooLarge:
        return ApiProblem(
            "body-too-large",
            f"The request body is larger than the {MAX_BODY_BYTES} bytes allowed.",
        ).response(request.path)
    except web.HTTPNotFound:
        return ApiProblem(
            "not-found", "No such endpoint; the endpoints are listed in /v1/openapi.json."
        ).response(request.path)
    except web.HTTPException:
        raise
    except Exception:
        # Our bug: the traceback is for the log (it carries no request data), not the caller.
        log.exception("api: unexpected error on %s %s", request.method, route_template(request))
        return ApiProblem(
            "internal-error", "Something went wrong on our side; it has been logged."
        ).response()
