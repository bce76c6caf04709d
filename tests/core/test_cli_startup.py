"""Start-up refuses bad configuration with one clear line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "goatedvips", *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_secret_key_in_production_is_one_line(tmp_path: Path) -> None:
    result = run_cli("migrate", env={"GOATEDVIPS_ENV": "production"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "goatedvips: SECRET_KEY is required when GOATEDVIPS_ENV=production"
    )


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "migrate",
        env={"DATABASE_URL": "nonsense://what", "GOATEDVIPS_ENV": "development"},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("goatedvips: cannot use DATABASE_URL")
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line_and_hides_the_password(tmp_path: Path) -> None:
    url = "postgresql://someone:hunter2@127.0.0.1:1/nothing"
    result = run_cli(
        "migrate", env={"DATABASE_URL": url, "GOATEDVIPS_ENV": "development"}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "hunter2" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot use DATABASE_URL postgresql://someone:***@127.0.0.1:1/nothing" in result.stderr


def test_migrate_creates_the_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    result = run_cli(
        "migrate", env={"DATABASE_URL": url, "GOATEDVIPS_ENV": "development"}, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "site.db").exists()


def test_create_admin_without_password_source_refuses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "goatedvips",
            "create-admin",
            "--username",
            "boss",
            "--email",
            "b@example.com",
        ],
        env={
            **{k: v for k, v in os.environ.items() if k != "GOATEDVIPS_ADMIN_PASSWORD"},
            "DATABASE_URL": url,
            "GOATEDVIPS_ENV": "development",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 2
    assert "GOATEDVIPS_ADMIN_PASSWORD" in result.stderr


def test_create_admin_with_password_from_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    result = run_cli(
        "create-admin",
        "--username",
        "boss",
        "--email",
        "boss@example.com",
        env={
            "DATABASE_URL": url,
            "GOATEDVIPS_ENV": "development",
            "GOATEDVIPS_ADMIN_PASSWORD": "a-long-enough-password",
        },
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "admin boss created" in result.stdout
    assert "a-long-enough-password" not in result.stdout + result.stderr
