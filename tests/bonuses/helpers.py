"""Shared by the challenge and bonus code tests: verified players, admins, codes, logged-in clients."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import update

from goatedvips.accounts.models import User
from goatedvips.bonuses.models import BonusCode
from goatedvips.db import Database, utcnow
from goatedvips.notifications.models import NotificationPreferences
from tests.support.users import login, make_user


async def set_verified(db: Database, user_id: int, verified: bool = True) -> None:
    """What the Telegram verification flow does once an admin approves the Goated account."""
    async with db.sessionmaker() as session:
        await session.execute(
            update(User).where(User.id == user_id).values(goated_verified=verified)
        )
        await session.commit()


async def opt_in_promotions(db: Database, user_id: int) -> None:
    async with db.sessionmaker() as session:
        await session.execute(
            update(NotificationPreferences)
            .where(NotificationPreferences.user_id == user_id)
            .values(promotional_offers=True)
        )
        await session.commit()


async def verified_player(db: Database, client: httpx.AsyncClient, username: str) -> User:
    user = await make_user(db, username)
    await set_verified(db, user.id)
    await login(client, username)
    return user


async def admin(db: Database, client: httpx.AsyncClient, username: str = "boss") -> User:
    user = await make_user(db, username, is_admin=True)
    await login(client, username)
    return user


async def add_code(
    db: Database,
    code: str = "GOAT20",
    *,
    value: str = "20.00",
    purpose: str = "drop",
    expires_in: dt.timedelta = dt.timedelta(days=1),
    **columns: Any,
) -> BonusCode:
    async with db.sessionmaker() as session:
        row = BonusCode(
            code=code,
            description=columns.pop("description", "test code"),
            value=Decimal(value),
            purpose=purpose,
            expires_at=utcnow() + expires_in,
            **columns,
        )
        session.add(row)
        await session.commit()
        return row


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    """Load a page (setting the CSRF cookie) and return the token its forms carry."""
    response = await client.get(path, headers={"accept": "text/html"})
    marker = 'name="csrf_token" value="'
    start = response.text.index(marker) + len(marker)
    return response.text[start : response.text.index('"', start)]
