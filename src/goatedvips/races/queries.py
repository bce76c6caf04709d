"""Reading races for the public surfaces (JSON, pages): stored standings with privacy applied.

Standings are read from the participant rows the last sync (or the freeze) wrote, never from the
feed on a request; a live race's stored totals are re-ranked with the current exclusions so an
exclusion applies at once, while a completed race shows its frozen ranks and prizes. Excluded uids are left out and hidden names masked here, so no public surface can
forget to.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.affiliate.privacy import PrivacyRules, load_privacy
from goatedvips.db import money_from_db
from goatedvips.errors import NotFound
from goatedvips.races.models import WagerRace, WagerRaceParticipant
from goatedvips.races.prizes import from_cents, position_amounts, validate_distribution
from goatedvips.races.schemas import (
    PrizeRow,
    RaceDetailOut,
    RaceOut,
    RacePositionOut,
    StandingOut,
)
from goatedvips.races.standings import PlayerTotal, Standing, compute_standings

TYPE_ORDER = case({"monthly": 0, "weekly": 1}, value=WagerRace.type, else_=2)


def race_out(race: WagerRace) -> RaceOut:
    return RaceOut.model_validate(race)


@dataclass(frozen=True, slots=True)
class Board:
    """A race's public standings (all of them, privacy applied) and its prize table."""

    race: WagerRace
    standings: list[Standing]
    prizes: list[PrizeRow]
    unawarded: Decimal
    positions: dict[str, int] = field(default_factory=dict)  # uid -> index in `standings`

    def standing(self, uid: str | None) -> Standing | None:
        index = self.positions.get(uid) if uid else None
        return self.standings[index] if index is not None else None

    def gap_to_next(self, uid: str) -> Decimal | None:
        """`standings.gap_to_next` without scanning the board (it is ordered by total)."""
        index = self.positions.get(uid)
        if index is None:
            return None
        mine = self.standings[index].total
        while index > 0:
            index -= 1
            if self.standings[index].total > mine:
                return self.standings[index].total - mine
        return None


@dataclass(frozen=True, slots=True)
class _Built:
    standings: list[Standing]
    prizes: list[PrizeRow]
    unawarded: Decimal
    positions: dict[str, int]


# Boards built in this process, by race and by everything that can change them: the race row
# (every refresh, freeze or admin change moves `updated_at`), the privacy rules (a hidden name or
# an exclusion applies at once) and a per-race generation bumped by every write here. Shared by
# the web's requests and the job thread (which builds each board after a refresh), hence the lock.
BOARDS_KEPT = 16
_boards: OrderedDict[tuple[Any, ...], _Built] = OrderedDict()
_generations: dict[int, int] = {}
_boards_lock = threading.Lock()


def boards_changed(race_id: int) -> None:
    """The participants of a race were written in this process: build its board again."""
    with _boards_lock:
        _generations[race_id] = _generations.get(race_id, 0) + 1


def _board_key(session: AsyncSession, race: WagerRace, privacy: PrivacyRules) -> tuple[Any, ...]:
    return (
        str(session.get_bind().url),
        race.id,
        _generations.get(race.id, 0),
        race.created_at,
        race.updated_at,
        race.status,
        race.finalized_at,
        race.prize_pool,
        race.min_wager,
        tuple(sorted((str(k), str(v)) for k, v in race.prize_distribution.items())),
        privacy.fingerprint,
    )


async def load_board(
    session: AsyncSession, race: WagerRace, privacy: PrivacyRules | None = None
) -> Board:
    """The board of a race, built once per change of the race, its rows or the privacy rules
    and then served from memory (a request with 58k participants costs no re-ranking)."""
    privacy = privacy or await load_privacy(session)
    with _boards_lock:
        key = _board_key(session, race, privacy)
        built = _boards.get(key)
        if built is not None:
            _boards.move_to_end(key)
    if built is None:
        built = await _build_board(session, race, privacy)
        with _boards_lock:
            _boards[key] = built
            while len(_boards) > BOARDS_KEPT:
                _boards.popitem(last=False)
    return Board(race, built.standings, built.prizes, built.unawarded, built.positions)


# Untyped columns: the driver's own values, turned into Decimal and bool in the worker thread
# (with the column types, that conversion ran on the event loop for every row).
_PARTICIPANT_ROWS = text(
    "SELECT rank, goated_uid, goated_name, total_wager, eligible, prize "
    f"FROM {WagerRaceParticipant.__tablename__} WHERE race_id = :race_id "
    "ORDER BY rank, goated_uid"
)


async def _build_board(session: AsyncSession, race: WagerRace, privacy: PrivacyRules) -> _Built:
    rows = (await session.execute(_PARTICIPANT_ROWS, {"race_id": race.id})).all()
    # Ranking tens of thousands of rows is CPU work: in a worker thread, so the event loop keeps
    # answering meanwhile (from the page cache and the boards already built).
    return await asyncio.to_thread(_rank_board, _RaceTerms.of(race), rows, privacy)


@dataclass(frozen=True, slots=True)
class _RaceTerms:
    """What ranking a race's board needs from its row (plain values, safe in another thread)."""

    status: str
    prize_pool: Decimal
    min_wager: Decimal
    prize_distribution: dict[str, Any]

    @classmethod
    def of(cls, race: WagerRace) -> _RaceTerms:
        return cls(race.status, race.prize_pool, race.min_wager, dict(race.prize_distribution))


