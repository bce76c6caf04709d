"""POST /telegram/webhook: Telegram's updates, accepted only with the shared secret header."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from goatedvips.errors import NotAuthenticated, NotFound, PermissionDenied
from goatedvips.openapi import error_responses
from goatedvips.security import constant_time_equals
from goatedvips.telegram.runtime import WEBHOOK_PATH, TelegramRuntime

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
router = APIRouter(tags=["telegram"])


@router.post(
    WEBHOOK_PATH,
    summary="Telegram Bot API webhook (secret header required)",
    responses=error_responses(400, 401, 403, 404),
)
async def telegram_webhook(request: Request) -> Response:
    runtime: TelegramRuntime | None = getattr(request.app.state, "telegram", None)
    if runtime is None:
        raise NotFound("the Telegram bot is not enabled on this site")
    expected = runtime.settings.telegram_webhook_secret
    if not expected:
        # Without a configured secret anyone could post updates as any user: refuse everything.
        raise PermissionDenied("the webhook is disabled: TELEGRAM_WEBHOOK_SECRET is not set")
    given = request.headers.get(SECRET_HEADER)
    if not given:
        raise NotAuthenticated(f"the {SECRET_HEADER} header is missing")
    if not constant_time_equals(given, expected):
        raise PermissionDenied(f"the {SECRET_HEADER} header is wrong")
    try:
        update: Any = await request.json()
    except ValueError:
        return JSONResponse({"error": {"code": "invalid", "message": "body is not JSON"}}, 400)
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return JSONResponse(
            {"error": {"code": "invalid", "message": "body is not a Telegram Update"}}, 400
        )
    await runtime.process(update)
    return JSONResponse({"ok": True})
