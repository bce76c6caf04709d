"""Backups: a populated database restored into an empty one equals the original, on each backend.

Also the refusals (not a backup, a newer schema or format, a damaged file, a database that
already has data) and the real CLI in a subprocess.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.admin.backup import restore_backup, write_backup
from goatedvips.admin.backup_format import BackupError
from goatedvips.admin.models import AppSetting
from goatedvips.affiliate.models import AffiliatePlayer, SyncRun, WagerSnapshot
from goatedvips.bonuses.models import BonusCode
from goatedvips.challenges.models import Challenge, ChallengeEntry
from goatedvips.db import Database
from goatedvips.migrate import make_sync_engine
from goatedvips.races.models import WagerRace, WagerRaceParticipant
from goatedvips.support.models import SupportTicket, TicketMessage
from goatedvips.telegram.models import TelegramUser, VerificationHistory, VerificationRequest
from tests.admin.helpers import dump_connection, dump_rows
from tests.support.databases import create_pg_database, drop_pg_database, pg_server_url, sqlite_url
from tests.support.users import make_user

T0 = dt.datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture
def empty_target(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A brand-new, unmigrated database on the same backend as `database_url`."""
    if database_url.startswith("sqlite"):
        yield sqlite_url(tmp_path, "target.db")
        return
    server = pg_server_url()
    assert server is not None
    url = create_pg_database(server, prefix="gv_restore")
    try:
        yield url
    finally:
        drop_pg_database(url)


def dump_url(url: str) -> dict[str, list[list[Any]]]:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as connection:
            return dump_connection(connection)
    finally:
        engine.dispose()


