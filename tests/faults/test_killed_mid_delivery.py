"""The app killed in the middle of delivering notifications (SIGKILL, no clean-up).

The delivery run happens in a real child process against the same database (the SQLite file or
the PostgreSQL test database) and the SMTP sink of this test; the child kills itself with SIGKILL
right after the SMTP server accepted its first message and before the outcome is written. Then:
nothing is sent twice, messages the dead run had not tried yet still go out once, and the row
whose fate is unknown is shown to admins as interrupted (and resent only when an admin says so).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.notifications.delivery import STALE_AFTER, deliver_due
from tests.conftest import make_settings
from tests.notifications.helpers import NOW, outbox, player, queue
from tests.support.smtp import smtp_sink
from tests.support.users import logged_in_user

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import asyncio, datetime as dt, os, signal, sys
import goatedvips.models  # every table, as the app loads them
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.notifications import delivery

async def killed_after_send(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # after the send, before its outcome is recorded

delivery.record_sent = killed_after_send
settings = Settings(
    goatedvips_env="test", database_url=sys.argv[1], smtp_url=sys.argv[2],
    secret_key=os.environ["SECRET_KEY"], base_url="http://testserver", jobs_enabled=False,
)
asyncio.run(delivery.deliver_due(Database(sys.argv[1]), settings, now=dt.datetime.fromisoformat(sys.argv[3])))
"""


def run_child(database_url: str, smtp_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOATEDVIPS_ENV": "test", "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-c", CHILD, database_url, smtp_url, NOW.isoformat()],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_a_delivery_killed_after_sending_sends_nothing_twice_and_shows_the_stuck_row(
    clean_db: Database, database_url: str, client: httpx.AsyncClient, settings: Settings
) -> None:
    names = ("ann", "ben", "cat")
    for name in names:
        user = await player(clean_db, name)
        await queue(clean_db, user, "race_result", subject=f"Result for {name}")

    with smtp_sink() as (sink, smtp_url):
        mail = make_settings(database_url, smtp_url=smtp_url)
        child = run_child(database_url, smtp_url)
        assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
        assert [len(sink.to(f"{n}@example.com")) for n in names] == [1, 0, 0]

        # The restarted job: what the dead run never tried goes out once; the first row doesn't.
        await deliver_due(clean_db, mail, now=NOW)
        await deliver_due(clean_db, mail, now=NOW + STALE_AFTER / 2)
        later = NOW + STALE_AFTER + STALE_AFTER / 10
        summary = await deliver_due(clean_db, mail, now=later)
        assert summary.interrupted == 1
        for _ in range(3):
            await deliver_due(clean_db, mail, now=later + STALE_AFTER)
        assert [len(sink.to(f"{n}@example.com")) for n in names] == [1, 1, 1]

        rows = await outbox(clean_db)
        assert [r.status for r in rows] == ["failed", "sent", "sent"]
        stuck = rows[0]
        assert "interrupted" in (stuck.last_error or "") and stuck.attempts == 1

        # Admins see it, with the reason, and decide.
        await logged_in_user(clean_db, client, "admin", is_admin=True)
        overview = (await client.get("/api/admin/notifications")).json()
        assert overview["counts"]["failed"] == 1 and overview["counts"]["sending"] == 0
        (failure,) = overview["recentFailures"]
        assert failure["id"] == stuck.id and failure["recipient"] == "ann@example.com"
        assert "interrupted" in failure["lastError"]
        page = await client.get("/admin/broadcasts", headers={"accept": "text/html"})
        assert page.status_code == 200 and "interrupted" in page.text
        retried = await client.post(f"/api/admin/notifications/{stuck.id}/retry", json={})
        assert retried.status_code == 200, retried.text
        await deliver_due(clean_db, mail)  # the retry is due from the wall-clock moment it was made
        await deliver_due(clean_db, mail)
        assert len(sink.to("ann@example.com")) == 2  # the admin's explicit call, once
    assert settings.smtp_url is None  # the app under test itself never had mail configured


async def test_a_run_claims_no_more_than_its_limit(clean_db: Database, database_url: str) -> None:
    """A run is bounded (and, killed, can strand at most one row): `limit` holds on every backend."""
    for name in ("dan", "eve", "fay", "gus", "hal"):
        await queue(clean_db, await player(clean_db, name), "race_result")
    with smtp_sink() as (sink, smtp_url):
        mail = make_settings(database_url, smtp_url=smtp_url)
        first = await deliver_due(clean_db, mail, now=NOW, limit=2)
        assert (first.claimed, first.sent, len(sink.messages)) == (2, 2, 2)
        assert [r.status for r in await outbox(clean_db)].count("pending") == 3
        rest = await deliver_due(clean_db, mail, now=NOW, limit=10)
        assert (rest.claimed, rest.sent, len(sink.messages)) == (3, 3, 5)
