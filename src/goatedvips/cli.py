"""The `goatedvips` command: run the site, migrate, manage admins, sync, simulator, bot, backups."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from goatedvips.config import ConfigError, Settings, get_settings

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


def fail(message: str, code: int = 2) -> None:
    """Stop with one clear line (no traceback) saying what to fix."""
    typer.echo(f"goatedvips: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable


def redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable DATABASE_URL>"


def check_database(settings: Settings) -> None:
    """Fail fast with one line when DATABASE_URL is malformed or the database can't be reached."""
    from sqlalchemy import text

    from goatedvips.db import Database

    async def probe() -> None:
        db = Database(settings.database_url)
        try:
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await db.dispose()

    try:
        asyncio.run(probe())
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"cannot use DATABASE_URL {redact(settings.database_url)}: {reason}")


def do_migrate(settings: Settings) -> None:
    from goatedvips.migrate import upgrade

    check_database(settings)
    try:
        upgrade(settings.database_url)
    except Exception as exc:
        fail(f"migration failed: {exc}")


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = load_settings()
    do_migrate(settings)
    typer.echo("database is up to date")


SERVERS = ("uvicorn", "granian")
JOB_PROCESS_STOP_SECONDS = 30


@cli.command()
def run(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    workers: int = typer.Option(1, min=1, help="web worker processes (PostgreSQL only)"),
    server: str = typer.Option(
        "uvicorn", help="HTTP server: uvicorn (uvloop + httptools) or granian (Rust, uvloop)"
    ),
) -> None:
    """Migrate, then serve the site with its jobs (and the bot when a token is set)."""
    if server not in SERVERS:
        fail(f"--server must be one of {', '.join(SERVERS)}, not {server!r}")
    settings = load_settings()
    do_migrate(settings)
    if settings.demo_data and settings.goatedvips_env == "development":
        _seed_demo(settings)
    if workers > 1 and settings.is_sqlite:
        fail("several workers need PostgreSQL; SQLite serves one process")
    typer.echo(
        f"GoatedVIPs on http://{host}:{port}  ({server}, {workers} worker(s); "
        f"database {redact(settings.database_url)})"
    )
    with job_process(settings):
        if server == "granian":
            serve_granian(host, port, workers)
        else:
            serve_uvicorn(host, port, workers)


@contextmanager
def job_process(settings: Settings) -> Iterator[None]:
    """The scheduled jobs in a process of their own (`goatedvips worker`) beside the web.

    A sync of 100,000 players and the race refresh after it are seconds of CPU; in the web
    process they took the interpreter from the pages (its event loop, or its GIL from a thread),
    so under load pages stalled and syncs crawled. As a child process the jobs get their own
    interpreter and core, and the web processes leave jobs to it (JOBS_ENABLED=false in their
    environment). The child is stopped with the server, and dies with this process if it is
    killed. With JOBS_ENABLED=false nothing is started (another host runs the jobs).
    """
    if not settings.jobs_enabled:
        yield
        return
    child = subprocess.Popen(
        [sys.executable, "-m", "goatedvips", "worker"],
        preexec_fn=_die_with_parent,
    )
    os.environ["JOBS_ENABLED"] = "false"
    get_settings.cache_clear()  # the app is created after this, in this process or a worker's
    try:
        yield
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(JOB_PROCESS_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _die_with_parent() -> None:
    """In the job process, before it starts: SIGTERM when the parent dies (Linux prctl)."""
    with contextlib.suppress(Exception):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def serve_uvicorn(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "goatedvips.asgi:app",
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,
        log_level="warning",
        access_log=False,
    )


def serve_granian(host: str, port: int, workers: int) -> None:
    try:
        from granian import Granian
        from granian.constants import Interfaces, Loops
        from granian.log import LogLevels
    except ModuleNotFoundError:
        fail("granian is not installed (pip install granian), or use --server uvicorn")
        raise  # unreachable
    Granian(
        "goatedvips.asgi:app",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop,
        websockets=False,
        log_level=LogLevels.warning,
        log_access=False,
    ).serve()


def _seed_demo(settings: Settings) -> None:
    try:
        from goatedvips.demo import seed_demo
    except ModuleNotFoundError:
        return
    asyncio.run(seed_demo(settings))


@cli.command("create-admin")
def create_admin(
    username: str = typer.Option(..., prompt=True),
    email: str = typer.Option(..., prompt=True),
) -> None:
    """Create an admin account (password from GOATEDVIPS_ADMIN_PASSWORD or a prompt, never a default)."""
    settings = load_settings()
    password = os.environ.get("GOATEDVIPS_ADMIN_PASSWORD") or ""
    if not password:
        if not sys.stdin.isatty():
            fail("set GOATEDVIPS_ADMIN_PASSWORD or run in a terminal to be asked for the password")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            fail("the two passwords differ")
    do_migrate(settings)
    from goatedvips.accounts.admin_cli import create_admin_account

    try:
        user_id = asyncio.run(
            create_admin_account(settings, username=username, email=email, password=password)
        )
    except Exception as exc:
        message = getattr(exc, "message", None) or str(exc)
        fail(message)
    typer.echo(f"admin {username} created (id {user_id})")


def _call(module: str, func: str, *args: Any, **kwargs: Any) -> Any:
    import importlib

    try:
        target = getattr(importlib.import_module(module), func)
    except (ModuleNotFoundError, AttributeError):
        fail(f"this command is not available in this build ({module}.{func})")
    return target(*args, **kwargs)


@cli.command()
def sync() -> None:
    """Run one affiliate sync now and print its summary."""
    settings = load_settings()
    do_migrate(settings)
    _call("goatedvips.affiliate.commands", "sync_command", settings)


@cli.command()
def simulator(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8100),
    seed: int = typer.Option(1),
    players: int = typer.Option(2000, max=1_000_000, min=0),
) -> None:
    """Serve the fake Goated affiliate API on its own port."""
    _call(
        "goatedvips.affiliate.simulator",
        "run_simulator",
        host=host,
        port=port,
        seed=seed,
        players=players,
    )


@cli.command()
def bot() -> None:
    """Run the Telegram bot with long polling (development)."""
    settings = load_settings()
    do_migrate(settings)
    _call("goatedvips.telegram.commands", "bot_command", settings)


@cli.command()
def worker() -> None:
    """Run the scheduled jobs only (no web server)."""
    from goatedvips.worker import run_worker

    settings = load_settings()
    do_migrate(settings)
    asyncio.run(run_worker(settings))


@cli.command()
def backup(file: Path) -> None:
    """Write a backup of the whole database to FILE."""
    settings = load_settings()
    check_database(settings)
    _call("goatedvips.admin.backup", "backup_command", settings, file)


@cli.command()
def restore(
    file: Path, force: bool = typer.Option(False, help="overwrite a database that has data")
) -> None:
    """Restore a backup written by `goatedvips backup` into this database."""
    settings = load_settings()
    check_database(settings)
    _call("goatedvips.admin.backup", "restore_command", settings, file, force=force)


def main() -> None:
    cli()
