"""What the system does to races on its own: live standings, start, freeze, template races.

- `refresh_standings` recomputes a live race from the snapshots (after every sync) and writes the
  participants; players who newly hold a prize position and have a verified site account are told.
- `start_due_races` moves upcoming races whose start has come to live and announces them.
- `finalize_race` freezes a race at its end from snapshots taken before `endDate`. The final rank,
  total and prize of every participant are written once, in one transaction guarded by a
  conditional UPDATE (`status` still open and `finalized_at` still empty): running it twice, or
  again after a crash half-way, neither loses nor doubles anything. Results go out in the same
  transaction through the notification outbox.
- `ensure_template_races` keeps the current and next monthly/weekly race in existence for every
  active template (a window that already has a race of that type, even a cancelled one, is left
  alone, so cancelling a template race does not bring it back).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips import live
from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.affiliate.privacy import load_privacy
from goatedvips.db import utcnow
from goatedvips.notifications.outbox import enqueue
from goatedvips.races.history import add_point
from goatedvips.races.models import RaceTemplate, WagerRace, WagerRaceParticipant
from goatedvips.races.prizes import validate_distribution
from goatedvips.races.queries import boards_changed
from goatedvips.races.standings import Result, compute_standings
from goatedvips.races.totals import window_totals
from goatedvips.races.windows import next_window, window_for

OPEN_STATUSES = ("upcoming", "live")
NAME_LENGTH = 64


async def compute_result(session: AsyncSession, race: WagerRace) -> Result:
    """The race's standings from the snapshots taken inside its window (before its end)."""
    totals = await window_totals(session, start=race.start_date, end=race.end_date)
    privacy = await load_privacy(session)
    return compute_standings(
        totals,
        pool=race.prize_pool,
        shares=validate_distribution(race.prize_distribution),
        min_wager=race.min_wager,
        excluded=privacy.excluded,
    )


async def _linked_users(session: AsyncSession) -> dict[str, User]:
    """Goated uid -> the site account that verified it."""
    users = await session.scalars(
        select(User).where(User.goated_uid.is_not(None), User.goated_verified.is_(True))
    )
    return {user.goated_uid: user for user in users if user.goated_uid}


class Written(NamedTuple):
    """A participant as written (what the notifications need)."""

    user_id: int | None
    goated_uid: str
    rank: int | None
    total_wager: Decimal
    prize: Decimal | None
    eligible: bool


_CHUNK = 2000


async def write_participants(
    session: AsyncSession,
    race: WagerRace,
    result: Result,
    *,
    now: dt.datetime,
    history: bool = True,
) -> list[tuple[Written, bool]]:
    """Make the participant rows match `result`; returns (row, newly in the prizes) pairs.

    Bulk: one read of the stored rows (without their history), then executemany UPDATEs of
    only the rows whose rank, total, prize, eligibility, name or account changed (the history is
    read and extended only for rows whose total moved), one bulk INSERT of the new players and a
    DELETE of those gone. No ORM object per row.
    """
    p = WagerRaceParticipant
    existing = {
        row.goated_uid: row
        for row in await session.execute(
            select(
                p.id,
                p.goated_uid,
                p.goated_name,
                p.total_wager,
                p.rank,
                p.prize,
                p.eligible,
                p.user_id,
            ).where(p.race_id == race.id)
        )
    }
    users = await _linked_users(session)
    written: list[tuple[Written, bool]] = []
    light: list[dict[str, Any]] = []  # rank/prize/eligible/name/user changes
    moved: dict[int, dict[str, Any]] = {}  # id -> changes with a new total (history too)
    new: list[dict[str, Any]] = []
    for standing in result.standings:
        row = existing.pop(standing.uid, None)
        user = users.get(standing.uid)
        user_id = user.id if user else None
        name = (standing.name or standing.uid)[:NAME_LENGTH]
        had_prize = row is not None and (row.prize or Decimal(0)) > 0
        values = {
            "user_id": user_id,
            "goated_name": name,
            "total_wager": standing.total,
            "rank": standing.rank,
            "prize": standing.prize,
            "eligible": standing.eligible,
            "updated_at": now,
        }
        if row is None:
            values.update(
                race_id=race.id,
                goated_uid=standing.uid,
                joined_at=now,
                wager_history=add_point(None, at=now, total=standing.total),
            )
            new.append(values)
        elif history and row.total_wager != standing.total:
            moved[row.id] = {"id": row.id, **values}
        elif (row.rank, row.prize, row.eligible, row.goated_name, row.user_id) != (
            standing.rank,
            standing.prize,
            standing.eligible,
            name,
            user_id,
        ):
            light.append({"id": row.id, **values})
        written.append(
            (
                Written(
                    user_id,
                    standing.uid,
                    standing.rank,
                    standing.total,
                    standing.prize,
                    standing.eligible,
                ),
                standing.prize > 0 and not had_prize,
            )
        )
    ids = list(moved)
    for index in range(0, len(ids), _CHUNK):
        chunk = ids[index : index + _CHUNK]
        histories = await session.execute(select(p.id, p.wager_history).where(p.id.in_(chunk)))
        for row_id, history in histories:
            values = moved[row_id]
            values["wager_history"] = add_point(history, at=now, total=values["total_wager"])
    for rows in (light, list(moved.values())):
        for index in range(0, len(rows), _CHUNK):
            await session.execute(update(p), rows[index : index + _CHUNK])
    for index in range(0, len(new), _CHUNK):
        await session.execute(insert(p), new[index : index + _CHUNK])
    gone = [row.id for row in existing.values()]  # excluded since, or a corrected feed
    for index in range(0, len(gone), _CHUNK):
        await session.execute(
            delete(p)
            .where(p.id.in_(gone[index : index + _CHUNK]))
            .execution_options(synchronize_session=False)
        )
    await session.flush()
    boards_changed(race.id)
    return written


