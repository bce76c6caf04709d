"""Prize distributions: validation and the split of a pool into cents per position.

A distribution maps positions "1".."N" to percentages of the pool. It is valid when the positions
are contiguous from 1, every share is positive, shares never grow going down the ranks and they
sum to exactly 100 (Decimal arithmetic, never float). Amounts are whole cents; each position gets
the floor of its share and the rounding remainder goes to first place, so the amounts of all
positions add up to the pool exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from goatedvips.errors import InvalidInput

MAX_POSITIONS = 100
MAX_SHARE_DECIMALS = 4
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
FIELD = "prizeDistribution"


def _share(position: str, raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal | float):
        raise InvalidInput(f"{FIELD}: position {position}: the share must be a number", field=FIELD)
    try:
        # A float only reaches here from JSON; its shortest repr is the number that was typed.
        share = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise InvalidInput(
            f"{FIELD}: position {position}: {raw!r} is not a number", field=FIELD
        ) from exc
    if not share.is_finite():
        raise InvalidInput(
            f"{FIELD}: position {position}: the share must be a finite number", field=FIELD
        )
    if share <= 0:
        raise InvalidInput(
            f"{FIELD}: position {position}: every share must be positive", field=FIELD
        )
    exponent = share.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_SHARE_DECIMALS:
        raise InvalidInput(
            f"{FIELD}: position {position}: at most {MAX_SHARE_DECIMALS} decimal places",
            field=FIELD,
        )
    return share


def validate_distribution(raw: Mapping[str, object] | None) -> dict[str, Decimal]:
    """The distribution as {"1": Decimal, ...} in position order, or InvalidInput naming the field."""
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidInput(
            f'{FIELD}: give at least one prize position, e.g. {{"1": "100"}}', field=FIELD
        )
    if len(raw) > MAX_POSITIONS:
        raise InvalidInput(f"{FIELD}: at most {MAX_POSITIONS} prize positions", field=FIELD)
    keys = [str(key).strip() for key in raw]
    expected = [str(n) for n in range(1, len(raw) + 1)]
    if sorted(keys, key=lambda k: (len(k), k)) != expected:
        raise InvalidInput(
            f'{FIELD}: positions must be "1" to "{len(raw)}" without gaps or duplicates',
            field=FIELD,
        )
    by_position = {str(key).strip(): value for key, value in raw.items()}
    shares = {position: _share(position, by_position[position]) for position in expected}
    previous: Decimal | None = None
    for position, share in shares.items():
        if previous is not None and share > previous:
            raise InvalidInput(
                f"{FIELD}: position {position} gets more than position {int(position) - 1}; "
                "shares may not grow going down the ranks",
                field=FIELD,
            )
        previous = share
    total = sum(shares.values(), Decimal(0))
    if total != HUNDRED:
        raise InvalidInput(f"{FIELD}: the shares add up to {total}, not 100", field=FIELD)
    return shares


def distribution_as_json(shares: Mapping[str, Decimal]) -> dict[str, str]:
    """The stored / wire form: position -> percentage as a plain decimal string."""
    return {position: _plain(share) for position, share in shares.items()}


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def to_cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value(rounding=ROUND_FLOOR))


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def position_amounts(pool: Decimal, shares: Mapping[str, Decimal]) -> list[int]:
    """Cents for positions 1..N: floor of each share, the remainder to first place."""
    pool_cents = to_cents(pool)
    amounts = [
        int((pool_cents * share / HUNDRED).to_integral_value(rounding=ROUND_FLOOR))
        for share in (shares[str(n)] for n in range(1, len(shares) + 1))
    ]
    if amounts:
        amounts[0] += pool_cents - sum(amounts)
    return amounts
