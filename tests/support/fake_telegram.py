"""A fake Telegram Bot API server for tests, plus builders for the Update JSON Telegram sends.

    fake = FakeTelegram()
    with run_asgi_server(fake.app) as base_url:   # TELEGRAM_API_BASE_URL=base_url
        ... the bot talks to it over real HTTP ...
    fake.calls("sendMessage")                     # every call: method + decoded params

It answers `POST|GET /bot{token}/{method}` for the methods aiogram uses (getMe, sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, setWebhook, deleteWebhook,
getWebhookInfo, setMyCommands, getUpdates, ...; anything else answers `true`), records each call,
serves `getUpdates` from a queue the test fills (`push_update`, long-polling briefly), and can
answer like Telegram does when things go wrong: `block(chat_id)` -> 403 "Forbidden: bot was
blocked by the user"; `fail_next(method, code=429, retry_after=N)` -> 429 with
`parameters.retry_after`. The server runs in its own thread, so everything here is thread-safe.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

BOT_ID = 700000001
BOT_USERNAME = "GoatedTestBot"
# getUpdates long-polls at most this long, so a stopping bot never waits on the fake.
MAX_POLL_SECONDS = 0.5
CHAT_METHODS_WITH_MESSAGES = {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard buttons of this call, flattened (empty when there are none)."""
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return [button for row in rows for button in row]


@dataclass
class _Failure:
    method: str | None
    chat_id: int | None
    code: int
    description: str
    retry_after: int | None


@dataclass
class FakeTelegram:
    """The fake server's state and its FastAPI app (`.app`)."""

    bot_username: str = BOT_USERNAME
    _calls: list[Call] = field(default_factory=list)
    _updates: deque[dict[str, Any]] = field(default_factory=deque)
    _blocked: set[int] = field(default_factory=set)
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def __post_init__(self) -> None:
        self.app = self._build_app()

    # ---- switches and assertions used by tests -------------------------------------------

    def block(self, chat_id: int) -> None:
        """Answer 403 "bot was blocked by the user" to every message for this chat."""
        with self._lock:
            self._blocked.add(int(chat_id))

    def unblock(self, chat_id: int) -> None:
        with self._lock:
            self._blocked.discard(int(chat_id))

    def fail_next(
        self,
        method: str | None = None,
        *,
        chat_id: int | None = None,
        code: int = 429,
        retry_after: int | None = 3,
        description: str | None = None,
    ) -> None:
        """Make the next matching call fail once (429 with retry_after by default)."""
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}" if code == 429 else "Bad Request"
            )
        with self._lock:
            self._failures.append(
                _Failure(method, chat_id, code, description, retry_after if code == 429 else None)
            )

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for the next getUpdates."""
        with self._lock:
            self._updates.append(update)

    def calls(self, method: str | None = None, *, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            found = list(self._calls)
        if method is not None:
            found = [c for c in found if c.method == method]
        if chat_id is not None:
            found = [c for c in found if c.chat_id == chat_id]
        return found

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        return [c.text for c in self.calls("sendMessage", chat_id=chat_id)]

    def last_message(self, chat_id: int) -> Call:
        sent = self.calls("sendMessage", chat_id=chat_id)
        assert sent, f"the bot sent nothing to chat {chat_id}; calls: {self.calls()}"
        return sent[-1]

    def clear(self) -> None:
        """Forget the recorded calls."""
        with self._lock:
            self._calls.clear()

    def reset(self) -> None:
        """Back to a fresh server: no calls, no queued updates, nobody blocked, no failures."""
        with self._lock:
            self._calls.clear()
            self._updates.clear()
            self._blocked.clear()
            self._failures.clear()

    def wait_for(self, method: str, *, count: int = 1, timeout: float = 10.0, **match: Any) -> Call:
        """Block until `count` calls of `method` whose params match `match` were recorded."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [
                    c
                    for c in self._calls
                    if c.method == method and all(c.params.get(k) == v for k, v in match.items())
                ]
                if len(found) >= count:
                    return found[count - 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {method} {match} within {timeout}s: {self._calls}")
                self._lock.wait(remaining)

    async def await_for(self, method: str, **kwargs: Any) -> Call:
        """`wait_for` for async tests (waits in a thread, so the event loop keeps running)."""
        return await asyncio.to_thread(self.wait_for, method, **kwargs)

    # ---- the HTTP side ---------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="fake Telegram Bot API")

        @app.api_route("/bot{token}/{method}", methods=["GET", "POST"])
        async def bot_method(token: str, method: str, request: Request) -> JSONResponse:
            params = await _read_params(request)
            if method == "getUpdates":
                return _ok(await self._get_updates(params))
            with self._lock:
                self._calls.append(Call(method, params, token))
                failure = self._take_failure(method, params)
                self._lock.notify_all()
            if failure is not None:
                return _error(failure.code, failure.description, failure.retry_after)
            return _ok(self._result(method, params))

        return app

    def _take_failure(self, method: str, params: dict[str, Any]) -> _Failure | None:
        chat_id = params.get("chat_id")
        if chat_id in self._blocked and method in CHAT_METHODS_WITH_MESSAGES:
            return _Failure(method, chat_id, 403, "Forbidden: bot was blocked by the user", None)
        for index, failure in enumerate(self._failures):
            if failure.method in (None, method) and failure.chat_id in (None, chat_id):
                return self._failures.pop(index)
        return None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), MAX_POLL_SECONDS)
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()  # confirmed by the offset, as Telegram does
                pending = [u for u in self._updates if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(0.02)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "GoatedVIPs",
                "username": self.bot_username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            chat_id = params.get("chat_id")
            return {
                "message_id": params.get("message_id") or next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if _positive(chat_id) else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "GoatedVIPs"},
                "text": params.get("text", ""),
            }
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True


