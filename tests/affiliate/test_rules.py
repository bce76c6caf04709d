"""Pure rules: tiers, masking, retry backoff across runs, the demo sync interval."""

from __future__ import annotations

from decimal import Decimal

import pytest

from goatedvips.affiliate.jobs import Backoff
from goatedvips.affiliate.privacy import PrivacyRules, mask_name
from goatedvips.affiliate.source import sync_interval
from goatedvips.affiliate.tiers import TIERS, is_tier_up, tier_for, tier_progress
from goatedvips.config import Settings


@pytest.mark.parametrize(
    ("all_time", "tier"),
    [
        ("0", "Copper"),
        ("9999.99", "Copper"),
        ("10000", "Bronze"),
        ("40000", "Silver"),
        ("99999.99", "Silver"),
        ("100000", "Gold"),
        ("450000", "Platinum"),
        ("1500000", "Pearl"),
        ("3000000", "Sapphire"),
        ("7000000", "Emerald"),
        ("20000000", "Diamond"),
        ("999999999", "Diamond"),
    ],
)
def test_tiers_by_all_time_wager(all_time: str, tier: str) -> None:
    assert tier_for(Decimal(all_time)).name == tier


def test_tier_progress_and_tier_up() -> None:
    progress = tier_progress(Decimal("25000"))
    assert (progress.tier.name, progress.next_tier and progress.next_tier.name) == (
        "Bronze",
        "Silver",
    )
    assert (progress.remaining, progress.progress) == (Decimal("15000"), Decimal("0.5000"))
    top = tier_progress(Decimal("25000000"))
    assert (top.next_tier, top.remaining, top.progress) == (None, 0, 1)
    assert is_tier_up(Decimal("9999"), Decimal("10000"))
    assert not is_tier_up(None, Decimal("50000")) and not is_tier_up(Decimal("1"), Decimal("2"))
    assert TIERS[0].name == "Copper" and len(TIERS) == 9


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Yels789", "Ye***89"),
        ("abcde", "ab***de"),
        ("Zoë", "Z***"),
        ("ab", "a***"),
        ("x", "***"),
        ("", "***"),
    ],
)
def test_masking_never_shows_more_than_half(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_public_names() -> None:
    rules = PrivacyRules(hidden=frozenset({"h"}), excluded=frozenset({"x"}))
    assert rules.public_name("h", "Yels789") == "Ye***89"
    assert rules.public_name("v", "Visible") == "Visible"
    assert rules.public_name("QBbCmlNl63", "") == "QB***63"  # nameless: masked uid
    assert rules.is_excluded("x") and not rules.is_excluded("h")
    assert rules.fingerprint != PrivacyRules(frozenset(), frozenset({"x"})).fingerprint


def test_failed_syncs_retry_sooner_with_exponential_backoff() -> None:
    backoff = Backoff()
    assert backoff.delay(300) == 300
    delays = []
    for _ in range(6):
        backoff.failures += 1
        delays.append(backoff.delay(300))
    assert delays == [15, 30, 60, 120, 240, 300]


def test_demo_interval_is_short_only_for_the_simulator_by_default() -> None:
    assert sync_interval(Settings(goatedvips_env="development")) == 30
    assert (
        sync_interval(Settings(goatedvips_env="development", goated_sync_interval_seconds=60)) == 60
    )
    real = Settings(
        goatedvips_env="development", goated_api_base_url="https://apis.goated.com/user"
    )
    assert sync_interval(real) == 300
