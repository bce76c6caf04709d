"""Working on 100k+ rows in Python: pause the cyclic garbage collector while a step runs.

Parsing a feed, comparing it, and ranking the boards allocate millions of small tuples, dicts and
strings and free none of them in cycles; each allocation burst triggers collections that walk
every live object, which costs those steps as much again as the work itself. `gc_paused()` turns
the collector off for one synchronous step (no `await` inside, so no other request runs while it
is off) and back on after it; reference counting still frees everything as usual.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    if not gc.isenabled():  # nested, or switched off by someone else: leave it as it is
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def without_gc(func: Callable[P, R]) -> Callable[P, R]:
    """Run a synchronous function with the collector paused (see `gc_paused`)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return func(*args, **kwargs)

    return wrapper