def _rank_board(race: _RaceTerms, raw: Sequence[Any], privacy: PrivacyRules) -> _Built:
    rows = [
        (
            rank,
            uid,
            name,
            money_from_db(total),
            bool(eligible),
            None if prize is None else money_from_db(prize),
        )
        for rank, uid, name, total, eligible, prize in raw
    ]
    shares = validate_distribution(race.prize_distribution)
    if race.status == "live":
        # Exclusions made since the last sync apply at once: re-rank the stored totals.
        stored = compute_standings(
            [PlayerTotal(uid, name, total) for _, uid, name, total, _, _ in rows],
            pool=race.prize_pool,
            shares=shares,
            min_wager=race.min_wager,
            excluded=privacy.excluded,
        ).standings
    else:
        stored = [
            Standing(
                rank=rank or 0,
                uid=uid,
                name=name,
                total=total,
                eligible=eligible,
                prize=prize or Decimal("0.00"),
            )
            for rank, uid, name, total, eligible, prize in rows
            if not privacy.is_excluded(uid)
        ]
    hidden = privacy.hidden
    standings = [
        replace(s, name=privacy.public_name(s.uid, s.name)) if s.uid in hidden or not s.name else s
        for s in stored
    ]
    amounts = position_amounts(race.prize_pool, shares)
    held = sum(1 for s in standings if s.eligible)
    prizes = [
        PrizeRow(
            position=position,
            share=str(race.prize_distribution[str(position)]),
            amount=from_cents(cents),
            awarded=position <= held,
        )
        for position, cents in enumerate(amounts, start=1)
    ]
    unawarded = sum((p.amount for p in prizes if not p.awarded), Decimal("0.00"))
    positions = {s.uid: index for index, s in enumerate(standings)}
    return _Built(standings, prizes, unawarded, positions)


def detail_out(board: Board, *, limit: int = 50, offset: int = 0) -> RaceDetailOut:
    race = board.race
    return RaceDetailOut(
        **race_out(race).model_dump(),
        standings=[
            StandingOut(
                rank=s.rank,
                uid=s.uid,
                name=s.name,
                total_wager=s.total,
                prize=s.prize,
                eligible=s.eligible,
            )
            for s in board.standings[offset : offset + limit]
        ],
        participants=len(board.standings),
        prizes=board.prizes,
        unawarded=board.unawarded,
        updated_at=race.updated_at,
    )


async def get_race(session: AsyncSession, race_id: int) -> WagerRace:
    race = await session.get(WagerRace, race_id)
    if race is None:
        raise NotFound(f"race {race_id} not found")
    return race


async def list_races(
    session: AsyncSession, *, status: str | None, limit: int, offset: int
) -> tuple[int, list[WagerRace]]:
    query = select(WagerRace)
    if status:
        query = query.where(WagerRace.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    newest_first = status in (None, "completed", "cancelled")
    order = WagerRace.start_date.desc() if newest_first else WagerRace.start_date.asc()
    races = await session.scalars(query.order_by(order, WagerRace.id).limit(limit).offset(offset))
    return total, list(races)


async def current_race(session: AsyncSession) -> WagerRace | None:
    """The live race (monthly before weekly before custom, then the one ending first), or else
    the next upcoming one."""
    live = await session.scalar(
        select(WagerRace)
        .where(WagerRace.status == "live")
        .order_by(TYPE_ORDER, WagerRace.end_date, WagerRace.id)
        .limit(1)
    )
    if live is not None:
        return live
    return await session.scalar(
        select(WagerRace)
        .where(WagerRace.status == "upcoming")
        .order_by(WagerRace.start_date, TYPE_ORDER, WagerRace.id)
        .limit(1)
    )


async def recent_winners(session: AsyncSession, *, races: int = 5, top: int = 3) -> list[Board]:
    """The last completed races with their top finishers (privacy applied)."""
    completed = await session.scalars(
        select(WagerRace)
        .where(WagerRace.status == "completed")
        .order_by(WagerRace.end_date.desc(), WagerRace.id.desc())
        .limit(races)
    )
    privacy = await load_privacy(session)
    boards = []
    for race in completed:
        board = await load_board(session, race, privacy)
        boards.append(Board(race, board.standings[:top], board.prizes, board.unawarded))
    return boards


def linked_uid(user: User) -> str | None:
    """The Goated uid this account verified (an unverified claim counts for nothing)."""
    return user.goated_uid if user.goated_verified and user.goated_uid else None


def position_in(board: Board, uid: str) -> RacePositionOut | None:
    mine = board.standing(uid)
    if mine is None:
        return None
    gap = board.gap_to_next(uid)
    return RacePositionOut(
        race_id=board.race.id,
        rank=mine.rank,
        total_wager=mine.total,
        gap_to_next=gap,
        prize=mine.prize,
        eligible=mine.eligible,
    )


async def race_position(
    session: AsyncSession, *, user: User, race_id: int | None = None
) -> RacePositionOut:
    uid = linked_uid(user)
    if uid is None:
        raise NotFound("link and verify your Goated account to see your race position")
    race = await get_race(session, race_id) if race_id else await current_race(session)
    if race is None:
        raise NotFound("no race is running right now")
    position = position_in(await load_board(session, race), uid)
    if position is None:
        raise NotFound(f"you have no wager in {race.title} yet")
    return position
