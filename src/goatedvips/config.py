"""Settings: one object read once from the environment (see the README for every variable)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///var/goatedvips.db"
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"


class ConfigError(RuntimeError):
    """A setting that stops start-up; its message says what to fix, in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    goatedvips_env: Literal["development", "production", "test"] = "development"
    database_url: str = DEFAULT_SQLITE_URL
    redis_url: str | None = None
    # Every Redis key this process writes starts with this (tests use a unique one per run).
    redis_key_prefix: str = "goatedvips"
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:8000"

    goated_api_base_url: str | None = None
    goated_api_token: str | None = None
    goated_affiliate_code: str = "GOATEDVIPS"
    goated_sync_interval_seconds: int = Field(default=300, ge=5)

    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_webhook_secret: str | None = None
    telegram_admin_ids: str = ""
    telegram_bot_username: str = "GoatedVIPsBot"

    smtp_url: str | None = None
    mail_from: str = "GoatedVIPs <no-reply@goatedvips.local>"
    mail_outbox_dir: Path = Path("var/mail")

    geoip_db_path: Path | None = None
    trusted_proxies: str = ""

    # Verification history older than this is marked archived by a job (admin/jobs.py).
    verification_history_archive_days: int = Field(default=365, ge=1)

    log_level: str = "INFO"
    demo_data: bool = True
    jobs_enabled: bool = True
    # The job process (`goatedvips worker`, started by `goatedvips run`) serves no pages; its
    # /metrics (job runs, the leader gauge, outbox and table sizes) listen here when set.
    jobs_metrics_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator(
        "redis_url",
        "goated_api_base_url",
        "goated_api_token",
        "smtp_url",
        "telegram_bot_token",
        "telegram_webhook_secret",
        "secret_key",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _production_guards(self) -> Settings:
        if self.is_production and not self.secret_key:
            raise ConfigError("SECRET_KEY is required when GOATEDVIPS_ENV=production")
        if self.is_production and self.secret_key and len(self.secret_key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def is_production(self) -> bool:
        return self.goatedvips_env == "production"

    @property
    def is_test(self) -> bool:
        return self.goatedvips_env == "test"

    @property
    def signing_key(self) -> str:
        return self.secret_key or DEV_SECRET_KEY

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_simulator(self) -> bool:
        """Without a Goated base URL outside production, the built-in simulator is the feed."""
        return self.goated_api_base_url is None and not self.is_production

    @property
    def admin_telegram_ids(self) -> set[int]:
        ids = set()
        for part in self.telegram_admin_ids.replace(";", ",").split(","):
            part = part.strip()
            if part.lstrip("-").isdigit():
                ids.add(int(part))
        return ids

    @property
    def trusted_proxy_networks(
        self,
    ) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        nets = []
        for part in self.trusted_proxies.split(","):
            part = part.strip()
            if part:
                try:
                    nets.append(ipaddress.ip_network(part, strict=False))
                except ValueError as exc:
                    raise ConfigError(f"TRUSTED_PROXIES has an invalid entry: {part!r}") from exc
        return nets


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ConfigError:
        raise
    except Exception as exc:  # pydantic ValidationError: name the variable, no traceback
        raise ConfigError(f"invalid configuration: {exc}".replace("\n", " ")) from exc


def reset_settings_cache() -> None:
    get_settings.cache_clear()
