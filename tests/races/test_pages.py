"""Race pages: the live race with countdown, prizes and my highlighted row; completed races;
player profiles with tier and progress; the admin pages; markup in user text stays escaped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, update

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor
from goatedvips.affiliate.service import set_excluded_uids
from goatedvips.db import Database, utcnow
from goatedvips.races import lifecycle
from goatedvips.races.models import WagerRace
from tests.races.conftest import Feed, add_race, player
from tests.support.users import logged_in_user

D = Decimal
HTML = {"accept": "text/html"}


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path, headers=HTML)
    marker = 'name="csrf_token" value="'
    start = response.text.index(marker) + len(marker)
    return response.text[start : response.text.index('"', start)]


async def live_race(db: Database, feed: Feed, title: str = "March <script>x</script>") -> int:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    race_id = await add_race(
        db,
        title=title,
        start_date=now - dt.timedelta(hours=5),
        end_date=now + dt.timedelta(hours=5),
        prize_pool=D("100.00"),
        prize_distribution={"1": "60", "2": "40"},
        rules="No <i>bots</i>",
    )
    await feed.sync_at(
        now - dt.timedelta(hours=6),
        [
            player("u1", "Whale<b>", all_time=0),
            player("u2", "Shrimp", all_time=0),
            player("u3", "Krill", all_time=0),
        ],
    )
    await feed.sync_at(
        now - dt.timedelta(hours=1),
        [
            player("u1", "Whale<b>", all_time=20000),
            player("u2", "Shrimp", all_time=700),
            player("u3", "Krill", all_time=450),
        ],
    )
    return race_id


async def link(db: Database, user: User, uid: str, **extra: object) -> None:
    async with db.sessionmaker() as session:
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(goated_uid=uid, goated_verified=True, **extra)
        )
        await session.commit()


async def test_live_race_page_shows_countdown_prizes_and_my_row(
    client: httpx.AsyncClient, db: Database, feed: Feed
) -> None:
    race_id = await live_race(db, feed)
    user = await logged_in_user(db, client, "shrimpy")
    await link(db, user, "u2")
    page = (await client.get("/races", headers=HTML)).text
    assert "data-countdown=" in page and f'sse-connect="/races/{race_id}/stream"' in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    assert "Whale&lt;b&gt;" in page and "No &lt;i&gt;bots&lt;/i&gt;" in page
    assert "$60.00" in page and "$40.00" in page  # the prize table
    assert '<tr class="me" data-uid="u2">' in page
    assert "$19,300.00 behind the next place" in page
    fragment = (await client.get(f"/races/{race_id}/standings", headers=HTML)).text
    assert fragment.count("<tr") == 4 and '<tr class="me" data-uid="u2">' in fragment


async def test_completed_race_page_and_previous_winners(
    client: httpx.AsyncClient, db: Database, feed: Feed
) -> None:
    race_id = await live_race(db, feed, title="Sprint")
    async with db.sessionmaker() as session:
        await session.execute(
            update(WagerRace)
            .where(WagerRace.id == race_id)
            .values(end_date=utcnow().replace(microsecond=0))
        )
        await session.commit()
        assert await lifecycle.finalize_race(session, race_id)
    page = (await client.get(f"/races/{race_id}", headers=HTML)).text
    assert "Final" in page and "sse-connect" not in page and "Whale&lt;b&gt;" in page
    index = (await client.get("/races", headers=HTML)).text
    assert "Previous winners" in index and f'href="/races/{race_id}"' in index
    assert (await client.get("/races/424242", headers=HTML)).status_code == 404


async def test_player_profile_shows_tier_progress_and_hides_names(
    client: httpx.AsyncClient, db: Database, feed: Feed
) -> None:
    race_id = await live_race(db, feed)
    page = (await client.get("/players/u1", headers=HTML)).text
    assert "race-tier-bronze" in page and "Bronze" in page
    assert "$20,000.00 to <strong>Silver</strong>" in page and 'aria-valuenow="33"' in page
    assert f'href="/races/{race_id}"' in page
    user = await logged_in_user(db, client, "whale")
    await link(db, user, "u1", hide_name=True)
    hidden = (await client.get("/players/u1", headers=HTML)).text
    assert "Wh***b&gt;" in hidden and "Whale" not in hidden
    assert "Whale" not in (await client.get(f"/races/{race_id}", headers=HTML)).text
    async with db.sessionmaker() as session:
        await set_excluded_uids(session, uids=["u3"], actor=Actor.system())
        await session.commit()
    assert (await client.get("/players/u3", headers=HTML)).status_code == 404
    assert (await client.get("/players/nobody", headers=HTML)).status_code == 404


async def test_admin_pages_create_edit_and_refuse_bad_input(
    client: httpx.AsyncClient, db: Database
) -> None:
    await logged_in_user(db, client, "boss", is_admin=True)
    token = await csrf_of(client, "/admin/races")
    form = {
        "csrf_token": token,
        "title": "Weekend",
        "type": "custom",
        "start_date": "2031-05-03T00:00",
        "end_date": "2031-05-05T00:00",
        "prize_pool": "250",
        "min_wager": "0",
        "prize_distribution": "60, 30, 20",
    }
    refused = await client.post("/admin/races", data=form, headers=HTML)
    assert refused.status_code == 422 and "add up to 110" in refused.text
    assert 'value="Weekend"' in refused.text  # the form keeps what was typed
    created = await client.post("/admin/races", data=form | {"prize_distribution": "60, 40"})
    assert created.status_code == 303
    async with db.sessionmaker() as session:
        race = await session.scalar(select(WagerRace))
    assert race is not None and race.prize_distribution == {"1": "60", "2": "40"}
    edit = await client.post(
        f"/admin/races/{race.id}",
        data={"csrf_token": token, "title": "Long weekend", "end_date": "2031-05-06T00:00"},
    )
    assert edit.status_code == 303
    page = (await client.get(f"/admin/races/{race.id}", headers=HTML)).text
    assert "Long weekend" in page and "2031-05-06T00:00" in page
    cancelled = await client.post(f"/admin/races/{race.id}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    no_csrf = await client.post(f"/admin/races/{race.id}/cancel", data={}, headers=HTML)
    assert no_csrf.status_code == 403


async def test_admin_pages_are_for_admins_only(client: httpx.AsyncClient, db: Database) -> None:
    anonymous = await client.get("/admin/races", headers=HTML)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fadmin%2Fraces"
    await logged_in_user(db, client, "pleb")
    assert (await client.get("/admin/races", headers=HTML)).status_code == 403


@pytest.mark.usefixtures("clean_db")
async def test_templates_keep_the_current_and_next_race_going(db: Database) -> None:
    from goatedvips.notifications.models import NotificationOutbox
    from goatedvips.races.models import RaceTemplate
    from tests.support.users import make_user

    fan = await make_user(db, "fan")
    async with db.sessionmaker() as session:
        await session.execute(
            update(User).where(User.id == fan.id).values(goated_uid="u9", goated_verified=True)
        )
        session.add(
            RaceTemplate(
                title="Monthly",
                type="monthly",
                prize_pool=D("500"),
                prize_distribution={"1": "100"},
            )
        )
        await session.commit()
        now = dt.datetime(2026, 12, 20, 8, tzinfo=dt.UTC)
        first = await lifecycle.ensure_template_races(session, now=now)
        assert len(first) == 2
        assert await lifecycle.ensure_template_races(session, now=now) == []
        started = await lifecycle.start_due_races(session, now=now)
        races = list(await session.scalars(select(WagerRace).order_by(WagerRace.start_date)))
    assert [(r.title, r.status, r.start_date.month, r.end_date.year) for r in races] == [
        ("Monthly · December 2026", "live", 12, 2027),
        ("Monthly · January 2027", "upcoming", 1, 2027),
    ]
    assert started == [races[0].id]
    async with db.sessionmaker() as session:
        notices = list(await session.scalars(select(NotificationOutbox)))
    assert [(n.user_id, n.kind, n.dedupe_key) for n in notices] == [
        (fan.id, "race_start", f"race:{races[0].id}:start:user:{fan.id}:email")
    ]
