"""What the site's JSON routes and pages share: deep links, verification requests and decisions
made from the web (the bot, when running, tells admins about new requests)."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor
from goatedvips.config import Settings
from goatedvips.security import client_ip
from goatedvips.telegram import linking, verification
from goatedvips.telegram.alerts import alert_admins
from goatedvips.telegram.models import TelegramUser, VerificationRequest
from goatedvips.telegram.ratelimits import LINK_TOKEN_RATE, VERIFY_COOLDOWN, limit
from goatedvips.telegram.runtime import TelegramRuntime


def runtime_of(request: Request) -> TelegramRuntime | None:
    return getattr(request.app.state, "telegram", None)


async def bot_username(request: Request, settings: Settings) -> str:
    runtime = runtime_of(request)
    return await runtime.username() if runtime else settings.telegram_bot_username


async def new_link(
    request: Request, session: AsyncSession, settings: Settings, user: User
) -> tuple[linking.LinkToken, str]:
    """A fresh link token and its deep link `https://t.me/<bot>?start=<token>`."""
    await limit(f"link:user:{user.id}", LINK_TOKEN_RATE, what="link requests")
    token = await linking.create_link_token(session, user=user)
    return token, f"https://t.me/{await bot_username(request, settings)}?start={token.token}"


async def open_verification(
    request: Request, session: AsyncSession, settings: Settings, user: User, goated_name: str
) -> VerificationRequest:
    await limit(f"verify:user:{user.id}", VERIFY_COOLDOWN, what="verification requests")
    tg_username = await session.scalar(
        select(TelegramUser.telegram_username).where(TelegramUser.user_id == user.id)
    )
    created = await verification.request_verification(
        session, user=user, goated_name=goated_name, telegram_username=tg_username
    )
    runtime = runtime_of(request)
    if runtime is not None:
        await alert_admins(runtime.bot, session, settings, created, user)
    return created


async def decide_from_web(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    admin: User,
    request_id: int,
    *,
    approve: bool,
    notes: str | None,
) -> verification.Decision:
    actor = Actor.for_user(admin, ip=client_ip(request, settings))
    return await verification.decide(
        session, request_id=request_id, approve=approve, actor=actor, notes=notes
    )
