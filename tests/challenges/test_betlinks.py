"""Which links count as Goated bets, and that every spelling of one bet is one stored link."""

from __future__ import annotations

import pytest

from goatedvips.challenges.betlinks import canonical_bet_link
from goatedvips.errors import InvalidInput

SAME_BET = [
    "https://www.goated.com/bet/Ab12cd",
    "https://WWW.Goated.COM/bet/Ab12cd/",
    "http://goated.com/bet/Ab12cd?utm_source=telegram&ref=xyz",
    "goated.com/casino/bet/Ab12cd",
    "https://goated.com/bets/Ab12cd#share",
    "https://www.goated.com/?modal=bet&betId=Ab12cd",
    "https://goated.com/casino/limbo?bet=Ab12cd&utm_medium=x",
    "  https://goated.com/bet/Ab12cd  ",
]


@pytest.mark.parametrize("link", SAME_BET)
def test_every_spelling_of_one_bet_is_the_same_link(link: str) -> None:
    assert canonical_bet_link(link) == "https://goated.com/bet/Ab12cd"


def test_the_bet_id_keeps_its_case() -> None:
    assert canonical_bet_link("goated.com/bet/AB12CD") != canonical_bet_link(
        "goated.com/bet/ab12cd"
    )


@pytest.mark.parametrize(
    "link",
    [
        "",
        "https://stake.com/?betId=123456",
        "https://goated.com.evil.example/bet/123456",
        "https://evil.example/?u=https://goated.com/bet/123456",
        "https://user:pw@goated.com/bet/123456",
        "https://goated.com:8443/bet/123456",
        "ftp://goated.com/bet/123456",
        "javascript:alert(1)//goated.com/bet/123456",
        "https://goated.com/",
        "https://goated.com/bet/",
        "https://goated.com/bet/ab",
        "https://goated.com/bet/<script>",
        "https://goated.com/bet/12 34",
        "https://goated.com/casino/limbo",
        "https://goated.com/bet/" + "x" * 600,
    ],
)
def test_anything_else_is_refused_naming_the_field(link: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        canonical_bet_link(link)
    assert refused.value.field == "betLink" and refused.value.code == "invalid_bet_link"