async def populate(db: Database) -> None:
    """A bit of everything: JSON columns, decimals, microsecond timestamps, unicode, NULLs."""
    admin = await make_user(db, "admin", is_admin=True)
    player = await make_user(db, "zoe", email="zoe@example.com")
    async with db.sessionmaker() as session:
        user = await session.get(User, player.id)
        assert user is not None
        user.ip_history = [{"ip": "2001:db8::1", "firstSeen": T0.isoformat(), "count": 3}]
        user.login_history = [{"at": T0.isoformat(), "city": "São Paulo", "note": '🐐 "q" \\'}]
        user.goated_username, user.goated_uid, user.goated_verified = "Yëls789🐐", "QBbC", True
        user.telegram_id, user.last_active = 9_007_199_254_740_993, T0
        session.add(
            TelegramUser(
                telegram_id=9_007_199_254_740_993,
                user_id=player.id,
                telegram_username="zoe_tg",
                is_verified=True,
                verified_at=T0,
            )
        )
        request = VerificationRequest(
            user_id=player.id,
            goated_username="Yels789",
            goated_uid="QBbC",
            status="approved",
            unique_request="approved:1",
            verified_at=T0,
        )
        session.add(request)
        await session.flush()
        session.add(
            VerificationHistory(
                user_id=player.id,
                request_id=request.id,
                status="approved",
                goated_username="Yels789",
                verified_by=f"user:{admin.id}",
                verified_at=T0,
                admin_notes="ok <b>bold</b>",
                created_at=T0,
            )
        )
        ticket = SupportTicket(
            user_id=player.id,
            subject="Где мой приз?",
            description="…",
            priority="high",
            assigned_to=admin.id,
        )
        session.add(ticket)
        await session.flush()
        session.add_all(
            [
                TicketMessage(ticket_id=ticket.id, user_id=player.id, message="hello\nworld"),
                TicketMessage(
                    ticket_id=ticket.id, user_id=admin.id, message="on it", is_staff_reply=True
                ),
            ]
        )
        race = WagerRace(
            title="March race",
            type="monthly",
            status="completed",
            prize_pool=Decimal("10000.00"),
            prize_distribution={"1": "50", "2": "30", "3": "20"},
            min_wager=Decimal("0.01"),
            start_date=T0,
            end_date=T0 + dt.timedelta(days=31),
            created_by=admin.id,
            finalized_at=T0 + dt.timedelta(days=31),
        )
        session.add(race)
        await session.flush()
        session.add(
            WagerRaceParticipant(
                race_id=race.id,
                user_id=player.id,
                goated_uid="QBbC",
                goated_name="Yels789",
                total_wager=Decimal("123456789012.34"),
                rank=1,
                prize=Decimal("5000.00"),
                wager_history=[{"t": T0.isoformat(), "w": "1.10"}],
            )
        )
        session.add(
            WagerRaceParticipant(
                race_id=race.id,
                goated_uid="nobody",
                goated_name="x",
                total_wager=Decimal("0"),
                rank=None,
                prize=None,
                eligible=False,
            )
        )
        challenge = Challenge(
            game="Crash",
            multiplier=Decimal("1000.50"),
            min_bet=Decimal("0.20"),
            prize_amount=Decimal("25.00"),
            max_winners=3,
            starts_at=T0,
            ends_at=T0 + dt.timedelta(days=2),
        )
        session.add(challenge)
        await session.flush()
        session.add(
            ChallengeEntry(
                challenge_id=challenge.id, user_id=player.id, bet_link="https://goated.com/bet/1"
            )
        )
        session.add(
            BonusCode(
                code="GOAT-ÆØÅ",
                value=Decimal("15.50"),
                expires_at=T0,
                user_id=player.id,
                claimed_at=T0,
                created_by=admin.id,
            )
        )
        session.add(
            AffiliatePlayer(
                uid="QBbC",
                name="Yels789",
                name_lower="yels789",
                wagered_all_time=Decimal("1773.78"),
            )
        )
        session.add(
            WagerSnapshot(
                uid="QBbC",
                name="Yels789",
                today=Decimal("0"),
                this_week=Decimal("120.50"),
                this_month=Decimal("950.25"),
                all_time=Decimal("1773.78"),
                taken_at=T0,
            )
        )
        session.add(SyncRun(status="failed", error="timeout", finished_at=T0))
        session.add(AppSetting(key="excluded_uids", value={"uids": ["house1", "staff2"]}))
        record_audit(
            session,
            actor=Actor.for_user(admin, ip="203.0.113.9"),
            action="race.create",
            target_type="race",
            target_id=race.id,
            before=None,
            after={"prizePool": Decimal("10000.00")},
        )
        await session.commit()


async def test_backup_restored_into_an_empty_database_equals_the_original(
    database_url: str, clean_db: Database, empty_target: str, tmp_path: Path
) -> None:
    await populate(clean_db)
    original = await dump_rows(clean_db)
    assert all(original[t] for t in ("users", "wager_race_participants", "support_tickets"))

    backup = tmp_path / "site.backup.gz"
    summary = write_backup(database_url, backup)
    assert summary.rows["users"] == 2 and summary.total == sum(len(r) for r in original.values())

    with gzip.open(backup, "rb") as handle:
        header = orjson.loads(handle.readline())
    assert header["format"] == "goatedvips-backup" and header["version"] == 1
    assert header["revisions"] and "users" in header["tables"]

    restored = restore_backup(empty_target, backup)
    assert restored.rows == {name: n for name, n in summary.rows.items() if n}
    assert dump_url(empty_target) == original

    # Sequences continue after the restored ids (PostgreSQL), so new rows can be written.
    target = Database(empty_target)
    try:
        newcomer = await make_user(target, "newcomer")
        async with target.sessionmaker() as session:
            assert newcomer.id == (await session.scalar(select(func.max(User.id))))
            assert newcomer.id > max(row[0] for row in original["users"])
    finally:
        await target.dispose()


