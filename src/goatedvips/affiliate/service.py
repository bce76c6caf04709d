"""The affiliate sync and the admin settings of the feed.

One sync: fetch the whole list (outside any transaction) -> parse -> in ONE transaction upsert
every player, add a snapshot for each player whose name or counters changed (a first sighting
always does), record a `sync_runs` row -> commit -> refresh the leaderboards -> run every domain's
`after_sync` hook. Until the commit nothing is visible; after it, all of it is.

A fetch or parse failure, an empty list while players are stored, or a database error writes only a
`failed` sync run (with the reason) and touches no player data. Players missing from a feed are
kept as they were. Syncs run one at a time (`locking.sync_lock`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.admin.audit import Actor, record_audit
from goatedvips.admin.models import AppSetting
from goatedvips.affiliate import metrics, store
from goatedvips.affiliate.client import (
    GoatedAuthError,
    GoatedClient,
    GoatedHTTPError,
    GoatedUnavailableError,
)
from goatedvips.affiliate.feed import FeedFormatError, ParsedFeed
from goatedvips.affiliate.leaderboard import Ranking, leaderboards_changed, rank_players
from goatedvips.affiliate.locking import SyncAlreadyRunning, sync_lock
from goatedvips.affiliate.models import AffiliatePlayer, SyncRun
from goatedvips.affiliate.privacy import (
    EXCLUDED_UIDS_KEY,
    PrivacyRules,
    clean_uids,
    excluded_uids,
    load_privacy,
)
from goatedvips.affiliate.token import token_status
from goatedvips.config import Settings
from goatedvips.db import Database, utcnow
from goatedvips.errors import DomainError, InvalidInput
from goatedvips.jobs import JobContext
from goatedvips.logging import get_logger

log = get_logger(__name__)
DEFAULT_LOCK_WAIT_SECONDS = 60.0
MAX_EXCLUDED_UIDS = 1000
MAX_ERROR_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What a successful sync did; handed to every `after_sync(ctx, result)` hook."""

    sync_run_id: int
    started_at: dt.datetime
    finished_at: dt.datetime
    taken_at: dt.datetime  # when the feed was read: the time of the stored counters
    players: int
    changed: int
    new_players: int = 0
    skipped: int = 0
    changed_uids: frozenset[str] = field(default_factory=frozenset, repr=False)
    # Seconds per step (fetch = download and parse, load, diff, write = write and commit,
    # leaderboards = the rebuild); for logs and benchmarks, not part of the summary.
    phases: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    @property
    def duration_ms(self) -> int:
        return int((self.finished_at - self.started_at).total_seconds() * 1000)

    def summary(self) -> dict[str, Any]:
        return {
            "status": "success",
            "syncRunId": self.sync_run_id,
            "startedAt": self.started_at.isoformat(),
            "finishedAt": self.finished_at.isoformat(),
            "takenAt": self.taken_at.isoformat(),
            "players": self.players,
            "changed": self.changed,
            "newPlayers": self.new_players,
            "skipped": self.skipped,
            "durationMs": self.duration_ms,
        }


