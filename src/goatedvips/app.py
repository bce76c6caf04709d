"""create_app(): the FastAPI application with every domain's routers, pages and middleware."""

from __future__ import annotations

import gc
import importlib
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from goatedvips import core, openapi
from goatedvips.config import Settings, get_settings
from goatedvips.db import Database
from goatedvips.errors import DomainError, NotAuthenticated, RateLimited
from goatedvips.jobs import JobThread
from goatedvips.logging import configure_logging, get_logger
from goatedvips.metrics import FastPath, observe_request
from goatedvips.nul import find_nul
from goatedvips.pagecache import PageCache
from goatedvips.security import CSRF_COOKIE, csrf_cookie_header
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


_UNSUPPORTED_MEDIA_TYPE = (
    415,
    "unsupported_media_type",
    "send the request body as JSON with Content-Type: application/json",
)


class ApiMiddleware:
    """The app-wide HTTP middleware, as plain ASGI (no per-request tasks or body streams):

    - an unsafe method (POST, PUT, PATCH, DELETE) under /api/ without `Content-Type:
      application/json` is answered 415 before any routing;
    - a NUL character in the path, the query or a JSON or form body is answered 422
      (`goatedvips.nul`);
    - a response whose request made a CSRF token (`request.state.csrf_token`) that the browser
      doesn't hold yet sets the CSRF cookie;
    - every answered request counts in `goatedvips_http_requests_total{method, route, status}` and
      `goatedvips_http_request_duration_seconds{method, route}` (route = the matched route's path
      template, "unmatched" when none matched);
    - fast paths (`fast_paths`: exact path -> handler, from each domain's `fastpaths` module)
      answer GET requests before the router when they can (see `goatedvips.affiliate.fastpaths`),
      with the same bytes, headers and metrics as their route;
    - anonymous GETs of the public pages listed in the domains' `fastpaths.CACHED_PATHS` share one
      rendering per second and per write (`goatedvips.pagecache`).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        fast_paths: dict[str, FastPath] | None = None,
        cached_paths: list[str] | None = None,
    ) -> None:
        self.app = app
        self.secure_cookie = settings.is_production
        self.fast_paths = fast_paths or {}
        self.page_cache = PageCache(cached_paths or [], secure_cookie=self.secure_cookie)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        method = scope["method"]
        if method == "GET":
            fast = self.fast_paths.get(scope["path"])
            if fast is not None:
                status = await fast(scope, send)
                if status is not None:
                    observe_request(method, scope["path"], status, time.perf_counter() - start)
                    return
            elif self.page_cache.caches(scope["path"]):
                answered = await self.page_cache.serve(scope, receive, send, self.app)
                if answered is not None:
                    status, route = answered
                    observe_request(method, route, status, time.perf_counter() - start)
                    return
        elif (
            method in UNSAFE_METHODS
            and scope["path"].startswith("/api/")
            and _content_type(scope) != "application/json"
        ):
            await error_json(*_UNSUPPORTED_MEDIA_TYPE)(scope, receive, send)
            return
        # NUL characters (goatedvips.nul): find_nul reads a JSON or form body, so it is read here
        # once and handed to find_nul and then to the app.
        body = None
        if method in UNSAFE_METHODS and _content_type(scope) in _NUL_CHECKED_BODIES:
            body = await _read_body(receive)
        nul = await find_nul(Request(scope, receive if body is None else _replay(body, receive)))
        if nul is not None:
            if scope["path"].startswith("/api/"):
                response: Response = error_json(422, "invalid", nul.message, field=nul.field)
            else:
                response = _error_response(Request(scope), 422, "invalid", nul.message)
            await response(scope, receive, send)
            return
        if body is not None:
            receive = _replay(body, receive)
        status_code = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                cookie = self._csrf_cookie(scope)
                if cookie is not None:
                    message = {**message, "headers": [*message.get("headers", ()), cookie]}
            await send(message)

        await self.app(scope, receive, send_wrapper)
        route = getattr(scope.get("route"), "path", "unmatched")
        observe_request(method, route, status_code, time.perf_counter() - start)

    def _csrf_cookie(self, scope: Scope) -> tuple[bytes, bytes] | None:
        state = scope.get("state")
        token = state.get("csrf_token") if state else None
        if not token:
            return None
        if HTTPConnection(scope).cookies.get(CSRF_COOKIE) == token:
            return None
        return csrf_cookie_header(token, secure=self.secure_cookie)


_NUL_CHECKED_BODIES = ("application/json", "application/x-www-form-urlencoded")


def _content_type(scope: Scope) -> str:
    return _header(scope, b"content-type").split(";")[0].strip().lower()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client left: nothing more will come
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out `body` once, then whatever the client sends next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def _fast_paths(app: FastAPI) -> dict[str, FastPath]:
    """Every domain's `fastpaths.fast_paths(app)`: exact path -> handler."""
    paths: dict[str, FastPath] = {}
    for module in _domain_modules("fastpaths"):
        paths.update(module.fast_paths(app))
    return paths


def _cached_paths() -> list[str]:
    """Every domain's `fastpaths.CACHED_PATHS`: regexes of the pages anonymous viewers share."""
    modules = _domain_modules("fastpaths")
    return [pattern for module in modules for pattern in getattr(module, "CACHED_PATHS", [])]


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(level=settings.log_level, json=settings.is_production)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for module in _domain_modules("lifespan"):
                await stack.enter_async_context(module.lifespan(app))
            jobs = None
            if settings.jobs_enabled and not settings.is_test:
                jobs = JobThread(settings)
                jobs.start()
            if not settings.is_test:
                # Everything loaded so far (modules, routes, models) lives as long as the process:
                # keep it out of the collector's full passes, which would otherwise walk all of it
                # every few thousand requests (tens of milliseconds each on a small machine).
                gc.freeze()
            try:
                yield
            finally:
                if jobs is not None:
                    await jobs.stop()
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
    app.add_middleware(
        ApiMiddleware,
        settings=settings,
        fast_paths=_fast_paths(app),
        cached_paths=_cached_paths(),
    )
    app.include_router(core.router)
    for kind in ("api", "pages"):
        for module in _domain_modules(kind):
            app.include_router(module.router)
    openapi.install(app)
    return app
