"""Commands for everyone: /start (and linking), /help, /verify, /stats, /notifications, /unlink."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor
from goatedvips.config import Settings
from goatedvips.errors import InvalidInput
from goatedvips.telegram import linking, verification
from goatedvips.telegram.alerts import alert_admins
from goatedvips.telegram.dispatcher import command_list
from goatedvips.telegram.guard import ensure_linked, ensure_private, private_chat_link
from goatedvips.telegram.models import TelegramUser
from goatedvips.telegram.ratelimits import VERIFY_COOLDOWN, limit
from goatedvips.telegram.stats import stats_text

router = Router(name="telegram-player")


@router.message(Command("start"))
async def start(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    settings: Settings,
    user: User | None,
) -> None:
    token = (command.args or "").strip()
    if message.chat.type != "private":
        link = await private_chat_link(bot)
        if token:
            await message.answer(
                f"Link tokens only work in a private chat with me, and this one was just posted "
                f"in a group: get a fresh link on the site and open it from {link}"
            )
        else:
            await message.answer(f"Hi! Talk to me in private: {link}")
        return
    if token:
        sender = message.from_user
        assert sender is not None
        linked = await linking.redeem_link_token(
            session, token=token, telegram_id=sender.id, telegram_username=sender.username
        )
        await message.answer(
            f"Linked! This Telegram account is now connected to the GoatedVIPs account "
            f"{linked.username}.\n"
            + (
                "Next: verify your Goated account with /verify <your Goated username>."
                if not linked.goated_verified
                else "Your Goated account is already verified. Try /stats."
            )
        )
        return
    await message.answer(_welcome(settings, user))


def _welcome(settings: Settings, user: User | None) -> str:
    lines = [
        "Welcome to GoatedVIPs — wager races, challenges and bonus codes for our Goated players."
    ]
    if user is None:
        lines.append(
            f"To get started, link this Telegram to your site account: open "
            f"{settings.base_url.rstrip('/')}/account/telegram and tap “Link Telegram”."
        )
    elif not user.goated_verified:
        lines.append(
            f"You're linked as {user.username}. Verify your Goated account: /verify <name>"
        )
    else:
        lines.append(f"You're linked as {user.username} (Goated: {user.goated_username}).")
    lines.append("Send /help to see everything I can do.")
    return "\n".join(lines)


@router.message(Command("help"))
async def help_command(message: Message, is_admin: bool) -> None:
    lines = ["Commands:"]
    lines += [f"/{name} — {description}" for name, description in command_list(admin=False)]
    if is_admin:
        lines.append("\nAdmin commands:")
        lines += [f"/{name} — {description}" for name, description in command_list(admin=True)]
    lines.append("\nAccount details are only shown in a private chat with me.")
    await message.answer("\n".join(lines))


@router.message(Command("verify"))
async def verify(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    settings: Settings,
    user: User | None,
    tg_user: TelegramUser,
) -> None:
    ensure_private(message)
    linked = ensure_linked(user)
    name = (command.args or "").strip()
    if not name:
        raise InvalidInput(
            "Tell me your Goated username: /verify <name> (for example /verify Yels789)."
        )
    await limit(f"verify:user:{linked.id}", VERIFY_COOLDOWN, what="verification requests")
    request = await verification.request_verification(
        session, user=linked, goated_name=name, telegram_username=tg_user.telegram_username
    )
    await alert_admins(bot, session, settings, request, linked)
    await message.answer(
        f"Request #{request.id} sent: Goated account {request.goated_username} "
        f"(uid {request.goated_uid}). An admin will review it and I'll tell you the result here."
    )


@router.message(Command("stats"))
async def stats(message: Message, session: AsyncSession, user: User | None) -> None:
    ensure_private(message)
    linked = ensure_linked(user)
    await message.answer(await stats_text(session, linked))


@router.message(Command("notifications"))
async def notifications(
    message: Message, command: CommandObject, session: AsyncSession, tg_user: TelegramUser
) -> None:
    ensure_private(message)
    choice = (command.args or "").strip().lower()
    if choice in ("on", "off"):
        tg_user.notifications_enabled = choice == "on"
    elif choice == "":
        tg_user.notifications_enabled = not tg_user.notifications_enabled
    else:
        raise InvalidInput("Use /notifications on, /notifications off, or just /notifications.")
    await session.commit()
    state = "on" if tg_user.notifications_enabled else "off"
    await message.answer(
        f"Telegram notifications are now {state}. "
        + (
            "Choose which kinds you get on the site's account page."
            if state == "on"
            else "Send /notifications on to get them again."
        )
    )


@router.message(Command("unlink"))
async def unlink(message: Message, session: AsyncSession, user: User | None) -> None:
    ensure_private(message)
    linked = ensure_linked(user)
    sender = message.from_user
    assert sender is not None
    await linking.unlink_telegram(
        session, user=linked, actor=Actor.telegram(sender.id, user=linked)
    )
    await message.answer(
        f"This Telegram account is no longer linked to {linked.username}. "
        "To link again, get a new link on the site."
    )
