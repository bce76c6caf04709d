"""Listing the app's routes, including those nested in included routers (FastAPI >= 0.16x)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI

ADMIN_PREFIXES = ("/admin", "/api/admin")


def _walk(routes: Iterable[Any]) -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            yield from _walk(candidates())
            continue
        nested = getattr(route, "routes", None)
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None)
        if path is not None and methods:
            yield path, set(methods)
        elif nested:
            yield from _walk(nested)


def admin_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) for every admin route, path parameters filled with 1."""
    found = set()
    for path, methods in _walk(app.routes):
        if not path.startswith(ADMIN_PREFIXES):
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in methods - {"HEAD", "OPTIONS"}:
            found.add((method, concrete))
    return sorted(found, key=lambda item: (item[1], item[0]))
