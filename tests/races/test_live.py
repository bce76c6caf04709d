"""The live-update broker: in-process fan-out, delivery across event loops and, with Redis,
across processes (two brokers sharing one Redis); the SSE helper over real HTTP."""

from __future__ import annotations

import asyncio
import os
import uuid

import httpx
import pytest
from fastapi import FastAPI, Request

from goatedvips import live
from tests.support.servers import run_asgi_server


async def test_publish_reaches_every_subscriber_of_the_channel_only() -> None:
    broker = live.Broker()
    first, second, other = [await broker.open(c) for c in ("race:1", "race:1", "race:2")]
    await broker.publish("race:1", {"type": "standings"})
    assert await asyncio.wait_for(first.next(), 1) == '{"type": "standings"}'
    assert await asyncio.wait_for(second.next(), 1) == '{"type": "standings"}'
    assert other._subscriber.queue.empty()
    for subscription in (first, second, other):
        subscription.close()
    assert broker.hub.subscriber_count("race:1") == 0


async def test_a_slow_subscriber_keeps_only_the_newest_messages() -> None:
    broker = live.Broker()
    subscription = await broker.open("race:1")
    for n in range(live.QUEUE_SIZE + 5):
        await broker.publish("race:1", str(n))
    await asyncio.sleep(0)  # deliveries are scheduled on the subscriber's loop
    received = [subscription._subscriber.queue.get_nowait() for _ in range(live.QUEUE_SIZE)]
    assert received[-1] == str(live.QUEUE_SIZE + 4) and len(received) == live.QUEUE_SIZE


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")
async def test_redis_carries_messages_between_processes() -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    web, worker = (
        live.Broker(os.environ["TEST_REDIS_URL"], prefix),
        live.Broker(os.environ["TEST_REDIS_URL"], prefix),
    )
    try:
        subscription = await web.open("race:9")
        await worker.publish("race:9", {"type": "standings", "raceId": 9})
        assert '"raceId": 9' in await asyncio.wait_for(subscription.next(), 5)
        subscription.close()
    finally:
        await web.close()
        await worker.close()


async def test_sse_response_streams_published_messages_over_http() -> None:
    app = FastAPI()

    @app.get("/stream")
    async def stream(request: Request):
        return live.sse_response(request, "race:5")

    broker = live.configure(None)
    async with (
        run_asgi_server(app) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
        http.stream("GET", "/stream") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        assert await anext(lines) == ": connected"
        await broker.publish("race:5", {"type": "standings"})
        received = [line for line in [await anext(lines) for _ in range(3)] if line]
    assert received == ["event: update", 'data: {"type": "standings"}']
