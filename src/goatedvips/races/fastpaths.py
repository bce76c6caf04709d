"""Race pages and JSON that anonymous viewers share (`goatedvips.pagecache`).

A live race is what most visitors watch at once: the page, its standings fragment (fetched again
after every sync) and the public JSON look the same to everyone who isn't logged in.
"""

from __future__ import annotations

from fastapi import FastAPI

from goatedvips.metrics import FastPath

CACHED_PATHS = [
    r"/races",
    r"/races/[0-9]{1,18}",
    r"/races/[0-9]{1,18}/standings",
    r"/api/races",
    r"/api/races/current",
    r"/api/races/[0-9]{1,18}",
]


def fast_paths(app: FastAPI) -> dict[str, FastPath]:
    return {}
