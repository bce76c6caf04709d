"""The Goated client over real HTTP against the simulator: shapes, quirks, errors, retries, token.

Attempts are counted by the simulator's own `/_sim/state`, not by mocks.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from goatedvips.affiliate.client import (
    FeedFormatError,
    GoatedAuthError,
    GoatedClient,
    GoatedError,
    GoatedHTTPError,
    GoatedUnavailableError,
)
from goatedvips.affiliate.simulator import create_simulator_app
from goatedvips.affiliate.token import token_expiry, token_status
from tests.support.servers import run_asgi_server

SAMPLE = Path(__file__).with_name("goated-feed-sample.json")
PINNED = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
CODE = "GOATEDVIPS"


def make_jwt(payload: dict[str, Any]) -> str:
    def segment(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{segment({'alg': 'HS256', 'typ': 'JWT'})}.{segment(payload)}.c2lnbmF0dXJl"


TOKEN = make_jwt({"uid": "aff1", "session": "s1", "iat": 1_790_000_000, "exp": 1_790_086_400})


class SleepRecorder:
    """Stands in for asyncio.sleep so backoff is checked without waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    app = create_simulator_app(seed=11, players=300, token=TOKEN, clock=lambda: PINNED)
    with run_asgi_server(app) as base_url:
        yield base_url


