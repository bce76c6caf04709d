"""The OpenAPI document tells what the API really answers: its errors, in the app's own shape.

Every error is `{"error": {"code", "message", "field"}}` (`goatedvips.schemas.ErrorResponse`),
422 included (not FastAPI's default `HTTPValidationError`). `install(app)` documents, on every
operation, the errors its shape implies:

- 422 for any request input (or already listed), 415 for unsafe methods under `/api`,
- 401 when it needs a logged-in user, 403 as well when it needs an admin,
- 404 when the path names a row.

Errors that only a domain rule gives (409, 410, 429, a 403 for an unverified player) are
declared on the route itself: `@router.post(..., responses=error_responses(409, 410))`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from goatedvips.accounts.deps import get_admin_user, get_current_user
from goatedvips.schemas import ErrorResponse

DESCRIPTIONS = {
    400: "bad request",
    401: "not logged in",
    403: "not allowed",
    404: "not found",
    409: "conflict with the current state",
    410: "gone: closed, expired or full",
    415: "the body is not JSON (Content-Type: application/json)",
    422: "invalid input",
    429: "too many attempts (see Retry-After)",
    502: "an upstream service (the Goated feed) failed",
    503: "a dependency is unavailable",
}
UNSAFE_METHODS = {"post", "put", "patch", "delete"}
_REF = "#/components/schemas/ErrorResponse"


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: these statuses answer the app's error body."""
    return {code: {"model": ErrorResponse, "description": DESCRIPTIONS[code]} for code in codes}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """Every documented APIRoute, routers included (FastAPI >= 0.16x includes them lazily)."""
    iterate = getattr(routing, "iter_route_contexts", None)
    for route in iterate(app.routes) if iterate else app.routes:
        if (
            isinstance(getattr(route, "original_route", route), APIRoute)
            and route.include_in_schema
        ):
            yield route


def _implied_errors(route: Any, method: str) -> set[int]:
    calls = set(_calls(route.dependant))
    codes = set()
    if get_current_user in calls or get_admin_user in calls:
        codes.add(401)
    if get_admin_user in calls:
        codes.add(403)
    if route.dependant.path_params:
        codes.add(404)
    if method in UNSAFE_METHODS and route.path.startswith("/api/"):
        codes.add(415)
    if route.dependant.path_params or route.dependant.query_params or route.body_field:
        codes.add(422)
    return codes


def _error_schemas() -> dict[str, Any]:
    schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return {**definitions, "ErrorResponse": schema}


def document_errors(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Add the implied errors to every operation and give every error the app's body."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(_error_schemas())
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    error_content = {"application/json": {"schema": {"$ref": _REF}}}
    for route in _api_routes(app):
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in _implied_errors(route, method.lower()):
                responses.setdefault(str(code), {"description": DESCRIPTIONS[code]})
            for status, response in responses.items():
                schema_ref = str(response.get("content", {}).get("application/json", {}))
                if status.startswith("4") and (
                    "content" not in response or "HTTPValidationError" in schema_ref
                ):
                    response["content"] = error_content
    return schema


def install(app: FastAPI) -> None:
    """Serve the corrected document at /openapi.json (built once, on first request)."""

    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(app, build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
