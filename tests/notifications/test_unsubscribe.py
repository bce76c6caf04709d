"""One-click unsubscribe: the link in each optional e-mail, the confirm page, RFC 8058 POST."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import time_machine
from sqlalchemy import select

from goatedvips.accounts.models import User
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.notifications.delivery import deliver_due
from goatedvips.notifications.models import NotificationPreferences
from goatedvips.notifications.tokens import unsubscribe_token
from tests.notifications.helpers import NOW, player, queue
from tests.support.smtp import SmtpSink

HTML = {"accept": "text/html"}
ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}


async def _prefs(db: Database, user_id: int) -> NotificationPreferences:
    async with db.sessionmaker() as session:
        prefs = await session.scalar(
            select(NotificationPreferences).where(NotificationPreferences.user_id == user_id)
        )
        assert prefs is not None
        return prefs


async def _link_from_mail(
    db: Database, settings: Settings, mail: SmtpSink, kind: str
) -> tuple[str, User]:
    user = await player(db, "alice", promotional_offers=True)
    await queue(db, user, kind)
    await deliver_due(db, settings, now=NOW)
    (message,) = mail.to("alice@example.com")
    return str(message["List-Unsubscribe"]).strip("<>"), user


async def test_one_click_post_turns_only_that_kind_off_and_reuse_is_harmless(
    clean_db: Database, settings: Settings, mail: SmtpSink, client: httpx.AsyncClient
) -> None:
    link, user = await _link_from_mail(clean_db, settings, mail, "race_result")
    path = link.removeprefix("http://testserver")

    page = await client.get(path, headers=HTML)
    assert page.status_code == 200 and "Unsubscribe from race updates?" in page.text
    assert (await _prefs(clean_db, user.id)).wager_race_updates is True  # GET changes nothing

    done = await client.post(path, content="List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert done.status_code == 200 and "unsubscribed" in done.text
    prefs = await _prefs(clean_db, user.id)
    assert prefs.wager_race_updates is False
    assert prefs.vip_status_changes and prefs.monthly_statements and prefs.promotional_offers

    again = await client.post(path, content="List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert again.status_code == 200 and "Already unsubscribed" in again.text

    # And the switch is honoured: the next race update is not even queued.
    await queue(clean_db, user, "race_start")
    await deliver_due(clean_db, settings, now=NOW)
    assert len(mail.messages) == 1


async def test_confirm_form_posts_the_token(
    clean_db: Database, settings: Settings, mail: SmtpSink, client: httpx.AsyncClient
) -> None:
    link, user = await _link_from_mail(clean_db, settings, mail, "broadcast")
    token = parse_qs(urlparse(link).query)["token"][0]
    page = await client.get("/unsubscribe", params={"token": token}, headers=HTML)
    assert "promotional offers" in page.text and f'value="{token}"' in page.text
    done = await client.post("/unsubscribe", data={"token": token}, headers=HTML)
    assert done.status_code == 200
    assert (await _prefs(clean_db, user.id)).promotional_offers is False


async def test_tampered_token_is_refused_with_a_clear_page_and_writes_nothing(
    clean_db: Database, settings: Settings, mail: SmtpSink, client: httpx.AsyncClient
) -> None:
    link, user = await _link_from_mail(clean_db, settings, mail, "race_result")
    token = parse_qs(urlparse(link).query)["token"][0]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (
        forged,
        "",
        "not-a-token",
        unsubscribe_token(
            settings.model_copy(update={"secret_key": "y" * 40}),
            user_id=1,
            preference="wager_race_updates",
        ),
    ):
        page = await client.get("/unsubscribe", params={"token": bad}, headers=HTML)
        assert page.status_code == 400 and "not valid" in page.text
        post = await client.post(
            "/unsubscribe",
            params={"token": bad},
            content="List-Unsubscribe=One-Click",
            headers=ONE_CLICK,
        )
        assert post.status_code == 400
    assert (await _prefs(clean_db, user.id)).wager_race_updates is True


async def test_expired_link_answers_410_and_points_to_settings(
    clean_db: Database, settings: Settings, mail: SmtpSink, client: httpx.AsyncClient
) -> None:
    user = await player(clean_db, "bob")
    with time_machine.travel(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), tick=False):
        token = unsubscribe_token(settings, user_id=user.id, preference="monthly_statements")
    page = await client.get("/unsubscribe", params={"token": token}, headers=HTML)
    assert page.status_code == 410 and "expired" in page.text
    assert (await _prefs(clean_db, user.id)).monthly_statements is True


async def test_link_for_a_deleted_account_is_harmless(
    clean_db: Database, settings: Settings, client: httpx.AsyncClient
) -> None:
    token = unsubscribe_token(settings, user_id=999, preference="vip_status_changes")
    page = await client.post("/unsubscribe", data={"token": token}, headers=HTML)
    assert page.status_code == 200 and "no longer exists" in page.text


def test_transactional_kinds_have_no_unsubscribe_token(settings: Settings) -> None:
    for preference in ("support_reply", "email_notifications", "push_notifications"):
        with pytest.raises(ValueError):
            unsubscribe_token(settings, user_id=1, preference=preference)