@pytest.fixture
async def sim(sim_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the simulator's control endpoints, on a freshly reset simulator."""
    async with httpx.AsyncClient(base_url=sim_url) as control:
        (await control.post("/_sim/reset")).raise_for_status()
        yield control


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


def goated(
    url: str, sleeps: SleepRecorder, token: str | None = TOKEN, **kwargs: Any
) -> GoatedClient:
    return GoatedClient(url, token, CODE, sleep=sleeps, **kwargs)


async def fetch(url: str, sleeps: SleepRecorder, **kwargs: Any) -> Any:
    async with goated(url, sleeps, **kwargs) as api:
        return await api.fetch()


async def state(sim: httpx.AsyncClient) -> dict[str, Any]:
    return (await sim.get("/_sim/state")).json()


async def set_mode(sim: httpx.AsyncClient, **change: Any) -> None:
    (await sim.post("/_sim/mode", json=change)).raise_for_status()


async def script(sim: httpx.AsyncClient, payload: Any) -> None:
    (await sim.post("/_sim/feed", json=payload)).raise_for_status()


# --- shapes and quirks ---------------------------------------------------------------------


async def test_sample_file_served_as_is(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await script(sim, {"body": json.loads(SAMPLE.read_text(encoding="utf-8"))})
    feed = await fetch(sim_url, sleeps)
    players = feed.by_uid()
    assert len(players) == 7 and feed.skipped == 0
    assert players["QBbCmlNl63xCjX3S7OZL"].all_time == Decimal("1773.78")
    assert players["rT6yU8iO0pA2sD4fG6hJ"].name == "naïve_üser"
    assert [p.name for p in feed].count("Yels789") == 2
    assert (await state(sim))["requests"] == 1 and sleeps.delays == []


@pytest.mark.parametrize("shape", ["results", "bare"])
async def test_every_shape_gives_the_same_players(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder, shape: str
) -> None:
    reference = await fetch(sim_url, sleeps)
    await set_mode(sim, shape=shape)
    shaped = await fetch(sim_url, sleeps)
    assert len(reference) == 300 and shaped.players == reference.players


async def test_strings_shape_with_nulls_and_missing_fields(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    reference = (await fetch(sim_url, sleeps)).by_uid()
    await set_mode(sim, shape="strings")
    raw = (await sim.get(f"/affiliate/referral-leaderboard/{CODE}", headers=auth())).json()["data"]
    feed = await fetch(sim_url, sleeps)
    assert feed.skipped == 0 and len(feed) == len(reference)
    holes = 0
    for row, parsed in zip(raw, feed.players, strict=True):
        wagered = row.get("wagered") or {}
        expected = reference[row["uid"]]
        for counter in ("today", "this_week", "this_month", "all_time"):
            value = wagered.get(counter)
            if value is None:
                holes += 1
                assert getattr(parsed, counter) == 0
            else:
                assert isinstance(value, str)
                assert getattr(parsed, counter) == getattr(expected, counter)
        assert parsed.name == (row["name"] or "")
    assert holes > 0 and any(row["name"] is None for row in raw)


async def test_scripted_quirks_end_to_end(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await script(
        sim,
        [
            {"uid": "A1", "name": "Yels789", "wagered": {"today": "1.5", "all_time": "20"}},
            {"uid": "B2", "name": "Yels789", "wagered": {"today": None}},
            {"uid": "C3", "name": "Zoë", "wagered": None},
            {"uid": "D4"},
            {"name": "no uid", "wagered": {"all_time": 5}},
            {"uid": "E5", "name": "neg", "wagered": {"all_time": -3}},
            {"uid": "F6", "name": "junk", "wagered": {"all_time": "12 dollars"}},
            {"uid": "A1", "name": "Yels_renamed", "wagered": {"today": 2, "all_time": 21.25}},
        ],
    )
    feed = await fetch(sim_url, sleeps)
    players = feed.by_uid()
    assert sorted(players) == ["A1", "B2", "C3", "D4"]
    assert players["A1"].name == "Yels_renamed" and players["A1"].all_time == Decimal("21.25")
    assert players["B2"].name == "Yels789" and players["B2"].today == 0
    assert players["C3"].name == "Zoë" and players["D4"].name == ""
    assert (feed.missing_uid, feed.rejected, feed.duplicates, feed.total) == (1, 2, 1, 8)


async def test_scripted_players_in_strings_shape(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    await script(sim, {"players": sample["data"]})
    await set_mode(sim, shape="strings")
    raw = (await sim.get(f"/affiliate/referral-leaderboard/{CODE}", headers=auth())).json()
    assert raw["data"][1]["wagered"]["all_time"] == "402118.9"
    feed = await fetch(sim_url, sleeps)
    assert feed.by_uid()["a8Kd02LmQz9XbTr4uWcE"].all_time == Decimal("402118.90")


async def test_empty_feed_is_an_empty_list_not_an_error(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await set_mode(sim, mode="empty")
    feed = await fetch(sim_url, sleeps)
    assert feed.players == [] and feed.total == 0


# --- errors and retries ---------------------------------------------------------------------


async def test_rejected_token_is_not_retried_and_says_what_to_do(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    with pytest.raises(GoatedAuthError, match=r"token rejected \(401\); renew GOATED_API_TOKEN"):
        await fetch(sim_url, sleeps, token="wrong-token")
    assert (await state(sim))["requests"] == 1 and sleeps.delays == []


async def test_missing_token_sends_no_header_and_is_refused(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    with pytest.raises(GoatedAuthError) as caught:
        await fetch(sim_url, sleeps, token=None)
    current = await state(sim)
    assert caught.value.status_code == 401 and current["lastAuthorized"] is False
    assert current["requests"] == 1


async def test_unauthorized_mode_even_with_the_right_token(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await set_mode(sim, mode="unauthorized")
    with pytest.raises(GoatedAuthError):
        await fetch(sim_url, sleeps)
    assert (await state(sim))["responses"] == {"401": 1}


async def test_5xx_is_retried_with_growing_backoff_then_succeeds(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await set_mode(sim, mode="outage", status=502, count=2)
    feed = await fetch(sim_url, sleeps, backoff_base=0.5)
    current = await state(sim)
    assert len(feed) == 300
    assert current["requests"] == 3 and current["responses"] == {"200": 1, "502": 2}
    first, second = sleeps.delays
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0


async def test_outage_exhausts_retries_and_names_the_last_cause(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await set_mode(sim, mode="outage")
    with pytest.raises(GoatedUnavailableError, match="after 4 attempts: HTTP 503") as caught:
        await fetch(sim_url, sleeps)
    assert caught.value.attempts == 4 and caught.value.last_error == "HTTP 503"
    assert (await state(sim))["requests"] == 4 and len(sleeps.delays) == 3


async def test_429_honours_retry_after(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await set_mode(sim, mode="outage", status=429, retryAfter=7, count=1)
    feed = await fetch(sim_url, sleeps)
    assert len(feed) == 300 and sleeps.delays == [7.0]


async def test_retry_after_is_capped(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await set_mode(sim, mode="outage", status=503, retryAfter=3600, count=1)
    await fetch(sim_url, sleeps, max_retry_after=60)
    assert sleeps.delays == [60.0]


async def test_other_4xx_is_not_retried(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await set_mode(sim, mode="outage", status=404)
    with pytest.raises(GoatedHTTPError, match="HTTP 404") as caught:
        await fetch(sim_url, sleeps)
    assert caught.value.status_code == 404 and not isinstance(caught.value, GoatedAuthError)
    assert (await state(sim))["requests"] == 1


async def test_slow_answer_times_out_and_the_retry_succeeds(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await set_mode(sim, mode="slow", slowSeconds=1.5, count=1)
    feed = await fetch(sim_url, sleeps, timeout=httpx.Timeout(0.3))
    assert len(feed) == 300 and (await state(sim))["requests"] == 2


async def test_always_slow_ends_unavailable_with_timeout_cause(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await set_mode(sim, mode="slow", slowSeconds=1.5)
    with pytest.raises(GoatedUnavailableError, match="timeout") as caught:
        await fetch(sim_url, sleeps, timeout=httpx.Timeout(0.2), max_attempts=2)
    retryable = caught.value.__cause__
    assert retryable is not None and isinstance(retryable.__cause__, httpx.TimeoutException)


async def test_malformed_body_is_a_format_error_without_retry(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await set_mode(sim, mode="malformed")
    with pytest.raises(FeedFormatError, match="not JSON"):
        await fetch(sim_url, sleeps)
    assert (await state(sim))["requests"] == 1 and sleeps.delays == []


async def test_success_false_is_a_format_error(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder
) -> None:
    await script(sim, {"body": {"success": False, "message": "affiliate code unknown"}})
    with pytest.raises(FeedFormatError, match="affiliate code unknown"):
        await fetch(sim_url, sleeps)


async def test_connection_refused_is_retried_then_unavailable(sleeps: SleepRecorder) -> None:
    with run_asgi_server(create_simulator_app(players=1)) as dead_url:
        pass  # the server is gone: its port now refuses connections
    with pytest.raises(GoatedUnavailableError, match="connection error"):
        await fetch(dead_url, sleeps, max_attempts=3)
    assert len(sleeps.delays) == 2


async def test_every_error_is_a_goated_error() -> None:
    for error in (FeedFormatError, GoatedAuthError, GoatedHTTPError, GoatedUnavailableError):
        assert issubclass(error, GoatedError)


async def test_the_token_never_reaches_logs_or_errors(
    sim: httpx.AsyncClient, sim_url: str, sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await set_mode(sim, mode="outage", status=400)
    async with goated(sim_url, sleeps) as api:
        assert TOKEN not in repr(api)
        with pytest.raises(GoatedHTTPError) as caught:
            await api.fetch()
    await set_mode(sim, mode="outage", count=3)
    await fetch(sim_url, sleeps)
    assert TOKEN not in str(caught.value) and TOKEN not in caplog.text
    assert "retrying" in caplog.text


# --- token expiry ------------------------------------------------------------------------------


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_token_expiry_reads_exp_as_aware_utc() -> None:
    assert token_expiry(TOKEN) == dt.datetime.fromtimestamp(1_790_086_400, tz=dt.UTC)
    assert token_expiry(f"Bearer {TOKEN}") == token_expiry(TOKEN)
    expiry = token_expiry(TOKEN)
    assert expiry is not None and expiry.tzinfo is dt.UTC


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "a.b",
        "a..c",
        "a.!!!!.c",
        make_jwt({"uid": "x"}),
        make_jwt({"exp": "tomorrow"}),
        make_jwt({"exp": True}),
        make_jwt({"exp": 10**20}),
        "x." + base64.urlsafe_b64encode(b"[1, 2]").decode() + ".y",
    ],
)
def test_token_expiry_is_none_when_unknown(token: str) -> None:
    assert token_expiry(token) is None


def test_token_status_states() -> None:
    expiry = dt.datetime.fromtimestamp(1_790_086_400, tz=dt.UTC)
    fresh = token_status(TOKEN, expiry - dt.timedelta(hours=20))
    soon = token_status(TOKEN, expiry - dt.timedelta(hours=5, minutes=59))
    lapsed = token_status(TOKEN, expiry + dt.timedelta(seconds=1))
    assert fresh.state == "valid" and fresh.seconds_left == 20 * 3600 and not fresh.expiring_soon
    assert soon.expiring_soon and not soon.expired and soon.expires_at == expiry
    assert lapsed.expired and lapsed.seconds_left == -1
    assert token_status(None).state == "missing" and token_status("  ").state == "missing"
    assert token_status("opaque-token").state == "unknown"


def test_token_status_refuses_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        token_status(TOKEN, dt.datetime(2026, 1, 1))
