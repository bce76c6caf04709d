"""The create-admin command's work, kept beside the accounts service it calls."""

from __future__ import annotations

from goatedvips.accounts import service
from goatedvips.config import Settings
from goatedvips.db import Database


async def create_admin_account(
    settings: Settings, *, username: str, email: str, password: str
) -> int:
    db = Database(settings.database_url)
    try:
        async with db.sessionmaker() as session:
            user = await service.create_user(
                session,
                username=username,
                email=email,
                password=password,
                is_admin=True,
                email_verified=True,
            )
            return user.id
    finally:
        await db.dispose()