async def _claim(
    session: AsyncSession, race_id: int, statuses: tuple[str, ...], **values: Any
) -> bool:
    """Take the race row for this transaction with a conditional UPDATE (`values`), while the race
    has one of `statuses` and isn't frozen. A concurrent claim waits for this one and then finds
    the row changed; when this one finds it so, the transaction is rolled back and False returned."""
    claimed = await session.execute(
        update(WagerRace)
        .where(
            WagerRace.id == race_id,
            WagerRace.status.in_(statuses),
            WagerRace.finalized_at.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        await session.rollback()
        return False
    return True


async def refresh_standings(
    session: AsyncSession, race_id: int, *, now: dt.datetime | None = None
) -> bool:
    """Recompute one live race and commit; False when the race is not live."""
    now = now or utcnow()
    race = await session.get(WagerRace, race_id, populate_existing=True)
    if race is None or race.status != "live" or race.finalized_at is not None:
        return False
    if race.end_date <= now:  # over: only the freeze may write it now
        return False
    result = await compute_result(session, race)
    # The refresh may run beside the freeze (a scheduled sync's hooks run in the background):
    # end the reading transaction (SQLite can't turn a read into a write once another writer
    # committed), then claim the race row like the freeze does. Whichever comes second waits
    # for the first; a refresh that finds the race frozen writes nothing.
    await session.commit()
    if not await _claim(session, race.id, ("live",), updated_at=now):
        return False
    written = await write_participants(session, race, result, now=now)
    users = {u.id: u for u in (await _linked_users(session)).values()}
    for row, entered_prizes in written:
        user = users.get(row.user_id) if row.user_id else None
        if entered_prizes and user is not None:
            await enqueue(
                session,
                user=user,
                kind="race_prize_position",
                subject=f"You're in the prizes of {race.title}",
                text=(
                    f"You are #{row.rank} in {race.title} with ${row.total_wager:,.2f} wagered, "
                    f"on course for ${row.prize:,.2f}. The race ends {race.end_date:%Y-%m-%d %H:%M} UTC."
                ),
                payload={"race_id": race.id, "rank": row.rank},
                dedupe_key=f"race:{race.id}:prize_position:user:{user.id}",
            )
    race.updated_at = now
    await session.commit()
    await live.publish(f"race:{race.id}", {"type": "standings", "raceId": race.id})
    return True


async def _announce_start(session: AsyncSession, race: WagerRace) -> None:
    players = await session.scalars(
        select(User).where(User.goated_verified.is_(True), User.disabled.is_(False))
    )
    for user in players:
        await enqueue(
            session,
            user=user,
            kind="race_start",
            subject=f"{race.title} has started",
            text=(
                f"{race.title} is live: ${race.prize_pool:,.2f} to win. Every wager on Goated "
                f"until {race.end_date:%Y-%m-%d %H:%M} UTC counts."
            ),
            payload={"race_id": race.id},
            dedupe_key=f"race:{race.id}:start:user:{user.id}",
        )


async def start_race(session: AsyncSession, race: WagerRace, *, now: dt.datetime) -> bool:
    """upcoming -> live in the caller's transaction (the conditional UPDATE makes it once only)."""
    moved = await session.execute(
        update(WagerRace)
        .where(WagerRace.id == race.id, WagerRace.status == "upcoming")
        .values(status="live", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    race.status = "live"
    await _announce_start(session, race)
    return True


async def start_due_races(session: AsyncSession, *, now: dt.datetime | None = None) -> list[int]:
    now = now or utcnow()
    due = list(
        await session.scalars(
            select(WagerRace).where(
                WagerRace.status == "upcoming",
                WagerRace.start_date <= now,
                WagerRace.end_date > now,
            )
        )
    )
    started = []
    for race in due:
        if await start_race(session, race, now=now):
            started.append(race.id)
        await session.commit()
    for race_id in started:
        await refresh_standings(session, race_id, now=now)
    return started


async def _announce_results(
    session: AsyncSession, race: WagerRace, written: list[tuple[Written, bool]]
) -> None:
    users = {u.id: u for u in (await _linked_users(session)).values()}
    for row, _ in written:
        user = users.get(row.user_id) if row.user_id else None
        if user is None:
            continue
        prize = f" and won ${row.prize:,.2f}" if row.prize and row.prize > 0 else ""
        await enqueue(
            session,
            user=user,
            kind="race_result",
            subject=f"{race.title}: you finished #{row.rank}",
            text=(
                f"{race.title} is over. You finished #{row.rank} with "
                f"${row.total_wager:,.2f} wagered{prize}."
            ),
            payload={"race_id": race.id, "rank": row.rank, "prize": str(row.prize or 0)},
            dedupe_key=f"race:{race.id}:result:user:{user.id}",
        )


async def finalize_race(
    session: AsyncSession, race_id: int, *, now: dt.datetime | None = None
) -> bool:
    """Freeze one race whose end has passed; False when there is nothing (left) to do."""
    now = now or utcnow()
    race = await session.get(WagerRace, race_id, populate_existing=True)
    if (
        race is None
        or race.status not in OPEN_STATUSES
        or race.finalized_at is not None
        or race.end_date > now
    ):
        return False
    result = await compute_result(session, race)
    claimed = await _claim(
        session, race.id, OPEN_STATUSES, status="completed", finalized_at=now, updated_at=now
    )
    if not claimed:  # another process froze it first
        return False
    race.status, race.finalized_at = "completed", now
    written = await write_participants(session, race, result, now=min(now, race.end_date))
    await _announce_results(session, race, written)
    await session.commit()
    await live.publish(f"race:{race.id}", {"type": "completed", "raceId": race.id})
    return True


async def finalize_due_races(session: AsyncSession, *, now: dt.datetime | None = None) -> list[int]:
    now = now or utcnow()
    due = await session.scalars(
        select(WagerRace.id).where(
            WagerRace.status.in_(OPEN_STATUSES),
            WagerRace.finalized_at.is_(None),
            WagerRace.end_date <= now,
        )
    )
    return [race_id for race_id in list(due) if await finalize_race(session, race_id, now=now)]


def _template_title(template: RaceTemplate, start: dt.datetime) -> str:
    period = f"{start:%B %Y}" if template.type == "monthly" else f"week of {start:%d %b %Y}"
    return f"{template.title} · {period}"[:128]


async def ensure_template_races(
    session: AsyncSession, *, now: dt.datetime | None = None
) -> list[int]:
    """Create the current and the next race of every active template when they are missing."""
    now = now or utcnow()
    created: list[int] = []
    templates = list(await session.scalars(select(RaceTemplate).where(RaceTemplate.active)))
    for template in templates:
        for start, end in (window_for(template.type, now), next_window(template.type, now)):
            clash = await session.scalar(
                select(WagerRace.id).where(
                    WagerRace.type == template.type,
                    WagerRace.start_date < end,
                    WagerRace.end_date > start,
                )
            )
            if clash is not None:
                continue
            race = WagerRace(
                title=_template_title(template, start),
                type=template.type,
                status="upcoming",
                prize_pool=template.prize_pool,
                prize_distribution=dict(template.prize_distribution),
                min_wager=template.min_wager,
                start_date=start,
                end_date=end,
                rules=template.rules,
                description=template.description,
                created_by=template.created_by,
            )
            session.add(race)
            await session.flush()
            record_audit(
                session,
                actor=Actor.system("races.templates"),
                action="race.create_from_template",
                target_type="wager_race",
                target_id=race.id,
                after={"templateId": template.id, "start": start, "end": end},
            )
            created.append(race.id)
        await session.commit()
    return created
