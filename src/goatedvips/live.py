"""Live updates: publish a message on a channel, and every open page subscribed to it hears it.

    await live.publish("race:7", {"type": "standings"})
    async for message in live.subscribe("race:7"): ...
    return live.sse_response(request, "race:7")          # an SSE endpoint in one line

By default the fan-out is in-process (one process serves everything). With `REDIS_URL` set,
`publish` goes through Redis pub/sub and one listener task per process hands each message to its
local subscribers, so a sync finished in the worker reaches pages served by every web process.
Messages are small JSON objects; pages treat them as "something changed, fetch again", so a
dropped message costs at most one refresh (a slow subscriber's oldest messages are dropped).

Subscribers may live on other event loops (a test server in a thread), so delivery uses
`call_soon_threadsafe` on the subscriber's own loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from goatedvips.logging import get_logger

log = get_logger(__name__)
QUEUE_SIZE = 16
KEEPALIVE_SECONDS = 15.0


class _Subscriber:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)

    def offer(self, message: str) -> None:
        self.loop.call_soon_threadsafe(self._put, message)

    def _put(self, message: str) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(message)


class LocalHub:
    """In-process fan-out: channel -> subscribers."""

    def __init__(self) -> None:
        self._channels: dict[str, set[_Subscriber]] = {}
        self._lock = threading.Lock()

    def deliver(self, channel: str, message: str) -> None:
        with self._lock:
            targets = list(self._channels.get(channel, ()))
        for subscriber in targets:
            with contextlib.suppress(RuntimeError):  # its loop has closed
                subscriber.offer(message)

    def add(self, channel: str) -> _Subscriber:
        subscriber = _Subscriber()
        with self._lock:
            self._channels.setdefault(channel, set()).add(subscriber)
        return subscriber

    def remove(self, channel: str, subscriber: _Subscriber) -> None:
        with self._lock:
            group = self._channels.get(channel)
            if group is not None:
                group.discard(subscriber)
                if not group:
                    del self._channels[channel]

    def subscriber_count(self, channel: str) -> int:
        with self._lock:
            return len(self._channels.get(channel, ()))


class Subscription:
    """One listener on one channel; `close()` it when done."""

    def __init__(self, hub: LocalHub, channel: str) -> None:
        self._hub, self.channel = hub, channel
        self._subscriber = hub.add(channel)

    async def next(self) -> str:
        return await self._subscriber.queue.get()

    def close(self) -> None:
        self._hub.remove(self.channel, self._subscriber)


class Broker:
    """Publishes locally, or through Redis when configured; subscribers are always local."""

    def __init__(self, redis_url: str | None = None, prefix: str = "goatedvips") -> None:
        self.hub = LocalHub()
        self.redis_url = redis_url
        self.prefix = f"{prefix}:live:"
        self._redis: Any = None
        # The loop that owns `_redis` and the listener: the web server's (see `configure`).
        self._home_loop: asyncio.AbstractEventLoop | None = None
        with contextlib.suppress(RuntimeError):  # made outside any loop: the first one to use it
            self._home_loop = asyncio.get_running_loop()
        self._listener: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None

    async def publish(self, channel: str, data: Any) -> None:
        message = data if isinstance(data, str) else json.dumps(data, default=str)
        if not self.redis_url:
            self.hub.deliver(channel, message)
            return
        try:
            if self._home_loop not in (None, asyncio.get_running_loop()):
                # Published from another loop (the job thread): the shared client belongs to
                # the web's loop, so this one message gets a connection of its own.
                import redis.asyncio as redis

                async with redis.from_url(self.redis_url) as client:
                    await client.publish(self.prefix + channel, message)
            else:
                await self._client().publish(self.prefix + channel, message)
        except Exception as exc:  # a live update is best effort; the page still polls on load
            log.warning("live_publish_failed", channel=channel, error=str(exc))
            self.hub.deliver(channel, message)

    async def open(self, channel: str) -> Subscription:
        """A subscription registered before this returns (nothing published after it is missed)."""
        if self.redis_url:
            await self._ensure_listener()
        return Subscription(self.hub, channel)

    async def subscribe(self, channel: str) -> AsyncIterator[str]:
        subscription = await self.open(channel)
        try:
            while True:
                yield await subscription.next()
        finally:
            subscription.close()

    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio as redis

            self._redis = redis.from_url(self.redis_url, decode_responses=True)
            self._home_loop = self._home_loop or asyncio.get_running_loop()
        return self._redis

    async def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(self._ready), name="live-redis")
        assert self._ready is not None
        await asyncio.wait_for(self._ready.wait(), timeout=5)

    async def _listen(self, ready: asyncio.Event) -> None:
        while True:
            try:
                pubsub = self._client().pubsub()
                await pubsub.psubscribe(self.prefix + "*")
                while (await pubsub.get_message(timeout=5)) is None:
                    pass  # the first message is the server's confirmation of the subscription
                ready.set()
                async for item in pubsub.listen():
                    if item.get("type") == "pmessage":
                        channel = str(item["channel"])[len(self.prefix) :]
                        self.hub.deliver(channel, str(item["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live_listener_failed", error=str(exc))
                ready.set()  # subscribers proceed; they still get local deliveries
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
            self._redis = None


_broker = Broker()


def configure(redis_url: str | None, prefix: str = "goatedvips") -> Broker:
    """Replace the process-wide broker (the races lifespan calls this from the settings)."""
    global _broker
    _broker = Broker(redis_url, prefix)
    return _broker


def broker() -> Broker:
    return _broker


async def publish(channel: str, data: Any) -> None:
    await _broker.publish(channel, data)


def subscribe(channel: str) -> AsyncIterator[str]:
    return _broker.subscribe(channel)


def sse_response(request: Request, channel: str, *, event: str = "update") -> StreamingResponse:
    """A text/event-stream that forwards every message on `channel` as an SSE `event`."""

    async def stream() -> AsyncIterator[str]:
        subscription = await _broker.open(channel)
        pending: asyncio.Future[str] | None = None
        try:
            yield ": connected\n\n"
            while not await request.is_disconnected():
                pending = pending or asyncio.ensure_future(subscription.next())
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
                if not done:
                    yield ": keepalive\n\n"
                    continue
                message, pending = pending.result(), None
                data = "\ndata: ".join(message.splitlines() or [""])
                yield f"event: {event}\ndata: {data}\n\n"
        finally:
            if pending is not None:
                pending.cancel()
            subscription.close()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
