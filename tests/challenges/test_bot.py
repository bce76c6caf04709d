"""The bot side: /challenges lists, /enter enters with a bet link, /bonus lists and claims."""

from __future__ import annotations

from sqlalchemy import select, update

from goatedvips.accounts.models import User
from goatedvips.db import Database, utcnow
from goatedvips.telegram.models import TelegramUser
from tests.bonuses.helpers import add_code, set_verified
from tests.challenges.helpers import add_challenge
from tests.support.bot_fixtures import BotDriver
from tests.support.users import make_user

PLAYER_TG = 700123


async def _linked_player(db: Database, *, verified: bool = True) -> User:
    user = await make_user(db, "tgplayer")
    async with db.sessionmaker() as session:
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(telegram_id=PLAYER_TG, telegram_verified=True, telegram_verified_at=utcnow())
        )
        # The bot records every sender, so the row may exist from an earlier message.
        tg_user = await session.scalar(
            select(TelegramUser).where(TelegramUser.telegram_id == PLAYER_TG)
        )
        if tg_user is None:
            tg_user = TelegramUser(telegram_id=PLAYER_TG)
            session.add(tg_user)
        tg_user.user_id, tg_user.is_verified = user.id, True
        await session.commit()
    if verified:
        await set_verified(db, user.id)
    return user


async def test_challenges_and_enter(tg: BotDriver, clean_db: Database) -> None:
    challenge = await add_challenge(clean_db, max_winners=5)
    listed = await tg.reply("/challenges", user_id=PLAYER_TG)
    assert f"#{challenge.id} 100x on Limbo" in listed and "5/5 places left" in listed

    assert "not linked" in await tg.reply(
        f"/enter {challenge.id} goated.com/bet/TG1234", user_id=PLAYER_TG
    )
    await _linked_player(clean_db)
    assert "Send /enter" in await tg.reply("/enter soon", user_id=PLAYER_TG)
    assert "paste the share link" in await tg.reply(
        f"/enter {challenge.id} https://example.com/x", user_id=PLAYER_TG
    )
    entered = await tg.reply(f"/enter {challenge.id} goated.com/bet/TG1234", user_id=PLAYER_TG)
    assert "received" in entered
    again = await tg.reply(f"/enter {challenge.id} goated.com/bet/TG5678", user_id=PLAYER_TG)
    assert "already entered" in again


async def test_unverified_players_are_told_how_to_verify(tg: BotDriver, clean_db: Database) -> None:
    challenge = await add_challenge(clean_db)
    await _linked_player(clean_db, verified=False)
    answer = await tg.reply(f"/enter {challenge.id} goated.com/bet/TG1234", user_id=PLAYER_TG)
    assert "/verify" in answer


async def test_bonus_lists_and_claims(tg: BotDriver, clean_db: Database) -> None:
    code = await add_code(clean_db, "TGDROP1", description="Telegram drop")
    await _linked_player(clean_db)
    listed = await tg.reply("/bonus", user_id=PLAYER_TG)
    assert f"#{code.id} $20.00 Telegram drop" in listed and "TGDROP1" not in listed
    claimed = await tg.reply(f"/bonus claim {code.id}", user_id=PLAYER_TG)
    assert "TGDROP1" in claimed
    assert "already claimed" in await tg.reply(f"/bonus claim {code.id}", user_id=PLAYER_TG)
    mine = await tg.reply("/bonus", user_id=PLAYER_TG)
    assert "Your codes:" in mine and "TGDROP1" in mine
