"""The built-in Goated affiliate API: a seeded, evolving population behind the real endpoint.

`GET /affiliate/referral-leaderboard/{code}` answers like Goated (any code). Each player's all-time
wager is a closed-form, non-decreasing function of simulated time, so any moment can be computed
without history: the period counters are the growth since the current UTC day start, Monday 00:00
UTC and the 1st of the month 00:00 UTC, and they roll over exactly at those boundaries.

Control endpoints for tests and demos (never in front of real users):

- `POST /_sim/mode` `{"mode", "count", "status", "retryAfter", "slowSeconds", "shape"}`
- `POST /_sim/feed` a scripted list (or `{"players": [...]}`, or `{"body": <any JSON>}`)
- `DELETE /_sim/feed` back to the generated population
- `POST /_sim/advance` `{"seconds": N}` or `{"to": "<ISO time>"}` (forward only)
- `POST /_sim/reset` mode, shape, feed, time offset and counters back to the start
- `GET /_sim/state` the above plus request counts per status

Speed: the population is precomputed as flat lists; a response is built once per simulated-time
step and shape with orjson, and the counters at each period start are cached per boundary.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import math
import random
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio.to_thread
import orjson
from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Clock = Callable[[], dt.datetime]
Mode = Literal["normal", "outage", "slow", "unauthorized", "malformed", "empty"]
Shape = Literal["data", "results", "bare", "strings"]

ORIGIN = dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp()
DAY = 86_400.0
MAX_PLAYERS = 1_000_000
UID_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UID_TABLE = bytes(UID_ALPHABET[i % len(UID_ALPHABET)] for i in range(256))
MALFORMED_BODY = b'{"success": true, "data": [{"uid": "QBbCmlNl63xCjX3S7OZL", "name": "Yels'
WORDS = (
    "goat",
    "lucky",
    "spin",
    "whale",
    "ace",
    "king",
    "queen",
    "wolf",
    "tiger",
    "moon",
    "rocket",
    "diamond",
    "gold",
    "high_roller",
    "degen",
    "shadow",
    "blaze",
    "frost",
    "neon",
    "viper",
    "Yels",
    "crash",
    "plinko",
    "mines",
    "dice",
    "baccarat",
    "jackpot",
    "stack",
    "grind",
    "bet",
)
UNICODE_NAMES = (
    "naïve_üser",
    "Zoë",
    "Jürgen",
    "Łukasz",
    "Søren",
    "José",
    "Çağrı",
    "Ольга",
    "Nguyễn",
    "東京ゴート",
    "goat🐐",
    "Ærø",
    "Ñandú",
    "Μάριος",
    "Dvořák",
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def period_starts(t: float) -> tuple[float, float, float]:
    """UTC day start, Monday 00:00 and 1st-of-month 00:00 for the POSIX time `t`."""
    day_index = math.floor(t / DAY)
    day = day_index * DAY
    weekday = (day_index + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    week = day - weekday * DAY
    date = dt.datetime.fromtimestamp(day, tz=dt.UTC)
    month = date.replace(day=1).timestamp()
    return day, week, month


@dataclass(slots=True)
class Population:
    """Flat per-player parameters; player i is the i-th element of every list."""

    uids: list[str]
    names: list[str]
    alt_names: dict[int, tuple[str, float, float]]  # index -> (other name, period s, phase s)
    start: list[float]
    stop: list[float]
    rate: list[float]  # mean USD per second
    swing: list[float]  # amplitude / angular frequency of the rate's wave
    omega: list[float]
    phase: list[float]
    sin_phase: list[float]
    base_cents: list[int]  # all-time wager before the simulated history starts

    def __len__(self) -> int:
        return len(self.uids)

    def cents_at(self, t: float) -> list[int]:
        """All-time wager in cents of every player at time t; non-decreasing in t."""
        sin = math.sin
        out: list[int] = []
        append = out.append
        for start, stop, rate, swing, omega, phase, sin_phase, base in zip(
            self.start,
            self.stop,
            self.rate,
            self.swing,
            self.omega,
            self.phase,
            self.sin_phase,
            self.base_cents,
            strict=True,
        ):
            x = t if t < stop else stop
            if x <= start:
                append(base)
                continue
            s = x - start
            # d/ds of the bracket is 1 + a*cos(...) with a < 1, so the total never decreases.
            append(base + int(rate * (s + swing * (sin(omega * s + phase) - sin_phase)) * 100))
        return out

    def names_at(self, t: float) -> list[str]:
        names = self.names.copy()
        for index, (other, period, offset) in self.alt_names.items():
            if int((t + offset) // period) % 2:
                names[index] = other
        return names


def generate_population(seed: int, size: int) -> Population:
    """The same seed and size always give the same players."""
    if not 0 <= size <= MAX_PLAYERS:
        raise ValueError(f"players must be between 0 and {MAX_PLAYERS}")
    rng = random.Random(seed)
    uids = _generate_uids(rng, size)
    names = _names(rng, size)
    alt_names = {
        i: (_generate_name(rng), rng.uniform(2, 20) * DAY, rng.uniform(0, 20) * DAY)
        for i in range(size)
        if rng.random() < 0.02
    }
    pop = Population(uids, names, alt_names, [], [], [], [], [], [], [], [])
    for _ in range(size):
        _add_wager_profile(rng, pop)
    return pop


def _generate_uids(rng: random.Random, size: int) -> list[str]:
    raw = rng.randbytes(20 * size).translate(UID_TABLE).decode("ascii")
    uids = [raw[i : i + 20] for i in range(0, 20 * size, 20)]
    seen: set[str] = set()
    for i, uid in enumerate(uids):
        while uid in seen:  # astronomically rare, but the uid is the identity
            uid = rng.randbytes(20).translate(UID_TABLE).decode("ascii")
        uids[i] = uid
        seen.add(uid)
    return uids


def _names(rng: random.Random, size: int) -> list[str]:
    names: list[str] = []
    for _ in range(size):
        roll = rng.random()
        if names and roll < 0.03:
            names.append(names[rng.randrange(len(names))])  # same name, another player
        else:
            names.append(_generate_name(rng))
    return names


def _generate_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        return rng.choice(UNICODE_NAMES)
    word = rng.choice(WORDS)
    if roll < 0.10:
        return word.capitalize()
    return f"{word}{rng.choice(('', '_', ''))}{rng.randrange(10_000)}"


def _add_wager_profile(rng: random.Random, pop: Population) -> None:
    random_ = rng.random
    never_played = random_() < 0.12
    daily_usd = 0.0 if never_played else rng.lognormvariate(math.log(40), 1.8)
    start = ORIGIN + random_() * 850 * DAY
    stop = start + rng.expovariate(1 / (120 * DAY)) if random_() < 0.35 else math.inf
    period = rng.choice((0.5, 1.0, 3.5, 7.0)) * DAY * rng.uniform(0.8, 1.25)
    omega = 2 * math.pi / period
    phase = random_() * 2 * math.pi
    amplitude = rng.uniform(0.3, 0.95)
    pre_history = 0 if never_played or random_() < 0.5 else rng.lognormvariate(math.log(500), 2)
    pop.start.append(start)
    pop.stop.append(stop)
    pop.rate.append(daily_usd / DAY)
    pop.swing.append(amplitude / omega)
    pop.omega.append(omega)
    pop.phase.append(phase)
    pop.sin_phase.append(math.sin(phase))
    pop.base_cents.append(int(pre_history * 100))


def _usd(cents: int) -> float:
    return cents / 100  # correctly rounded, so orjson prints the two-decimal amount


def _usd_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class SimulatedFeed:
    """Builds feed bodies for a population at a moment, with caches for repeated requests."""

    def __init__(self, population: Population, step_seconds: float) -> None:
        self.population = population
        self.step_seconds = step_seconds
        self._lock = threading.Lock()
        self._baselines: OrderedDict[float, list[int]] = OrderedDict()
        self._bodies: dict[tuple[float, str], bytes] = {}

    def step_of(self, t: float) -> float:
        return math.floor(t / self.step_seconds) * self.step_seconds

    def body(self, t: float, shape: str) -> bytes:
        step = self.step_of(t)
        with self._lock:
            cached = self._bodies.get((step, shape))
            if cached is None:
                if any(key[0] != step for key in self._bodies):
                    self._bodies.clear()
                cached = self._bodies[(step, shape)] = self._build(step, shape)
            return cached

    def players(self, t: float) -> list[dict[str, Any]]:
        """The population at t as feed dicts (JSON numbers), for tests and demo seeding."""
        return orjson.loads(self.body(t, "bare"))

    def _baseline(self, boundary: float) -> list[int]:
        cached = self._baselines.get(boundary)
        if cached is None:
            cached = self._baselines[boundary] = self.population.cents_at(boundary)
            while len(self._baselines) > 6:
                self._baselines.popitem(last=False)
        return cached

    def _build(self, t: float, shape: str) -> bytes:
        day, week, month = (self._baseline(b) for b in period_starts(t))
        now = self.population.cents_at(t)
        names = self.population.names_at(t)
        if shape == "strings":
            rows = self._string_rows(names, now, day, week, month)
            return orjson.dumps({"success": True, "data": rows})
        rows = [
            {
                "uid": uid,
                "name": name,
                "wagered": {
                    "today": _usd(c - d),
                    "this_week": _usd(c - w),
                    "this_month": _usd(c - m),
                    "all_time": _usd(c),
                },
            }
            for uid, name, c, d, w, m in zip(
                self.population.uids, names, now, day, week, month, strict=True
            )
        ]
        return orjson.dumps(wrap(rows, shape))

    def _string_rows(
        self, names: list[str], now: list[int], day: list[int], week: list[int], month: list[int]
    ) -> list[dict[str, Any]]:
        rows = []
        for i, (uid, name, c, d, w, m) in enumerate(
            zip(self.population.uids, names, now, day, week, month, strict=True)
        ):
            wagered: dict[str, Any] = {
                "today": _usd_text(c - d),
                "this_week": _usd_text(c - w),
                "this_month": _usd_text(c - m),
                "all_time": _usd_text(c),
            }
            # Deterministic holes: the quirks the parser must survive.
            if i % 7 == 3:
                wagered["today"] = None
            if i % 11 == 5:
                del wagered["this_week"]
            row: dict[str, Any] = {"uid": uid, "name": None if i % 13 == 6 else name}
            if i % 17 != 9:
                row["wagered"] = wagered
            rows.append(row)
        return rows


def wrap(rows: list[Any], shape: str) -> Any:
    if shape == "bare":
        return rows
    if shape == "results":
        return {"success": True, "results": rows}
    return {"success": True, "data": rows}


def stringify_amounts(rows: list[Any]) -> list[Any]:
    """Scripted rows with every numeric counter turned into a string (the "strings" shape)."""
    out = []
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("wagered"), dict):
            wagered = {
                key: str(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else value
                for key, value in row["wagered"].items()
            }
            row = {**row, "wagered": wagered}
        out.append(row)
    return out


class _CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ModeChange(_CamelModel):
    mode: Mode | None = None
    count: int | None = Field(default=None, ge=1, description="requests in this mode, then normal")
    status: int = Field(default=503, ge=400, le=599, description="outage status (5xx or 429)")
    retry_after: float | None = Field(default=None, ge=0)
    slow_seconds: float = Field(default=5.0, ge=0, le=600)
    shape: Shape | None = None


class Advance(_CamelModel):
    seconds: float | None = Field(default=None, ge=0, le=20 * 365 * DAY)
    to: dt.datetime | None = None


@dataclass(slots=True)
class SimulatorState:
    """Everything the control endpoints change."""

    mode: str = "normal"
    mode_remaining: int | None = None
    status: int = 503
    retry_after: float | None = None
    slow_seconds: float = 5.0
    shape: str = "data"
    offset: float = 0.0
    scripted_rows: list[Any] | None = None
    scripted_body: Any = None
    requests: int = 0
    responses: Counter[int] = field(default_factory=Counter)
    last_authorized: bool | None = None

    def take_mode(self) -> str:
        """The mode for this request; a counted mode falls back to normal when used up."""
        mode = self.mode
        if self.mode_remaining is not None:
            self.mode_remaining -= 1
            if self.mode_remaining <= 0:
                self.mode, self.mode_remaining = "normal", None
        return mode


class Simulator:
    """The population, the clock and the state behind one simulator app."""

    def __init__(
        self, *, seed: int, players: int, token: str | None, clock: Clock, step_seconds: float
    ) -> None:
        self.seed = seed
        self.token = token
        self.clock = clock
        self.feed = SimulatedFeed(generate_population(seed, players), step_seconds)
        self.state = SimulatorState()

    def now(self) -> dt.datetime:
        return self.clock() + dt.timedelta(seconds=self.state.offset)

    def authorized(self, header: str | None) -> bool:
        if self.token is None:
            return True
        expected = f"Bearer {self.token}".encode()
        return hmac.compare_digest((header or "").encode(), expected)

    def scripted_body(self) -> bytes | None:
        state = self.state
        if state.scripted_body is not None:
            return orjson.dumps(state.scripted_body)
        if state.scripted_rows is None:
            return None
        if state.shape == "strings":
            return orjson.dumps(wrap(stringify_amounts(state.scripted_rows), "data"))
        return orjson.dumps(wrap(state.scripted_rows, state.shape))

    def describe(self) -> dict[str, Any]:
        state = self.state
        now = self.now()
        return {
            "seed": self.seed,
            "players": len(self.feed.population),
            "tokenRequired": self.token is not None,
            "mode": state.mode,
            "modeRemaining": state.mode_remaining,
            "status": state.status,
            "retryAfter": state.retry_after,
            "slowSeconds": state.slow_seconds,
            "shape": state.shape,
            "scripted": state.scripted_rows is not None or state.scripted_body is not None,
            "scriptedPlayers": len(state.scripted_rows or []),
            "simulatedTime": now.isoformat(),
            "stepTime": dt.datetime.fromtimestamp(
                self.feed.step_of(now.timestamp()), tz=dt.UTC
            ).isoformat(),
            "offsetSeconds": state.offset,
            "requests": state.requests,
            "responses": {str(code): n for code, n in sorted(state.responses.items())},
            "lastAuthorized": state.last_authorized,
        }


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(payload), status, headers, media_type="application/json")


def create_simulator_app(
    *,
    seed: int = 1,
    players: int = 2000,
    token: str | None = None,
    clock: Clock | None = None,
    step_seconds: float = 1.0,
) -> FastAPI:
    """A FastAPI app serving the Goated affiliate endpoint and the `/_sim/` controls."""
    sim = Simulator(
        seed=seed, players=players, token=token, clock=clock or utc_now, step_seconds=step_seconds
    )
    app = FastAPI(title="Goated affiliate API simulator", docs_url=None, redoc_url=None)
    app.state.simulator = sim
    _add_feed_route(app, sim)
    _add_control_routes(app, sim)
    return app


def _add_feed_route(app: FastAPI, sim: Simulator) -> None:
    @app.get("/affiliate/referral-leaderboard/{code}")
    async def referral_leaderboard(code: str, request: Request) -> Response:
        state = sim.state
        state.requests += 1
        authorized = sim.authorized(request.headers.get("authorization"))
        state.last_authorized = authorized
        response = await _feed_response(sim, state.take_mode(), authorized)
        state.responses[response.status_code] += 1
        return response


async def _feed_response(sim: Simulator, mode: str, authorized: bool) -> Response:
    state = sim.state
    if mode == "outage":
        headers = {"Retry-After": f"{state.retry_after:g}"} if state.retry_after is not None else {}
        return _json(state.status, {"success": False, "message": "Service unavailable"}, headers)
    if mode == "slow":
        await asyncio.sleep(state.slow_seconds)
    if mode == "unauthorized" or not authorized:
        return _json(401, {"success": False, "message": "Unauthorized"})
    if mode == "malformed":
        return Response(MALFORMED_BODY, 200, media_type="application/json")
    if mode == "empty":
        return _json(200, wrap([], "data" if state.shape == "strings" else state.shape))
    body = sim.scripted_body()
    if body is None:
        t, shape = sim.now().timestamp(), state.shape
        body = await anyio.to_thread.run_sync(sim.feed.body, t, shape)
    return Response(body, 200, media_type="application/json")


def _add_control_routes(app: FastAPI, sim: Simulator) -> None:
    @app.post("/_sim/mode")
    async def set_mode(change: ModeChange) -> dict[str, Any]:
        state = sim.state
        if change.mode is not None:
            state.mode, state.mode_remaining = change.mode, change.count
            state.status, state.retry_after = change.status, change.retry_after
            state.slow_seconds = change.slow_seconds
        if change.shape is not None:
            state.shape = change.shape
        return sim.describe()

    @app.post("/_sim/feed")
    async def script_feed(payload: Any = Body(...)) -> dict[str, Any]:
        state = sim.state
        if isinstance(payload, dict) and "body" in payload:
            state.scripted_body, state.scripted_rows = payload["body"], None
        elif isinstance(payload, dict) and isinstance(payload.get("players"), list):
            state.scripted_body, state.scripted_rows = None, payload["players"]
        elif isinstance(payload, list):
            state.scripted_body, state.scripted_rows = None, payload
        else:
            raise HTTPException(422, "send a list of players, {'players': [...]} or {'body': ...}")
        return sim.describe()

    @app.delete("/_sim/feed")
    async def clear_feed() -> dict[str, Any]:
        sim.state.scripted_body = sim.state.scripted_rows = None
        return sim.describe()

    @app.post("/_sim/advance")
    async def advance(request: Advance) -> dict[str, Any]:
        if (request.seconds is None) == (request.to is None):
            raise HTTPException(422, "give exactly one of 'seconds' or 'to'")
        if request.to is not None:
            if request.to.tzinfo is None:
                raise HTTPException(422, "'to' must carry a timezone")
            seconds = (request.to - sim.now()).total_seconds()
            if seconds < 0:
                raise HTTPException(422, "simulated time only moves forward")
        else:
            seconds = request.seconds or 0.0
        sim.state.offset += seconds
        return sim.describe()

    @app.post("/_sim/reset")
    async def reset() -> dict[str, Any]:
        sim.state = SimulatorState()
        return sim.describe()

    @app.get("/_sim/state")
    async def get_state() -> dict[str, Any]:
        return sim.describe()


def run_simulator(
    host: str = "127.0.0.1",
    port: int = 8001,
    seed: int = 1,
    players: int = 2000,
    *,
    token: str | None = None,
    log_level: str = "info",
) -> None:
    """Serve the simulator until interrupted (the `goatedvips simulator` command)."""
    import uvicorn

    app = create_simulator_app(seed=seed, players=players, token=token)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