async def test_restore_refuses_a_database_with_data_unless_forced(
    database_url: str, clean_db: Database, empty_target: str, tmp_path: Path
) -> None:
    await populate(clean_db)
    backup = tmp_path / "a.gz"
    write_backup(database_url, backup)
    original = await dump_rows(clean_db)
    restore_backup(empty_target, backup)

    extra = Database(empty_target)
    try:
        await make_user(extra, "intruder")
    finally:
        await extra.dispose()
    with pytest.raises(BackupError, match=r"already has data .*--force"):
        restore_backup(empty_target, backup)
    assert "intruder" in str(dump_url(empty_target)["users"])

    restore_backup(empty_target, backup, force=True)
    assert dump_url(empty_target) == original


def _write_gz(path: Path, lines: list[Any]) -> Path:
    with gzip.open(path, "wb") as out:
        for line in lines:
            out.write(orjson.dumps(line) + b"\n")
    return path


async def test_restore_refuses_files_that_are_not_usable_backups(
    database_url: str, clean_db: Database, empty_target: str, tmp_path: Path
) -> None:
    await populate(clean_db)
    good = tmp_path / "good.gz"
    write_backup(database_url, good)
    with gzip.open(good, "rb") as handle:
        lines = [orjson.loads(line) for line in handle]
    header = lines[0]

    plain = tmp_path / "notes.txt"
    plain.write_text("just some text")
    json_gz = _write_gz(tmp_path / "other.gz", [{"hello": "world"}])
    future_schema = _write_gz(
        tmp_path / "future.gz", [{**header, "revisions": ["0999_future"]}, *lines[1:]]
    )
    future_format = _write_gz(tmp_path / "format.gz", [{**header, "version": 99}, *lines[1:]])
    truncated = _write_gz(tmp_path / "cut.gz", lines[:-1])
    damaged = _write_gz(tmp_path / "bad.gz", [header, ["users", [1]], lines[-1]])
    raw = good.read_bytes()
    cut_gzip = tmp_path / "cut-gzip.gz"
    cut_gzip.write_bytes(raw[: len(raw) // 2])

    cases = [
        (plain, r"not a GoatedVIPs backup \(not a gzip file\)"),
        (json_gz, r"not a GoatedVIPs backup"),
        (future_schema, r"newer database schema \(revision 0999_future\).*upgrade GoatedVIPs"),
        (future_format, r"newer GoatedVIPs \(backup format 99"),
        (truncated, r"incomplete: it has no end marker"),
        (damaged, r"damaged at line 2"),
        (cut_gzip, r"incomplete|damaged"),
        (tmp_path / "missing.gz", r"does not exist"),
    ]
    for path, message in cases:
        with pytest.raises(BackupError, match=message):
            restore_backup(empty_target, path)
    # Nothing was created in the target by any refusal.
    assert dump_url(empty_target) == {}
    restore_backup(empty_target, good)


def _cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "GOATEDVIPS_ENV": "test"}
    env.setdefault("SECRET_KEY", "x" * 40)
    return subprocess.run(
        [sys.executable, "-m", "goatedvips", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_backup_and_restore_through_the_cli(
    database_url: str, clean_db: Database, empty_target: str, tmp_path: Path
) -> None:
    await populate(clean_db)
    original = await dump_rows(clean_db)
    backup = tmp_path / "cli.gz"

    made = _cli("backup", str(backup), url=database_url)
    assert made.returncode == 0, made.stderr
    assert "backup written to" in made.stdout
    assert f"{sum(len(rows) for rows in original.values())} rows" in made.stdout

    restored = _cli("restore", str(backup), url=empty_target)
    assert restored.returncode == 0, restored.stderr
    assert dump_url(empty_target) == original

    again = _cli("restore", str(backup), url=empty_target)
    assert again.returncode == 2
    assert again.stderr.strip().startswith("goatedvips: the database already has data")
    assert "Traceback" not in again.stderr

    not_backup = tmp_path / "x.txt"
    not_backup.write_text("nope")
    refused = _cli("restore", str(not_backup), url=empty_target)
    assert refused.returncode == 2 and "not a GoatedVIPs backup" in refused.stderr
