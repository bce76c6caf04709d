"""create_app(): the FastAPI application with every domain's routers, pages and middleware."""

from __future__ import annotations

import importlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from goatedvips import core, openapi
from goatedvips.config import Settings, get_settings
from goatedvips.db import Database
from goatedvips.errors import DomainError, NotAuthenticated, RateLimited
from goatedvips.jobs import JobContext, Scheduler
from goatedvips.logging import configure_logging, get_logger
from goatedvips.metrics import HTTP_LATENCY, HTTP_REQUESTS
from goatedvips.nul import find_nul
from goatedvips.security import CSRF_COOKIE
from goatedvips.web import PACKAGE_DIR, render

DOMAINS = (
    "accounts",
    "affiliate",
    "races",
    "telegram",
    "challenges",
    "bonuses",
    "support",
    "notifications",
    "admin",
)
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
log = get_logger(__name__)


def _domain_modules(kind: str) -> list[Any]:
    """Import `goatedvips.<domain>.<kind>` for every domain that has one."""
    modules = []
    for domain in DOMAINS:
        name = f"goatedvips.{domain}.{kind}"
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name not in (name, f"goatedvips.{domain}"):
                raise
    return modules


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_json(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse({"error": body}, status_code=status)


def _error_response(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    if _is_api(request) or "text/html" not in request.headers.get("accept", ""):
        response: Response = error_json(status, code, message)
    else:
        template = "errors/404.html" if status == 404 else "errors/error.html"
        response = render(
            request, template, {"status": status, "message": message}, status_code=status
        )
    if headers:
        response.headers.update(headers)
    return response


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if _is_api(request) or "text/html" not in request.headers.get("accept", ""):
            response = error_json(exc.status_code, exc.code, exc.message, field=exc.field)
            if headers:
                response.headers.update(headers)
            return response
        if isinstance(exc, NotAuthenticated) and request.method == "GET":
            # A browser that isn't logged in is sent to the login form and brought back after.
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        return _error_response(request, exc.status_code, exc.code, exc.message, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = "there is nothing at this address"
        code = _HTTP_CODES.get(exc.status_code, "error")
        return _error_response(request, exc.status_code, code, message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        message = f"{field}: {msg}" if field else msg
        return error_json(422, "invalid", message, field=field)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled_error", path=request.url.path, exc_info=exc)
        return _error_response(
            request, 500, "internal_error", "something went wrong on our side; it has been logged"
        )


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    @app.middleware("http")
    async def api_content_type_and_metrics(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        if request.method in UNSAFE_METHODS and _is_api(request):
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                return error_json(
                    415,
                    "unsupported_media_type",
                    "send the request body as JSON with Content-Type: application/json",
                )
        nul = await find_nul(request)
        if nul is not None:
            if _is_api(request):
                return error_json(422, "invalid", nul.message, field=nul.field)
            return _error_response(request, 422, "invalid", nul.message)
        response = await call_next(request)
        token = getattr(request.state, "csrf_token", None)
        if token and request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(
                CSRF_COOKIE,
                token,
                httponly=True,
                samesite="lax",
                secure=settings.is_production,
                max_age=60 * 60 * 24 * 7,
            )
        route = request.scope.get("route")
        route_path = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, route_path, str(response.status_code)).inc()
        HTTP_LATENCY.labels(request.method, route_path).observe(time.perf_counter() - start)
        return response


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(level=settings.log_level, json=settings.is_production)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for module in _domain_modules("lifespan"):
                await stack.enter_async_context(module.lifespan(app))
            scheduler = None
            if settings.jobs_enabled and not settings.is_test:
                scheduler = Scheduler(JobContext(db=app.state.db, settings=settings))
                scheduler.start()
            try:
                yield
            finally:
                if scheduler is not None:
                    await scheduler.stop()
        if database is None:
            await app.state.db.dispose()

    app = FastAPI(
        title="GoatedVIPs",
        version="0.1.0",
        description="Wager races, leaderboards and rewards for a Goated.com affiliate's players.",
        lifespan=lifespan,
        responses={422: {"description": "invalid input"}},
    )
    app.state.settings = settings
    app.state.db = database or Database(settings.database_url)
    app.mount("/static", StaticFiles(directory=str(PACKAGE_DIR / "static")), name="static")
    _install_error_handlers(app)
    _install_middleware(app, settings)
    app.include_router(core.router)
    for kind in ("api", "pages"):
        for module in _domain_modules(kind):
            app.include_router(module.router)
    openapi.install(app)
    return app
