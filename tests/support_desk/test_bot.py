"""`/support <text>` over the real webhook and the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from goatedvips.db import Database
from goatedvips.support.models import SupportTicket
from tests.support.bot_fixtures import BotDriver
from tests.support.users import login, make_user

TELEGRAM_ID = 4242


@pytest.fixture
async def linked_player(
    telegram_app: FastAPI, clean_db: Database, tg: BotDriver
) -> AsyncIterator[httpx.AsyncClient]:
    """A site player whose Telegram is linked through the real flow; their logged-in client."""
    await make_user(clean_db, "dora")
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=telegram_app, client=("198.51.100.77", 5000)),
        base_url="http://testserver",
    )
    await login(http, "dora")
    token = (await http.post("/api/me/telegram/link", json={})).json()["token"]
    assert "Linked" in await tg.reply(f"/start {token}", user_id=TELEGRAM_ID)
    yield http
    await http.aclose()


async def _tickets(db: Database) -> list[SupportTicket]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(SupportTicket).order_by(SupportTicket.id)))


async def test_a_linked_player_opens_a_ticket_from_the_bot(
    tg: BotDriver, linked_player: httpx.AsyncClient, clean_db: Database
) -> None:
    text = "My weekly prize <b>never</b> arrived\nI was 2nd on the board last week."
    [*_, sent] = await tg.send(f"/support {text}", user_id=TELEGRAM_ID)
    answer = sent.text
    assert "parse_mode" not in sent.params  # plain text: the player's words can't become markup
    [ticket] = await _tickets(clean_db)
    assert f"Ticket #{ticket.id} opened" in answer
    assert f"http://testserver/support/tickets/{ticket.id}" in answer
    assert ticket.subject == "My weekly prize <b>never</b> arrived"
    assert ticket.description == text
    mine = (await linked_player.get("/api/support/tickets")).json()
    assert [t["id"] for t in mine["items"]] == [ticket.id]


async def test_long_first_lines_become_a_shortened_subject(
    tg: BotDriver, linked_player: httpx.AsyncClient, clean_db: Database
) -> None:
    words = "word " * 40
    await tg.reply(f"/support {words}", user_id=TELEGRAM_ID)
    [ticket] = await _tickets(clean_db)
    assert len(ticket.subject) <= 80 and ticket.subject.endswith("…")
    assert ticket.description == words.strip()


async def test_the_bot_explains_every_refusal(
    tg: BotDriver, linked_player: httpx.AsyncClient, clean_db: Database
) -> None:
    assert "Tell us what happened" in await tg.reply("/support", user_id=TELEGRAM_ID)
    assert "in a few words" in await tg.reply("/support ok", user_id=TELEGRAM_ID)
    too_long = await tg.reply("/support " + "x" * 5001, user_id=TELEGRAM_ID)
    assert "at most 5000 characters" in too_long
    assert await _tickets(clean_db) == []


async def test_unlinked_people_and_groups_are_turned_away(
    tg: BotDriver, clean_db: Database
) -> None:
    assert "not linked" in await tg.reply("/support help me", user_id=5151)
    group = await tg.reply("/support help me", user_id=5151, chat_type="group", chat_id=-100123)
    assert "private chat" in group
    assert await _tickets(clean_db) == []