class SyncFailed(DomainError):
    """The sync stored nothing; `reason` is the metric label, the message is for admins."""

    status_code = 502
    code = "sync_failed"

    def __init__(self, message: str, *, reason: str, sync_run_id: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.sync_run_id = sync_run_id


def classify(exc: BaseException) -> tuple[str, str]:
    """(reason label, message for admins) of a failed fetch, parse or write."""
    if isinstance(exc, GoatedAuthError):
        return (
            "token",
            f"Goated API token rejected (HTTP {exc.status_code}): renew GOATED_API_TOKEN",
        )
    if isinstance(exc, GoatedUnavailableError):
        return "unavailable", str(exc)
    if isinstance(exc, FeedFormatError):
        return "malformed", f"malformed feed: {exc}"
    if isinstance(exc, GoatedHTTPError):
        return "http", str(exc)
    if isinstance(exc, SyncFailed):
        return exc.reason, exc.message
    if type(exc).__module__.startswith(("sqlalchemy", "psycopg", "sqlite3", "aiosqlite")):
        return "database", f"database error while storing the feed: {type(exc).__name__}: {exc}"
    return "other", f"{type(exc).__name__}: {exc}"


async def sync_once(
    db: Database,
    settings: Settings,
    *,
    client: GoatedClient | None = None,
    lock_wait: float = DEFAULT_LOCK_WAIT_SECONDS,
    run_hooks: bool = True,
) -> SyncResult:
    """Run one sync now. Raises `SyncFailed` (recorded) or `SyncAlreadyRunning` (not recorded)."""
    from goatedvips.affiliate.source import open_client

    _update_token_metric(settings)
    async with sync_lock(db, wait=lock_wait):
        started_at, clock = utcnow(), time.perf_counter()
        own_client = client is None
        api = client or open_client(settings)
        try:
            result, stored = await _fetch_and_store(db, api, started_at)
        except Exception as exc:
            reason, message = classify(exc)
            elapsed = time.perf_counter() - clock
            metrics.SYNC_FAILURES.labels(reason).inc()
            metrics.SYNC_DURATION.labels("failed").observe(elapsed)
            run_id = await _record_failure(db, started_at, message, elapsed)
            log.warning("affiliate_sync_failed", reason=reason, error=message, sync_run_id=run_id)
            raise SyncFailed(message, reason=reason, sync_run_id=run_id) from exc
        finally:
            if own_client:
                await api.close()
        metrics.SYNC_DURATION.labels("success").observe(time.perf_counter() - clock)
    metrics.SYNC_PLAYERS.set(result.players)
    metrics.SYNC_CHANGED.set(result.changed)
    metrics.SYNC_CHANGED_TOTAL.inc(result.changed)
    metrics.LAST_SUCCESS.set(result.finished_at.timestamp())
    log.info("affiliate_sync_ok", **{k: v for k, v in result.summary().items() if k != "status"})
    clock = time.perf_counter()
    await leaderboards_changed(
        db,
        settings,
        players=stored.players,
        sync_run_id=result.sync_run_id,
        ranking=stored.ranking,
    )
    result.phases["leaderboards"] = time.perf_counter() - clock
    del stored
    if run_hooks:
        await run_after_sync_hooks(JobContext(db=db, settings=settings), result)
    return result


@dataclass(slots=True)
class _Stored:
    """What a sync leaves for the leaderboards: every stored player's state after its commit and
    the ranking made of them while the database was writing (None if that failed)."""

    players: dict[str, store.State]
    ranking: Ranking | None


async def _rank_while_writing(players: dict[str, store.State], privacy: PrivacyRules) -> Ranking:
    # A worker thread: the database (another process, or aiosqlite's thread outside the GIL)
    # writes meanwhile, so ranking costs the sync little wall time.
    return await asyncio.to_thread(rank_players, players, privacy)


async def _fetch_and_store(
    db: Database, api: GoatedClient, started_at: dt.datetime
) -> tuple[SyncResult, _Stored]:
    """Fetch, compare, write and commit; also ranks the players for the boards meanwhile."""
    phases: dict[str, float] = {}
    clock = time.perf_counter()
    feed: ParsedFeed = await api.fetch()
    taken_at = utcnow()
    phases["fetch"], clock = time.perf_counter() - clock, time.perf_counter()
    phases.update(getattr(api, "timings", {}))
    async with db.sessionmaker() as session:
        privacy = await load_privacy(session)  # rechecked before the ranking is used
    ranking: asyncio.Future[Ranking] | None = None
    try:
        async with db.engine.begin() as conn:
            # Insert the run first: on SQLite this takes the write lock before the state is read.
            run_id = await conn.scalar(
                insert(SyncRun)
                .values(started_at=started_at, status="running")
                .returning(SyncRun.id)
            )
            current = await store.load_state(conn)
            phases["load"], clock = time.perf_counter() - clock, time.perf_counter()
            players = len(feed)
            if not players and current:
                raise SyncFailed(
                    f"the feed listed no players while {len(current)} are stored; "
                    "kept the stored data",
                    reason="empty",
                )
            changes = store.diff(feed.states, current)
            current.update(changes.changed)  # the state after this sync, absent players included
            phases["diff"], clock = time.perf_counter() - clock, time.perf_counter()

            def start_ranking() -> None:
                nonlocal ranking
                ranking = asyncio.ensure_future(_rank_while_writing(current, privacy))

            await store.write_changes(conn, changes, taken_at, loaded=start_ranking, timings=phases)
            finished_at = utcnow()
            await conn.execute(
                SyncRun.__table__.update()
                .where(SyncRun.id == run_id)
                .values(
                    status="success",
                    finished_at=finished_at,
                    players=players,
                    changed=len(changes.changed),
                    duration_ms=int((finished_at - started_at).total_seconds() * 1000),
                )
            )
    except BaseException:
        if ranking is not None:
            ranking.cancel()
        raise
    phases["write"], clock = time.perf_counter() - clock, time.perf_counter()
    try:
        ranked: Ranking | None = await ranking if ranking is not None else None
    except Exception as exc:  # the boards are rebuilt the usual way
        log.error("leaderboard_ranking_failed", error=str(exc), exc_info=exc)
        ranked = None
    phases["rank_wait"] = time.perf_counter() - clock
    result = SyncResult(
        sync_run_id=run_id,
        started_at=started_at,
        finished_at=finished_at,
        taken_at=taken_at,
        players=players,
        changed=len(changes.changed),
        new_players=changes.new,
        skipped=feed.skipped,
        changed_uids=frozenset(uid for uid, _ in changes.changed),
        phases=phases,
    )
    return result, _Stored(current, ranked)


async def _record_failure(
    db: Database, started_at: dt.datetime, message: str, elapsed: float
) -> int | None:
    try:
        async with db.engine.begin() as conn:
            return await conn.scalar(
                insert(SyncRun)
                .values(
                    started_at=started_at,
                    finished_at=utcnow(),
                    status="failed",
                    error=message[:MAX_ERROR_LENGTH],
                    duration_ms=int(elapsed * 1000),
                )
                .returning(SyncRun.id)
            )
    except Exception as exc:  # the database itself is down: the log and the metric remain
        log.error("affiliate_sync_failure_not_recorded", error=str(exc))
        return None


async def run_after_sync_hooks(ctx: JobContext, result: SyncResult) -> None:
    """Call `after_sync(ctx, result)` of every `goatedvips.<domain>.hooks`; one failing hook is
    logged and doesn't stop the others (the sync itself has already committed)."""
    from goatedvips.app import _domain_modules

    for module in _domain_modules("hooks"):
        hook = getattr(module, "after_sync", None)
        if hook is None:
            continue
        try:
            outcome = hook(ctx, result)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as exc:
            log.error("after_sync_hook_failed", hook=module.__name__, error=str(exc), exc_info=exc)


def _update_token_metric(settings: Settings) -> None:
    status = token_status(settings.goated_api_token)
    metrics.TOKEN_EXPIRY.set(status.expires_at.timestamp() if status.expires_at else 0)


# --- status for admins -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedStatus:
    last_success_at: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    token_state: str
    token_expires_at: dt.datetime | None
    players: int
    recent_runs: list[SyncRun]
    uses_simulator: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "lastSuccessAt": _iso(self.last_success_at),
            "lastError": self.last_error,
            "lastErrorAt": _iso(self.last_error_at),
            "tokenExpiresAt": _iso(self.token_expires_at),
            "tokenState": self.token_state,
            "players": self.players,
            "source": "simulator" if self.uses_simulator else "goated",
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


async def feed_status(session: AsyncSession, settings: Settings, *, runs: int = 20) -> FeedStatus:
    last_success = await session.scalar(
        select(func.max(SyncRun.finished_at)).where(SyncRun.status == "success")
    )
    last_failed = (
        await session.execute(
            select(SyncRun.error, SyncRun.finished_at)
            .where(SyncRun.status == "failed")
            .order_by(SyncRun.id.desc())
            .limit(1)
        )
    ).first()
    recent = list(await session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(runs)))
    players = await session.scalar(select(func.count()).select_from(AffiliatePlayer)) or 0
    token = token_status(settings.goated_api_token)
    _update_token_metric(settings)
    return FeedStatus(
        last_success_at=last_success,
        last_error=last_failed.error if last_failed else None,
        last_error_at=last_failed.finished_at if last_failed else None,
        token_state=token.state,
        token_expires_at=token.expires_at,
        players=players,
        recent_runs=recent,
        uses_simulator=settings.uses_simulator and not settings.goated_api_base_url,
    )