async def _read_params(request: Request) -> dict[str, Any]:
    raw: dict[str, Any] = dict(request.query_params)
    ctype = request.headers.get("content-type", "")
    if "json" in ctype:
        raw.update(await request.json())
    elif request.method == "POST":
        form = await request.form()
        raw.update({k: v for k, v in form.items() if isinstance(v, str)})
    return {key: _decode(value) for key, value in raw.items()}


def _decode(value: Any) -> Any:
    """aiogram sends every field as a form string; numbers and JSON objects come back typed."""
    if not isinstance(value, str):
        return value
    if value.lstrip("-").isdigit():
        return int(value)
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _positive(chat_id: Any) -> bool:
    return isinstance(chat_id, int) and chat_id > 0


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(code: int, description: str, retry_after: int | None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=code)


# ---- Update builders -----------------------------------------------------------------------

_update_ids = itertools.count(1)
_incoming_message_ids = itertools.count(1)


def tg_user(
    user_id: int, username: str | None = None, first_name: str = "Player"
) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username is not None:
        user["username"] = username
    return user


def message_update(
    text: str,
    *,
    user_id: int,
    username: str | None = None,
    chat_id: int | None = None,
    chat_type: str = "private",
    first_name: str = "Player",
) -> dict[str, Any]:
    """A message Update; in a private chat the chat id is the user id, as in Telegram."""
    if chat_type == "private":
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            chat["username"] = username
    else:
        chat = {"id": chat_id if chat_id is not None else -100123, "type": chat_type}
        chat["title"] = "GoatedVIPs community"
    message: dict[str, Any] = {
        "message_id": next(_incoming_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": tg_user(user_id, username, first_name),
        "text": text,
    }
    if text.startswith("/"):
        command_length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": command_length}]
    return {"update_id": next(_update_ids), "message": message}


def callback_update(
    data: str,
    *,
    user_id: int,
    username: str | None = None,
    message_id: int = 1,
    chat_id: int | None = None,
    message_text: str = "",
) -> dict[str, Any]:
    """A button press on a message the bot sent to `chat_id` (the presser's private chat)."""
    chat = chat_id if chat_id is not None else user_id
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cq{next(_update_ids)}",
            "from": tg_user(user_id, username),
            "chat_instance": f"ci{chat}",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "GoatedVIPs"},
                "text": message_text,
            },
        },
    }