# --- excluded uids -----------------------------------------------------------------------------


def validate_uids(values: Iterable[Any]) -> list[str]:
    values = list(values)
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput("every uid must be a non-empty string", field="uids")
        if len(value.strip()) > 64:
            raise InvalidInput("a uid has at most 64 characters", field="uids")
    uids = clean_uids(values)
    if len(uids) > MAX_EXCLUDED_UIDS:
        raise InvalidInput(f"at most {MAX_EXCLUDED_UIDS} excluded uids", field="uids")
    return uids


async def set_excluded_uids(
    session: AsyncSession, *, uids: Iterable[Any], actor: Actor
) -> list[str]:
    """Replace the excluded uids (audited); they leave every public board at once."""
    new = validate_uids(uids)
    before = sorted(await excluded_uids(session))
    row = await session.get(AppSetting, EXCLUDED_UIDS_KEY)
    if row is None:
        session.add(AppSetting(key=EXCLUDED_UIDS_KEY, value=new))
    else:
        row.value = new
    record_audit(
        session,
        actor=actor,
        action="affiliate.excluded_uids.set",
        target_type="app_setting",
        target_id=EXCLUDED_UIDS_KEY,
        before=before,
        after=new,
    )
    await session.commit()
    return new


__all__ = [
    "SyncAlreadyRunning",
    "SyncFailed",
    "SyncResult",
    "feed_status",
    "run_after_sync_hooks",
    "set_excluded_uids",
    "sync_once",
]
